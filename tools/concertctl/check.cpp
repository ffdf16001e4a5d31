#include "check.hpp"

#include "base/json.hpp"
#include "rules/catalog.hpp"
#include "rules/holds.hpp"
#include "rules/sql_rules.hpp"

namespace concert {

namespace {

struct Invariant {
    const char* name;
    std::string query;  // selects the ids that break it (or, for a count, the count)
};

const std::string kHeldSeat = std::string("SELECT COUNT(*) FROM seats s WHERE ") + kHoldIsLive;

const Invariant kInvariants[] = {
    {"seatsSoldTwice",
     "SELECT r.seat_id FROM payment_reservations pr JOIN reservations r ON r.id = pr.reservation_id "
     "GROUP BY r.seat_id HAVING COUNT(*) > 1 LIMIT 20"},
    {"seatsHeldTwice",
     std::string("SELECT r.seat_id FROM reservations r WHERE ") + kReservationIsLive +
         " GROUP BY r.seat_id HAVING COUNT(*) > 1 LIMIT 20"},
    {"heldSeatsWithoutTheirReservation",
     std::string("SELECT s.id FROM seats s WHERE ") + kHoldIsLive +
         " AND NOT EXISTS (SELECT 1 FROM reservations r WHERE r.seat_id = s.id "
         "AND r.status = 'TEMPORARILY_RESERVED' AND " + kSeatHeldByReservation + ") LIMIT 20"},
    {"soldSeatsWithoutExactlyOnePayment",
     "SELECT s.id FROM seats s LEFT JOIN (SELECT r.seat_id, COUNT(*) AS n FROM payment_reservations pr "
     "JOIN reservations r ON r.id = pr.reservation_id GROUP BY r.seat_id) pc ON pc.seat_id = s.id "
     "WHERE s.status = 'SOLD' AND COALESCE(pc.n, 0) <> 1 LIMIT 20"},
    {"paymentsNotMatchingTheirSeats",
     "SELECT DISTINCT p.id FROM payments p JOIN payment_reservations pr ON pr.payment_id = p.id "
     "JOIN reservations r ON r.id = pr.reservation_id JOIN seats s ON s.id = r.seat_id "
     "WHERE s.status <> 'SOLD' OR s.holder_id <> p.user_id OR r.status <> 'PAID' OR r.user_id <> p.user_id LIMIT 20"},
    {"paymentsNotEqualToTheirSeatsPrices",
     "SELECT p.id FROM payments p LEFT JOIN (SELECT pr.payment_id, SUM(r.price) AS total, COUNT(*) AS n "
     "FROM payment_reservations pr JOIN reservations r ON r.id = pr.reservation_id GROUP BY pr.payment_id) o "
     "ON o.payment_id = p.id WHERE COALESCE(o.n, 0) = 0 OR p.amount <> o.total LIMIT 20"},
    {"balancesNotEqualToLedger",
     "SELECT u.id FROM users u LEFT JOIN (SELECT user_id, SUM(amount) AS total FROM balance_ledger "
     "GROUP BY user_id) l ON l.user_id = u.id WHERE u.balance <> COALESCE(l.total, 0) LIMIT 20"},
    {"negativeBalances", "SELECT id FROM users WHERE balance < 0 LIMIT 20"},
};

const Invariant kCounts[] = {
    {"users", "SELECT COUNT(*) FROM users"},
    {"seats", "SELECT COUNT(*) FROM seats"},
    {"heldSeats", kHeldSeat},
    {"soldSeats", "SELECT COUNT(*) FROM seats WHERE status = 'SOLD'"},
    {"payments", "SELECT COUNT(*) FROM payments"},
    {"ledgerRows", "SELECT COUNT(*) FROM balance_ledger"},
};

}  // namespace

CheckReport check_invariants(Db& db) {
    CheckReport report;
    JsonPtr out = new_object();
    cJSON* counts = cJSON_AddObjectToObject(out.get(), "counts");
    cJSON* violations = cJSON_AddObjectToObject(out.get(), "violations");

    // One snapshot for every query, so that activity during the check can
    // never look like a violation (a balance and its ledger read apart).
    db.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ", [](sql::PreparedStatement& st) { return st.execute(); });
    db.run("START TRANSACTION WITH CONSISTENT SNAPSHOT", [](sql::PreparedStatement& st) { return st.execute(); });
    for (const Invariant& c : kCounts) {
        db.run(c.query, [&](sql::PreparedStatement& st) {
            ResultPtr rs(st.executeQuery());
            rs->next();
            add_int(counts, c.name, rs->getInt64(1));
            return 0;
        });
    }
    for (const Invariant& inv : kInvariants) {
        cJSON* ids = cJSON_AddArrayToObject(violations, inv.name);
        db.run(inv.query, [&](sql::PreparedStatement& st) {
            ResultPtr rs(st.executeQuery());
            while (rs->next()) {
                cJSON_AddItemToArray(ids, cJSON_CreateString(rs->getString(1).c_str()));
                report.ok = false;
            }
            return 0;
        });
    }
    db.run("COMMIT", [](sql::PreparedStatement& st) { return st.execute(); });
    cJSON_AddBoolToObject(out.get(), "ok", report.ok);
    report.json = to_text(out.get());
    return report;
}

}  // namespace concert
