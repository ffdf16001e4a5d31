// POST /api/v1/payments {reservationIds: [...]} or {reservationId} (ACTIVE, the holds' room)
//     [Idempotency-Key]
//     -> 200 {paymentId, reservationId, reservationIds, userId, amount, status: "COMPLETED", paidAt}
//      | 400 | 401 | 402 | 403 | 404 | 409 | 415 | 503
//
// One order per admission: before anything else the payment claims its
// ticket in one Redis step (ACTIVE -> paying). Another payment with the same
// token meanwhile is 409 "Payment already in progress" (one with the same
// Idempotency-Key waits for the first's answer); success ends the ticket,
// anything else gives it back, and a claim lapses after a minute if its
// worker died. The database holds the same rule on its own (a unique
// admission per payment), so a claim Redis lost never lets a second order in.
//
// Pays an order of the caller's own unexpired holds (1 to hold.max_per_user)
// with the sum of their prices, all or nothing, in one transaction: balance
// debited once, every seat SOLD, every reservation PAID (one UPDATE whose
// every row is guarded by the version read just before), one payment row
// with its reservations, one ledger row; any change in between rolls the
// whole thing back: pay_order() (store/money.hpp). Then the queue token is
// EXPIRED; if Redis fails at that moment the payment still stands (the token
// lapses by its active time). The Idempotency-Key steps are
// idempotent_write()'s (store/idempotency.hpp); the order of the refusals
// is check_order()'s (rules/money.hpp).

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "base/crypto.hpp"
#include "base/json.hpp"
#include "base/metrics.hpp"
#include "base/text.hpp"
#include "base/log.hpp"
#include "base/uuid.hpp"
#include "rules/catalog.hpp"
#include "rules/money.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/idempotency.hpp"
#include "store/money.hpp"
#include "store/queue.hpp"
#include "store/settings.hpp"

namespace {

// A claim outlives any payment (16 attempts, each bounded by the database's
// timeouts) yet lets a ticket whose worker died pay again within a minute.
constexpr std::int64_t kClaimMs = 60000;
// How long a retry with the same key waits for the payment in flight.
constexpr int kSameKeyWaitSeconds = 10;

// The ticket's claim for this request's payment (one order per admission).
// Until paid (the ticket then ends, claim and all), leaving this scope
// gives the ticket back: the token is ACTIVE again for the next try.
class TicketClaim {
public:
    TicketClaim(concert::Redis& redis, concert::Ticket ticket) : redis_(redis), ticket_(std::move(ticket)) {}
    TicketClaim(const TicketClaim&) = delete;
    TicketClaim& operator=(const TicketClaim&) = delete;
    ~TicketClaim() {
        if (id_.empty()) return;
        try {
            concert::queue_release_payment(redis_, ticket_, id_);
        } catch (const std::exception& e) {  // the claim lapses by itself
            concert::log_line("payment claim on ticket " + std::to_string(ticket_.number) + " of room " +
                              std::to_string(ticket_.concert_id) + " not released (" + e.what() +
                              "); it lapses in " + std::to_string(kClaimMs / 1000) + " s");
        }
    }

