// POST /api/v1/payments {reservationId} (ACTIVE) [Idempotency-Key]
//     -> 200 {paymentId, reservationId, userId, amount, status: "COMPLETED", paidAt}
//      | 400 | 401 | 402 | 403 | 404 | 409 | 503
//
// Pays the caller's own unexpired hold with its price, in one transaction:
// balance debited, seat SOLD, reservation PAID (one UPDATE whose every row
// is guarded by the version read just before), payment row, ledger row; any
// change in between rolls the whole thing back. Then the queue token is EXPIRED; if
// Redis fails at that moment the payment still stands (the token lapses by
// its active time).

#include <string>

#include "../shared/auth.hpp"
#include "../shared/holds.hpp"
#include "../shared/idempotency.hpp"
#include "../shared/json.hpp"
#include "../shared/log.hpp"
#include "../shared/money.hpp"
#include "../shared/queue.hpp"
#include "../shared/runtime.hpp"
#include "../shared/uuid.hpp"

namespace {

constexpr int kAttempts = 16;

// The reservation, its seat and the payer, in one consistent read.
constexpr const char* kRead =
    "SELECT r.user_id = u.id, r.status, r.version, r.expires_at <= NOW(3), r.price, "
    "s.id, s.version, u.balance, u.version, DATE_FORMAT(NOW(3), '%Y-%m-%d %H:%i:%s.%f') "
    "FROM users u LEFT JOIN reservations r ON r.id = ? LEFT JOIN seats s ON s.id = r.seat_id WHERE u.id = ?";

// One statement debits the payer, sells the seat and marks the hold PAID,
// or does none of it: each row is found by primary key and guarded by the
// version read before (and the seat and hold by still being live), so it
// changes 3 rows or none.
constexpr const char* kPay =
    "UPDATE users u JOIN reservations r ON r.id = ? JOIN seats s ON s.id = ? "
    "SET u.balance = ?, u.version = u.version + 1, "
    "s.status = 'SOLD', s.hold_expires_at = NULL, s.version = s.version + 1, "
    "r.status = 'PAID', r.version = r.version + 1 "
    "WHERE u.id = ? AND u.version = ? "
    "AND s.version = ? AND s.status = 'HELD' AND s.holder_id = u.id AND s.hold_expires_at > NOW(3) "
    "AND r.version = ? AND r.status = 'TEMPORARILY_RESERVED' AND r.expires_at > NOW(3)";
constexpr const char* kInsertPayment =
    "INSERT INTO payments (id, reservation_id, user_id, amount, paid_at) VALUES (?, ?, ?, ?, ?)";
constexpr const char* kLedger =
    "INSERT INTO balance_ledger (user_id, kind, amount, balance_after, payment_id, created_at) "
    "VALUES (?, 'PAYMENT', ?, ?, ?, ?)";

struct State {
    bool mine = false;
    std::string status;
    std::int64_t version = 0;
    bool lapsed = false;
    std::int64_t price = 0;
    std::int64_t seat_id = 0;
    std::int64_t seat_version = 0;
    std::int64_t balance = 0;
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
        s.mine = !rs->isNull(1) && rs->getBoolean(1);
        if (s.mine) {
            s.status = rs->getString(2);
            s.version = static_cast<std::int64_t>(rs->getUInt64(3));
            s.lapsed = rs->getBoolean(4);
            s.price = rs->getInt64(5);
            s.seat_id = static_cast<std::int64_t>(rs->getUInt64(6));
            s.seat_version = static_cast<std::int64_t>(rs->getUInt64(7));
        }
        s.balance = rs->getInt64(8);
        s.user_version = static_cast<std::int64_t>(rs->getUInt64(9));
        s.now = rs->getString(10);
        return 0;
    });
    return s;
}

// The contract's error for a reservation that cannot be paid, if any.
void check_payable(const State& s) {
    if (!s.mine) throw concert::HttpError{404, "Reservation not found"};
    if (s.status == "PAID") throw concert::HttpError{409, "Reservation is already paid"};
    if (s.status != "TEMPORARILY_RESERVED" || s.lapsed) throw concert::HttpError{400, "Reservation has expired"};
    if (s.balance < s.price) throw concert::HttpError{402, "Insufficient balance"};
}

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Auth auth = concert::authenticate(request, deps);
    std::string reservation_id = concert::parse_payment_request(request.body);
    std::optional<std::string> key = concert::idempotency_key(request);
    std::string fingerprint = concert::request_fingerprint("payment", reservation_id);
    // A retry of a payment that went through answers as the first time did,
    // although that payment has since made this token EXPIRED.
    if (key) {
        if (auto first = concert::replay(deps.db, auth.user_id, *key, fingerprint)) return *first;
    }
    concert::require_active(auth);

    return concert::with_retries(deps.db, "payment", kAttempts, [&](int attempt) -> std::optional<concert::Response> {
        // A retry with the same key may have waited on the first request's
        // row lock and lost to it: once that one committed, answer as it did.
        if (key && attempt > 0) {
            if (auto first = concert::replay(deps.db, auth.user_id, *key, fingerprint)) return first;
        }
        State s = read_state(deps.db, reservation_id, auth.user_id);
        try {
            check_payable(s);
        } catch (const concert::HttpError& e) {
            // Paid meanwhile by the first request with this very key.
            if (key && e.status == 409) {
                if (auto first = concert::replay(deps.db, auth.user_id, *key, fingerprint)) return first;
            }
            throw;
        }
        std::int64_t new_balance = s.balance - s.price;
        std::string payment_id = concert::new_uuid();

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
                st.setInt64(4, s.price);
                st.setString(5, s.now);
            });
        } catch (const sql::SQLException& e) {
            if (e.getErrorCode() != concert::kErrDuplicateKey) throw;
            deps.db.rollback();
            throw concert::HttpError{409, "Reservation is already paid"};
        }
        deps.db.execute(kLedger, [&](sql::PreparedStatement& st) {
            st.setString(1, auth.user_id);
            st.setInt64(2, -s.price);
            st.setInt64(3, new_balance);
            st.setString(4, payment_id);
            st.setString(5, s.now);
        });
        concert::JsonPtr out = concert::new_object();
        concert::add_string(out.get(), "paymentId", payment_id);
        concert::add_string(out.get(), "reservationId", reservation_id);
        concert::add_string(out.get(), "userId", auth.user_id);
        concert::add_int(out.get(), "amount", s.price);
        concert::add_string(out.get(), "status", "COMPLETED");
        concert::add_string(out.get(), "paidAt", concert::iso_instant(s.now));
        concert::Response response = concert::json_response(200, concert::to_text(out.get()));
        // The same key may have won in another process meanwhile: then
        // answer as it did, with no second effect.
        if (key && !concert::remember(deps.db, auth.user_id, *key, fingerprint, response)) return response;
        deps.db.commit();

        try {
            concert::queue_expire(deps.redis, auth.ticket, auth.user_id);
        } catch (const std::exception& e) {
            concert::log_line("payment " + payment_id + " stands; its queue ticket " + std::to_string(auth.ticket) +
                              " could not be expired now (" + e.what() + ") and lapses by its active time");
        }
        return response;
    });
}

}  // namespace

int main() { return concert::serve("payments_create", handle); }
