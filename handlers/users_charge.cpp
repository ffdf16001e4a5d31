// POST /api/v1/users/{userId}/charge {amount} (account: the user's secret, or
//     their WAITING or ACTIVE token) [Idempotency-Key]
//     -> 200 {userId, chargedAmount, balance, chargedAt} | 400 | 401 | 403 | 404 | 409 | 415 | 503
//
// Adds to the prepaid balance with an optimistic update; concurrent charges
// of one user retry (bounded, with jitter) until each applies once: nothing
// is lost. The transaction, its retries and the Idempotency-Key steps:
// charge_balance() (store/money.hpp).

#include <string>

#include "base/metrics.hpp"
#include "rules/money.hpp"
#include "rules/users.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/money.hpp"

namespace {

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Account caller = concert::authenticate_account(request, deps.config, deps.redis, deps.db);
    std::string user_id = concert::user_id_from_path(request.path);
    concert::require_own(caller, user_id);
    std::int64_t amount = concert::parse_charge_request(request.body);
    concert::KeyedRequest keyed{user_id, concert::idempotency_key(request), concert::charge_fingerprint(user_id, amount)};

    concert::Written charged = concert::charge_balance(deps.db, keyed, amount, caller);
    if (charged.committed) concert::metrics::charge(amount);
    return concert::written_response(charged);
}

}  // namespace

int main() { return concert::serve("users_charge", handle, concert::require_token_secret); }