    // Claims the ticket, or throws 403 (not ACTIVE) or 409 (another payment
    // is in flight). A payment in flight with this request's own key is
    // waited for: its answer, once stored, is returned instead.
    std::optional<concert::Response> claim(concert::Db& db, const concert::KeyedRequest& keyed) {
        std::string id = concert::new_uuid();
        std::string tag = keyed.key ? concert::hex_encode(concert::sha256(*keyed.key)).substr(0, 16) : "-";
        auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(kSameKeyWaitSeconds);
        for (;;) {
            concert::PaymentClaim c = concert::queue_claim_payment(redis_, ticket_, id, kClaimMs, tag);
            if (c.outcome == concert::ClaimOutcome::Claimed) {
                id_ = id;
                return std::nullopt;
            }
            if (c.outcome == concert::ClaimOutcome::NotActive) {
                // The ticket may have ended by the very payment this one
                // retries: it committed (its answer stored) before it ended.
                if (keyed.key) {
                    if (std::optional<concert::Response> first = concert::replay(db, keyed)) return first;
                }
                throw concert::HttpError{403, "Queue token is not active"};
            }
            if (tag == "-" || c.in_flight_tag != tag || std::chrono::steady_clock::now() > give_up) {
                throw concert::HttpError{409, "Payment already in progress"};
            }
            if (std::optional<concert::Response> first = concert::replay(db, keyed)) return first;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    }

    void paid() { id_.clear(); }  // the ticket ends with its claim

private:
    concert::Redis& redis_;
    concert::Ticket ticket_;
    std::string id_;  // the claim held, if any
};

// "a,b,c": the order's ids in a canonical order, for its fingerprint (the
// same holds in another order are the same request).
std::string canonical_ids(std::vector<std::string> ids) {
    std::sort(ids.begin(), ids.end());
    std::string out;
    for (const std::string& id : ids) out += (out.empty() ? "" : ",") + id;
    return out;
}

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    // The ticket's status is the claim's to check, in the same Redis step.
    concert::TokenClaims auth = concert::token_claims(request, deps.config);
    std::int64_t max_holds = concert::cached_settings(deps.redis).at("hold.max_per_user");
    std::vector<std::string> ids = concert::parse_payment_request(request.body, max_holds);
    concert::KeyedRequest keyed{auth.user_id, concert::idempotency_key(request),
                                concert::request_fingerprint("payment", canonical_ids(ids))};

    // The admission this token is: one order each, also in the database.
    const std::string admission =
        std::to_string(auth.concert_id) + ":" + std::to_string(auth.ticket) + ":" + std::to_string(auth.issued_at);
    std::string payment_id;  // of the attempt that paid, for the log
    TicketClaim ticket(deps.redis, {auth.concert_id, auth.ticket, auth.user_id});
    auto admit = [&] { return ticket.claim(deps.db, keyed); };
    std::int64_t paid_total = 0;  // what the committed attempt debited
    // Rendered inside the payment's transaction: with a key it is stored there.
    auto render = [&](const concert::Paid& p) {
        payment_id = p.payment_id;
        paid_total = p.total;
        concert::JsonPtr out = concert::new_object();
        concert::add_string(out.get(), "paymentId", p.payment_id);
        concert::add_string(out.get(), "reservationId", ids.front());
        cJSON* paid_ids = cJSON_AddArrayToObject(out.get(), "reservationIds");
        for (const std::string& id : ids) cJSON_AddItemToArray(paid_ids, cJSON_CreateString(id.c_str()));
        concert::add_string(out.get(), "userId", auth.user_id);
        concert::add_int(out.get(), "amount", p.total);
        concert::add_string(out.get(), "status", "COMPLETED");
        concert::add_string(out.get(), "paidAt", concert::iso_instant(p.paid_at));
        return concert::json_response(200, concert::to_text(out.get()));
    };
    concert::Order order{auth.user_id, auth.concert_id, admission, ids};
    concert::Written paid = concert::pay_order(deps.db, keyed, order, admit, render);
    if (paid.committed) concert::metrics::payment(static_cast<std::int64_t>(ids.size()), paid_total);

    // Only the request that paid ends the token (a replay's token may be a
    // newer one). If Redis fails now the payment stands and the token stays
    // ACTIVE until its active time runs out, but its admission is spent: the
    // database refuses a second order with it.
    if (paid.committed) {
        ticket.paid();
        try {
            concert::queue_expire(deps.redis, {auth.concert_id, auth.ticket, auth.user_id});
        } catch (const std::exception& e) {
            concert::log_line("payment " + payment_id + " stands; its queue ticket " +
                              std::to_string(auth.ticket) + " could not be expired now (" + e.what() +
                              ") and lapses by its active time");
        }
    }
    return paid.response;
}

}  // namespace

int main() { return concert::serve("payments_create", handle, concert::require_token_secret); }
