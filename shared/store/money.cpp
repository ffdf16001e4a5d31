#include "store/money.hpp"

#include "base/uuid.hpp"
#include "rules/catalog.hpp"
#include "rules/holds.hpp"
#include "rules/money.hpp"

namespace concert {

namespace {

// --- charge ---------------------------------------------------------------------

constexpr int kChargeAttempts = 64;

// The balance, its version, and the database's now for chargedAt.
constexpr const char* kReadBalance =
    "SELECT balance, version, DATE_FORMAT(NOW(3), '%Y-%m-%d %H:%i:%s.%f') FROM users WHERE id = ?";
// The write, in one round trip: sql/009_charge_procedure.sql sets the
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
           "r.id, r.user_id = u.id, r.status, r.version, r.expires_at <= NOW(3), r.price, s.version, d.concert_id "
           "FROM users u LEFT JOIN reservations r ON r.id IN (" + placeholders(n) + ") "
           "LEFT JOIN seats s ON s.id = r.seat_id LEFT JOIN concert_dates d ON d.id = s.concert_date_id "
           "WHERE u.id = ?";
}

// One statement debits the payer once, sells every seat and marks every
// hold PAID, or does none of it: each row is found by key and guarded by the
// version read before (and each seat and hold by still being live), so it
// changes 1 + 2n rows or none.
std::string pay_query(std::size_t n) {
    std::string guards;
    for (std::size_t i = 0; i < n; ++i) guards += std::string(i == 0 ? "" : " OR ") + "(r.id = ? AND r.version = ? AND s.version = ?)";
    return "UPDATE users u JOIN reservations r ON r.id IN (" + placeholders(n) + ") JOIN seats s ON s.id = r.seat_id "
           "SET u.balance = ?, u.version = u.version + 1, "
           "s.status = 'SOLD', s.hold_expires_at = NULL, s.version = s.version + 1, "
           "r.status = 'PAID', r.version = r.version + 1 "
           "WHERE u.id = ? AND u.version = ? AND s.holder_id = u.id AND " + std::string(kHoldIsLive) +
           " AND " + kReservationIsLive + " AND (" + guards + ")";
}

std::string link_query(std::size_t n) {
    std::string rows;
    for (std::size_t i = 0; i < n; ++i) rows += i == 0 ? "(?, ?)" : ", (?, ?)";
    return "INSERT INTO payment_reservations (payment_id, reservation_id) VALUES " + rows;
}

constexpr const char* kInsertPayment =
    "INSERT INTO payments (id, reservation_id, user_id, admission, amount, paid_at) VALUES (?, ?, ?, ?, ?, ?)";
constexpr const char* kPaymentLedger =
    "INSERT INTO balance_ledger (user_id, kind, amount, balance_after, payment_id, created_at) "
    "VALUES (?, 'PAYMENT', ?, ?, ?, ?)";

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

Written charge_balance(Db& db, const KeyedRequest& keyed, const std::string& user_id, std::int64_t amount,
                       const AdmitFn& admit, const std::function<Response(const Charged&)>& render) {
    auto charge = [&](int) -> std::optional<Response> {
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

        if (!db.call(kWriteCharge, Db::Ends::Open, [&](sql::PreparedStatement& st) {
                st.setString(1, user_id);
                st.setInt64(2, version);
                st.setInt64(3, new_balance);
                st.setInt64(4, amount);
                st.setString(5, now);
            })) {
            return std::nullopt;  // a concurrent charge or payment of this user won: read again
        }
        return render(Charged{new_balance, now});
    };
    return idempotent_write(db, keyed, "charge", kChargeAttempts, admit, charge);
}

Written pay_order(Db& db, const KeyedRequest& keyed, const Order& order, const AdmitFn& admit,
                  const std::function<Response(const Paid&)>& render) {
    const std::vector<std::string>& ids = order.reservation_ids;
    auto pay = [&](int) -> std::optional<Response> {
        State s = read_state(db, ids, order.user_id);
        std::vector<PaymentLookup> lookups;
        for (const Hold& h : s.holds) lookups.push_back(h.lookup);
        std::int64_t total = check_order(lookups, order.concert_id, s.balance);
        Paid paid{new_uuid(), total, s.balance - total, s.now};

        db.begin();
        if (db.execute(pay_query(ids.size()), [&](sql::PreparedStatement& st) {
                unsigned k = 1;
                for (const std::string& id : ids) st.setString(k++, id);
                st.setInt64(k++, paid.balance);
                st.setString(k++, order.user_id);
                st.setInt64(k++, s.user_version);
                for (std::size_t i = 0; i < ids.size(); ++i) {
                    st.setString(k++, ids[i]);
                    st.setInt64(k++, s.holds[i].version);
                    st.setInt64(k++, s.holds[i].seat_version);
                }
            }) != static_cast<int>(1 + 2 * ids.size())) {
            // A charge or another request of the user, a concurrent payment
            // or cancel, or a hold lapsed since the read: the next read says
            // which, and answers with that error (or pays, if only the
            // balance moved).
            db.rollback();
            return std::nullopt;
        }
        try {
            db.execute(kInsertPayment, [&](sql::PreparedStatement& st) {
                st.setString(1, paid.payment_id);
                st.setString(2, ids.front());
                st.setString(3, order.user_id);
                st.setString(4, order.admission);
                st.setInt64(5, total);
                st.setString(6, s.now);
            });
            db.execute(link_query(ids.size()), [&](sql::PreparedStatement& st) {
                unsigned k = 1;
                for (const std::string& id : ids) {
                    st.setString(k++, paid.payment_id);
                    st.setString(k++, id);
                }
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
        db.execute(kPaymentLedger, [&](sql::PreparedStatement& st) {
            st.setString(1, order.user_id);
            st.setInt64(2, -total);
            st.setInt64(3, paid.balance);
            st.setString(4, paid.payment_id);
            st.setString(5, s.now);
        });
        return render(paid);
    };
    return idempotent_write(db, keyed, "payment", kPayAttempts, admit, pay);
}

}  // namespace concert
