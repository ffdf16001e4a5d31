// POST /api/v1/payments {reservationId} (ACTIVE, the hold's room) [Idempotency-Key]
//     -> 200 {paymentId, reservationId, userId, amount, status: "COMPLETED", paidAt}
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
// Pays the caller's own unexpired hold with its price, in one transaction:
// balance debited, seat SOLD, reservation PAID (one UPDATE whose every row
// is guarded by the version read just before), payment row, ledger row; any
// change in between rolls the whole thing back. Then the queue token is
// EXPIRED; if Redis fails at that moment the payment still stands (the token
// lapses by its active time). The Idempotency-Key steps are
// idempotent_write()'s (store/idempotency.hpp); the order of the refusals
// is check_payable()'s (rules/money.hpp).

#include <chrono>
#include <string>
#include <thread>

#include "base/crypto.hpp"
#include "base/json.hpp"
#include "base/text.hpp"
#include "base/log.hpp"
#include "base/uuid.hpp"
#include "rules/catalog.hpp"
#include "rules/holds.hpp"
#include "rules/money.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/idempotency.hpp"
#include "store/queue.hpp"

namespace {

constexpr int kAttempts = 16;
// A claim outlives any payment (16 attempts, each bounded by the database's
// timeouts) yet lets a ticket whose worker died pay again within a minute.
constexpr std::int64_t kClaimMs = 60000;
// How long a retry with the same key waits for the payment in flight.
constexpr int kSameKeyWaitSeconds = 10;

// The reservation, its seat and the payer, in one consistent read.
constexpr const char* kRead =
    "SELECT r.user_id = u.id, r.status, r.version, r.expires_at <= NOW(3), r.price, "
    "s.id, s.version, u.balance, u.version, DATE_FORMAT(NOW(3), '%Y-%m-%d %H:%i:%s.%f'), d.concert_id "
    "FROM users u LEFT JOIN reservations r ON r.id = ? LEFT JOIN seats s ON s.id = r.seat_id "
    "LEFT JOIN concert_dates d ON d.id = s.concert_date_id WHERE u.id = ?";

// One statement debits the payer, sells the seat and marks the hold PAID,
// or does none of it: each row is found by primary key and guarded by the
// version read before (and the seat and hold by still being live), so it
// changes 3 rows or none.
const std::string kPay = std::string(
    "UPDATE users u JOIN reservations r ON r.id = ? JOIN seats s ON s.id = ? "
    "SET u.balance = ?, u.version = u.version + 1, "
    "s.status = 'SOLD', s.hold_expires_at = NULL, s.version = s.version + 1, "
    "r.status = 'PAID', r.version = r.version + 1 "
    "WHERE u.id = ? AND u.version = ? "
    "AND s.version = ? AND s.holder_id = u.id AND ") + concert::kHoldIsLive +
    " AND r.version = ? AND " + concert::kReservationIsLive;
constexpr const char* kInsertPayment =
    "INSERT INTO payments (id, reservation_id, user_id, admission, amount, paid_at) VALUES (?, ?, ?, ?, ?, ?)";
constexpr const char* kLedger =
    "INSERT INTO balance_ledger (user_id, kind, amount, balance_after, payment_id, created_at) "
    "VALUES (?, 'PAYMENT', ?, ?, ?, ?)";

// The read's answer: what check_payable() decides on, and the versions and
// ids the guarded UPDATE needs.
struct State {
    concert::PaymentLookup lookup;
    std::int64_t version = 0;
    std::int64_t seat_id = 0;
    std::int64_t seat_version = 0;
    std::int64_t user_version = 0;
    std::string now;  // the database's clock at the read: paidAt
};

State read_state(concert::Db& db, const std::string& reservation_id, const std::string& user_id) {
    State s;
    db.run(kRead, [&](sql::PreparedStatement& st) {
        st.setString(1, reservation_id);
        st.setString(2, user_id);
        concert::ResultPtr rs(st.executeQuery());
        if (!rs->next()) throw concert::HttpError{401, "Invalid token"};
        concert::PaymentLookup& l = s.lookup;
        l.mine = !rs->isNull(1) && rs->getBoolean(1);
        if (l.mine) {
            l.status = rs->getString(2);
            s.version = static_cast<std::int64_t>(rs->getUInt64(3));
            l.lapsed = rs->getBoolean(4);
            l.price = rs->getInt64(5);
            s.seat_id = static_cast<std::int64_t>(rs->getUInt64(6));
            s.seat_version = static_cast<std::int64_t>(rs->getUInt64(7));
            l.concert_id = static_cast<std::int64_t>(rs->getUInt64(11));
        }
        l.balance = rs->getInt64(8);
        s.user_version = static_cast<std::int64_t>(rs->getUInt64(9));
        s.now = rs->getString(10);
        return 0;
    });
    return s;
}

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

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    // The ticket's status is the claim's to check, in the same Redis step.
    concert::TokenClaims auth = concert::token_claims(request, deps.config);
    std::string reservation_id = concert::parse_payment_request(request.body);
    concert::KeyedRequest keyed{auth.user_id, concert::idempotency_key(request),
                                concert::request_fingerprint("payment", reservation_id)};

