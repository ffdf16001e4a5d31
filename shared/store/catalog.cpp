#include "store/catalog.hpp"

#include "rules/catalog.hpp"
#include "rules/sql_rules.hpp"

namespace concert {

namespace {

// The date row (by its unique key) joined to its free seats, read in
// seat-number order straight from the (concert_date_id, seat_number) index.
const std::string kFreeSeats = std::string(
    "SELECT d.total_seats, d.play_date < CURRENT_DATE(), s.seat_number, s.price "
    "FROM concert_dates d JOIN seats s ON s.concert_date_id = d.id "
    "WHERE d.concert_id = ? AND d.play_date = ? AND ") +
    kSeatIsFree + " ORDER BY s.seat_number";
// Only when no free seat came back: is the date sold out, or not there?
constexpr const char* kDateOf =
    "SELECT d.total_seats, d.play_date < CURRENT_DATE() FROM concerts c "
    "LEFT JOIN concert_dates d ON d.concert_id = c.id AND d.play_date = ? WHERE c.id = ?";
constexpr const char* kConcertExists = "SELECT 1 FROM concerts WHERE id = ?";

}  // namespace

bool concert_exists(Db& db, std::int64_t concert_id) {
    return db.run(kConcertExists, [&](sql::PreparedStatement& st) {
        st.setInt64(1, concert_id);
        ResultPtr rs(st.executeQuery());
        return rs->next();
    });
}

DateSeats free_seats(Db& db, std::int64_t concert_id, const std::string& date) {
    DateSeats out;
    db.run(kFreeSeats, [&](sql::PreparedStatement& st) {
        st.setInt64(1, concert_id);
        st.setString(2, date);
        ResultPtr rs(st.executeQuery());
        while (rs->next()) {
            out.total_seats = rs->getInt64(1);
            out.past = rs->getBoolean(2);
            out.free.push_back({rs->getInt64(3), rs->getInt64(4)});
        }
        return 0;
    });
    if (out.free.empty()) {
        db.run(kDateOf, [&](sql::PreparedStatement& st) {
            st.setString(1, date);
            st.setInt64(2, concert_id);
            ResultPtr rs(st.executeQuery());
            if (!rs->next()) throw HttpError{404, "Concert not found"};
            if (rs->isNull(1)) throw HttpError{404, "Concert date not found"};
            out.total_seats = rs->getInt64(1);
            out.past = rs->getBoolean(2);
            return 0;
        });
    }
    return out;
}

}  // namespace concert
