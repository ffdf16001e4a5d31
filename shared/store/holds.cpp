#include "store/holds.hpp"

#include <optional>

#include "base/uuid.hpp"
#include "rules/catalog.hpp"
#include "rules/sql_rules.hpp"
#include "store/retry.hpp"

namespace concert {

namespace {

constexpr int kAttempts = 5;

// --- hold -------------------------------------------------------------------------

// One statement, so the seat, the user's version and the user's hold count
// come from one consistent read — and the hold's expiry (database now plus
// hold.seconds), so the transaction below needs no read of its own.
const std::string kLookup = std::string(
    "SELECT c.id IS NOT NULL, d.id IS NOT NULL, d.play_date < CURRENT_DATE(), d.total_seats, "
    "s.id, s.version, COALESCE(") + kSeatIsFree + ", 0), u.version, "
    // The caller's live holds; this `s` (the counted seats) hides the outer one.
    "(SELECT COUNT(*) FROM seats s WHERE s.holder_id = u.id AND " + kHoldIsLive + "), "
    "COALESCE(" + kHoldLapsed + ", 0), s.price, "
    "DATE_FORMAT(NOW(3) + INTERVAL ? SECOND, '%Y-%m-%d %H:%i:%s.%f') "
    "FROM users u LEFT JOIN concerts c ON c.id = ? "
    "LEFT JOIN concert_dates d ON d.concert_id = c.id AND d.play_date = ? "
    "LEFT JOIN seats s ON s.concert_date_id = d.id AND s.seat_number = ? WHERE u.id = ?";

// The write, in one round trip: sql/procedures/place_hold.sql takes the seat
// and bumps the user's version in one guarded UPDATE (2 rows or none),
// retires a lapsed hold's reservation and inserts the new one.
constexpr const char* kHoldSeat = "CALL place_hold(?, ?, ?, ?, ?, ?, ?, ?)";

struct Seat {
    SeatLookup lookup;
    std::int64_t id = 0;
    std::int64_t version = 0;
    std::int64_t user_version = 0;
    bool lapsed_hold = false;  // by kHoldLapsed: retire its reservation
    std::int64_t price = 0;
    std::string expires_at;    // "YYYY-MM-DD hh:mm:ss.ffffff", database clock
};

Seat look_up(Db& db, const HoldRequest& hold, const std::string& user_id, std::int64_t hold_seconds) {
    Seat seat;
    bool user_found = db.run(kLookup, [&](sql::PreparedStatement& st) {
        st.setInt64(1, hold_seconds);
        st.setInt64(2, hold.concert_id);
        st.setString(3, format_date(hold.date));
        st.setInt64(4, hold.seat_number);
        st.setString(5, user_id);
        ResultPtr rs(st.executeQuery());
        if (!rs->next()) return false;
        SeatLookup& l = seat.lookup;
        l.concert_exists = rs->getBoolean(1);
        l.date_exists = rs->getBoolean(2);
        l.date_past = !rs->isNull(3) && rs->getBoolean(3);
        l.total_seats = rs->isNull(4) ? 0 : rs->getInt64(4);
        l.seat_exists = !rs->isNull(5);
        seat.id = l.seat_exists ? static_cast<std::int64_t>(rs->getUInt64(5)) : 0;
        seat.version = l.seat_exists ? static_cast<std::int64_t>(rs->getUInt64(6)) : 0;
        l.seat_free = rs->getBoolean(7);
        seat.user_version = static_cast<std::int64_t>(rs->getUInt64(8));
        l.user_holds = rs->getInt64(9);
        seat.lapsed_hold = l.seat_exists && rs->getBoolean(10);
        seat.price = l.seat_exists ? rs->getInt64(11) : 0;
        seat.expires_at = rs->getString(12);
        return true;
    });
    if (!user_found) throw HttpError{401, "Invalid token"};
    return seat;
}

// --- cancel -----------------------------------------------------------------------

const std::string kReadReservation = std::string(
    "SELECT r.user_id, r.status, r.version, ") + kReservationLapsed + ", s.id, s.version "
    "FROM reservations r JOIN seats s ON s.id = r.seat_id WHERE r.id = ?";

// The write, in one round trip: sql/procedures/cancel_hold.sql makes the
// reservation CANCELLED and frees its seat, or neither (guarded by both
// versions and the hold still live).
constexpr const char* kCancelHold = "CALL cancel_hold(?, ?, ?, ?)";

struct Reservation {
    CancelLookup lookup;
    std::int64_t version = 0;
    std::int64_t seat_id = 0;
    std::int64_t seat_version = 0;
};

Reservation read_reservation(Db& db, const std::string& reservation_id, const std::string& caller) {
    Reservation found;
    db.run(kReadReservation, [&](sql::PreparedStatement& st) {
        st.setString(1, reservation_id);
        ResultPtr rs(st.executeQuery());
        if (!rs->next()) return 0;
        found.lookup.mine = std::string(rs->getString(1)) == caller;
        found.lookup.status = rs->getString(2);
        found.version = static_cast<std::int64_t>(rs->getUInt64(3));
        found.lookup.lapsed = rs->getBoolean(4);
        found.seat_id = static_cast<std::int64_t>(rs->getUInt64(5));
        found.seat_version = static_cast<std::int64_t>(rs->getUInt64(6));
        return 0;
    });
    return found;
}

}  // namespace

HoldMade hold_seat(Db& db, const HoldRequest& hold, const std::string& user_id, std::int64_t hold_seconds,
                   std::int64_t max_per_user) {
    return with_retries(db, "hold", kAttempts, [&](int) -> std::optional<HoldMade> {
        Seat seat = look_up(db, hold, user_id, hold_seconds);
        check_hold(seat.lookup, hold.seat_number, max_per_user);

        HoldMade made{new_uuid(), seat.price, seat.expires_at};
        bool held = db.call(kHoldSeat, [&](sql::PreparedStatement& st) {
            st.setInt64(1, seat.id);
            st.setInt64(2, seat.version);
            st.setString(3, user_id);
            st.setInt64(4, seat.user_version);
            st.setString(5, seat.expires_at);
            st.setBoolean(6, seat.lapsed_hold);
            st.setString(7, made.reservation_id);
            st.setInt64(8, seat.price);
        });
        // Not held: someone took the seat (or a sweep tidied it), or the
        // caller's own other request won, since the read: the next read
        // tells which, and answers 409 if the seat is taken.
        if (!held) return std::nullopt;
        db.commit();
        return made;
    });
}

bool cancel_hold(Db& db, const std::string& reservation_id, const std::string& user_id) {
    return with_retries(db, "cancel", kAttempts, [&](int) -> std::optional<bool> {
        Reservation found = read_reservation(db, reservation_id, user_id);
        if (!must_cancel(found.lookup)) return false;
        bool cancelled = db.call(kCancelHold, [&](sql::PreparedStatement& st) {
            st.setString(1, reservation_id);
            st.setInt64(2, found.version);
            st.setInt64(3, found.seat_id);
            st.setInt64(4, found.seat_version);
        });
        // Paid, swept, lapsed or cancelled since the read: read again.
        if (!cancelled) return std::nullopt;
        db.commit();
        return true;
    });
}

}  // namespace concert