    // The admission this token is: one order each, also in the database.
    const std::string admission =
        std::to_string(auth.concert_id) + ":" + std::to_string(auth.ticket) + ":" + std::to_string(auth.issued_at);
    std::string payment_id;  // of the attempt that paid, for the log
    TicketClaim ticket(deps.redis, {auth.concert_id, auth.ticket, auth.user_id});
    auto admit = [&] { return ticket.claim(deps.db, keyed); };
    auto pay = [&](int) -> std::optional<concert::Response> {
        State s = read_state(deps.db, reservation_id, auth.user_id);
        concert::check_payable(s.lookup, auth.concert_id);
        std::int64_t price = s.lookup.price;
        std::int64_t new_balance = s.lookup.balance - price;
        payment_id = concert::new_uuid();

        deps.db.begin();
        if (deps.db.execute(kPay, [&](sql::PreparedStatement& st) {
                st.setString(1, reservation_id);
                st.setInt64(2, s.seat_id);
                st.setInt64(3, new_balance);
                st.setString(4, auth.user_id);
                st.setInt64(5, s.user_version);
                st.setInt64(6, s.seat_version);
                st.setInt64(7, s.version);
            }) != 3) {
            // A charge or another request of the user, a concurrent payment,
            // or the hold lapsed since the read: the next read says which,
            // and answers with that error (or pays, if only the balance moved).
            deps.db.rollback();
            return std::nullopt;
        }
        try {
            deps.db.execute(kInsertPayment, [&](sql::PreparedStatement& st) {
                st.setString(1, payment_id);
                st.setString(2, reservation_id);
                st.setString(3, auth.user_id);
                st.setString(4, admission);
                st.setInt64(5, price);
                st.setString(6, s.now);
            });
        } catch (const sql::SQLException& e) {
            if (e.getErrorCode() != concert::kErrDuplicateKey) throw;
            // Which unique key: this admission paid another order already
            // (Redis lost its claim or the ticket's end), or the hold was paid.
            if (std::string(e.what()).find("payments_one_per_admission") != std::string::npos) {
                throw concert::HttpError{403, "Queue token is not active"};
            }
            throw concert::HttpError{409, "Reservation is already paid"};
        }
        deps.db.execute(kLedger, [&](sql::PreparedStatement& st) {
            st.setString(1, auth.user_id);
            st.setInt64(2, -price);
            st.setInt64(3, new_balance);
            st.setString(4, payment_id);
            st.setString(5, s.now);
        });
        concert::JsonPtr out = concert::new_object();
        concert::add_string(out.get(), "paymentId", payment_id);
        concert::add_string(out.get(), "reservationId", reservation_id);
        concert::add_string(out.get(), "userId", auth.user_id);
        concert::add_int(out.get(), "amount", price);
        concert::add_string(out.get(), "status", "COMPLETED");
        concert::add_string(out.get(), "paidAt", concert::iso_instant(s.now));
        return concert::json_response(200, concert::to_text(out.get()));
    };
    concert::Written paid = concert::idempotent_write(deps.db, keyed, "payment", kAttempts, admit, pay);

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
