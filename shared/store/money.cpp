#include "store/money.hpp"

#include "base/json.hpp"
#include "base/uuid.hpp"
#include "rules/catalog.hpp"
#include "rules/holds.hpp"
#include "rules/money.hpp"
#include "rules/sql_rules.hpp"

namespace concert {

namespace {

// --- charge ---------------------------------------------------------------------

constexpr int kChargeAttempts = 64;

// The balance, its version, and the database's now for chargedAt.
constexpr const char* kReadBalance =
    "SELECT balance, version, DATE_FORMAT(NOW(3), '%Y-%m-%d %H:%i:%s.%f') FROM users WHERE id = ?";
// The write, in one round trip: sql/procedures/charge_balance.sql sets the
// balance if its version is still the one read, adds the ledger row, and
// leaves the transaction open for idempotent_write() to finish.
constexpr const char* kWriteCharge = "CALL charge_balance(?, ?, ?, ?, ?)";

// --- payment --------------------------------------------------------------------

constexpr int kPayAttempts = 16;

// "?, ?, ..." for n parameters.
std::string placeholders(std::size_t n) {
    std::string out;
    for (std::size_t i = 0; i < n; ++i) out += i == 0 ? "?" : ", ?";
    return out;
}

// The payer (balance, version, the database's now for paidAt) and the
// order's reservations with their seats and concerts, in one read: a row
// for each reservation found, or one with no reservation if none is. The
// text depends only on how many ids: the prepared statement is reused.
std::string read_query(std::size_t n) {
    return "SELECT u.balance, u.version, DATE_FORMAT(NOW(3), '%Y-%m-%d %H:%i:%s.%f'), "
           "r.id, r.user_id = u.id, r.status, r.version, " + std::string(kReservationLapsed) +
           ", r.price, s.version, d.concert_id "
           "FROM users u LEFT JOIN reservations r ON r.id IN (" + placeholders(n) + ") "
           "LEFT JOIN seats s ON s.id = r.seat_id LEFT JOIN concert_dates d ON d.id = s.concert_date_id "
           "WHERE u.id = ?";
}

// The write, in one round trip: sql/procedures/pay_order.sql debits the
// payer if the balance's version is still the one read, sells each hold of
// the order if its and its seat's versions are (each still live and the
// payer's), records the payment, what it paid and the ledger row, and
// leaves the transaction open for idempotent_write() to finish.
constexpr const char* kPayOrder = "CALL pay_order(?, ?, ?, ?, ?, ?, ?, ?)";

// One hold as read: what check_order() decides on, and the versions the
// guarded UPDATE needs.
struct Hold {
    PaymentLookup lookup;
    std::int64_t version = 0;
    std::int64_t seat_version = 0;
};

// The read's answer, in the order's order.
struct State {
    std::vector<Hold> holds;
    std::int64_t balance = 0;
    std::int64_t user_version = 0;
    std::string now;  // the database's clock at the read: paidAt
};

State read_state(Db& db, const std::vector<std::string>& ids, const std::string& user_id) {
    State s;
    s.holds.resize(ids.size());  // an id the read does not find stays "not mine"
    bool payer_found = false;
    db.run(read_query(ids.size()), [&](sql::PreparedStatement& st) {
        unsigned k = 1;
        for (const std::string& id : ids) st.setString(k++, id);
        st.setString(k, user_id);
        ResultPtr rs(st.executeQuery());
        while (rs->next()) {
            payer_found = true;
            s.balance = rs->getInt64(1);
            s.user_version = static_cast<std::int64_t>(rs->getUInt64(2));
            s.now = rs->getString(3);
            if (rs->isNull(4)) continue;
            std::string id = rs->getString(4);
            for (std::size_t i = 0; i < ids.size(); ++i) {
                if (ids[i] != id) continue;
                Hold& h = s.holds[i];
                h.lookup.mine = rs->getBoolean(5);
                h.lookup.status = rs->getString(6);
                h.version = static_cast<std::int64_t>(rs->getUInt64(7));
                h.lookup.lapsed = rs->getBoolean(8);
                h.lookup.price = rs->getInt64(9);
                h.seat_version = static_cast<std::int64_t>(rs->getUInt64(10));
                h.lookup.concert_id = static_cast<std::int64_t>(rs->getUInt64(11));
            }
        }
        return 0;
    });
    if (!payer_found) throw HttpError{401, "Invalid token"};
    return s;
}

}  // namespace

Written charge_balance(Db& db, const KeyedRequest& keyed, std::int64_t amount, const Account& caller) {
    const std::string& user_id = keyed.user_id;
    auto admit = [&]() -> std::optional<Answer> {
        require_live(caller);
        return std::nullopt;
    };
    auto charge = [&](int) -> std::optional<Answer> {
        std::int64_t balance = 0, version = 0;
        std::string now;
        db.run(kReadBalance, [&](sql::PreparedStatement& st) {
            st.setString(1, user_id);
            ResultPtr rs(st.executeQuery());
            if (!rs->next()) throw HttpError{404, "User not found"};
            balance = rs->getInt64(1);
            version = static_cast<std::int64_t>(rs->getUInt64(2));
            now = rs->getString(3);
            return 0;
        });
        std::int64_t new_balance = balance_after_charge(balance, amount);

        if (!db.call(kWriteCharge, [&](sql::PreparedStatement& st) {
                st.setString(1, user_id);
                st.setInt64(2, version);
                st.setInt64(3, new_balance);
                st.setInt64(4, amount);
                st.setString(5, now);
            })) {
            return std::nullopt;  // a concurrent charge or payment of this user won: read again
        }
        return Answer{200, charge_answer(user_id, amount, new_balance, now)};
    };
    return idempotent_write(db, keyed, "charge", kChargeAttempts, admit, charge);
}

Payment pay_order(Db& db, const KeyedRequest& keyed, const Order& order, TicketClaim* ticket) {
    const std::vector<std::string>& ids = order.reservation_ids;
    Payment made;
    auto admit = [&]() -> std::optional<Answer> {
        if (ticket == nullptr) return std::nullopt;
        return ticket->claim(db, keyed);
    };
    auto pay = [&](int) -> std::optional<Answer> {
        State s = read_state(db, ids, order.user_id);
        std::vector<PaymentLookup> lookups;
        for (const Hold& h : s.holds) lookups.push_back(h.lookup);
        std::int64_t total = check_order(lookups, order.concert_id, s.balance);
        std::string payment_id = new_uuid();

        // [[reservation id, its version, its seat's version], ...] as read.
        JsonPtr holds(cJSON_CreateArray());
        for (std::size_t i = 0; i < ids.size(); ++i) {
            cJSON* hold = cJSON_CreateArray();
            cJSON_AddItemToArray(hold, cJSON_CreateString(ids[i].c_str()));
            cJSON_AddItemToArray(hold, cJSON_CreateNumber(static_cast<double>(s.holds[i].version)));
            cJSON_AddItemToArray(hold, cJSON_CreateNumber(static_cast<double>(s.holds[i].seat_version)));
            cJSON_AddItemToArray(holds.get(), hold);
        }
        bool paid_now = false;
        try {
            paid_now = db.call(kPayOrder, [&](sql::PreparedStatement& st) {
                st.setString(1, order.user_id);
                st.setInt64(2, s.user_version);
                st.setInt64(3, s.balance - total);
                st.setString(4, to_text(holds.get()));
                st.setString(5, payment_id);
                st.setString(6, order.admission);
                st.setInt64(7, total);
                st.setString(8, s.now);
            });
        } catch (const sql::SQLException& e) {
            if (e.getErrorCode() != kErrDuplicateKey) throw;
            // Which unique key: this admission paid another order already
            // (Redis lost its claim or the ticket's end), or a hold was paid.
            if (std::string(e.what()).find("payments_one_per_admission") != std::string::npos) {
                throw HttpError{403, "Queue token is not active"};
            }
            throw HttpError{409, "Reservation is already paid"};
        }
        // Not paid: a charge or another request of the user, a concurrent
        // payment or cancel, or a hold lapsed since the read: the next read
        // says which, and answers with that error (or pays, if only the
        // balance moved).
        if (!paid_now) return std::nullopt;
        made.payment_id = payment_id;
        made.total = total;
        return Answer{200, payment_answer(payment_id, ids, order.user_id, total, s.now)};
    };
    made.written = idempotent_write(db, keyed, "payment", kPayAttempts, admit, pay);
    if (made.written.committed && ticket != nullptr) ticket->spend(made.payment_id);
    return made;
}

}  // namespace concert
