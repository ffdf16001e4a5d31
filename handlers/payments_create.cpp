// POST /api/v1/payments {reservationIds: [...]} or {reservationId} (ACTIVE, the holds' room)
//     [Idempotency-Key]
//     -> 200 {paymentId, reservationId, reservationIds, userId, amount, status: "COMPLETED", paidAt}
//      | 400 | 401 | 402 | 403 | 404 | 409 | 415 | 503
//
// Pays an order of the caller's own unexpired holds (1 to hold.max_per_user)
// with the sum of their prices, all or nothing, once per admission: the
// ticket is claimed in Redis first (TicketClaim, store/payment_claim.hpp),
// the order paid in one transaction (pay_order(), store/money.hpp), and the
// ticket ends with the payment. The order of the refusals is check_order()'s
// (rules/money.hpp).

#include <string>
#include <vector>

#include "base/metrics.hpp"
#include "rules/money.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/money.hpp"
#include "store/payment_claim.hpp"
#include "store/settings.hpp"

namespace {

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    // The ticket's status is the claim's to check, in the same Redis step.
    concert::TokenClaims auth = concert::token_claims(request, deps.config);
    std::int64_t max_holds = concert::cached_settings(deps.redis).at("hold.max_per_user");
    std::vector<std::string> ids = concert::parse_payment_request(request.body, max_holds);
    concert::KeyedRequest keyed{auth.user_id, concert::idempotency_key(request), concert::payment_fingerprint(ids)};
    concert::Order order{auth.user_id, auth.concert_id,
                         concert::admission_key(auth.concert_id, auth.ticket, auth.epoch), ids};

    concert::TicketClaim ticket(deps.redis, {auth.concert_id, auth.ticket, auth.user_id, auth.epoch});
    concert::Payment paid = concert::pay_order(deps.db, keyed, order, &ticket);
    if (paid.written.committed) concert::metrics::payment(static_cast<std::int64_t>(ids.size()), paid.total);
    return concert::written_response(paid.written);
}

}  // namespace

int main() { return concert::serve("payments_create", handle, concert::require_token_secret); }
