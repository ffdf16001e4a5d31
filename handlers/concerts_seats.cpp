// GET /api/v1/concerts/{concertId}/available-seats?date=YYYY-MM-DD (ACTIVE, this concert's room)
//     -> 200 {concertId, date, totalSeats, seats: [{seatNumber, price}]} | 400 | 401 | 403 | 404 | 503
//
// The free seats of one date, ascending: the hottest read on opening day,
// so it is one indexed query (the date row joined to its free seats).

#include <string>

#include "base/json.hpp"
#include "rules/catalog.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"

namespace {

// The date row (by its unique key) joined to its free seats, read in
// seat-number order straight from the (concert_date_id, seat_number) index.
const std::string kFreeSeats = std::string(
    "SELECT d.total_seats, d.play_date < CURRENT_DATE(), s.seat_number, s.price "
    "FROM concert_dates d JOIN seats s ON s.concert_date_id = d.id "
    "WHERE d.concert_id = ? AND d.play_date = ? AND ") +
    concert::kSeatIsFree + " ORDER BY s.seat_number";
// Only when no free seat came back: is the date sold out, or not there?
constexpr const char* kDateOf =
    "SELECT d.total_seats, d.play_date < CURRENT_DATE() FROM concerts c "
    "LEFT JOIN concert_dates d ON d.concert_id = c.id AND d.play_date = ? WHERE c.id = ?";

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Auth auth = concert::authenticate(request, deps.config, deps.redis);
    concert::require_active(auth);
    std::int64_t concert_id = concert::concert_id_from_path(request.path);
    concert::require_room(auth, concert_id);
    std::string date = concert::format_date(concert::date_from_query(request.query));

    concert::JsonPtr out = concert::new_object();
    concert::add_int(out.get(), "concertId", concert_id);
    concert::add_string(out.get(), "date", date);
    concert::JsonPtr seats_owner(cJSON_CreateArray());
    cJSON* seats = seats_owner.get();
    bool found = false;
    bool past = false;
    std::int64_t total = 0;
    deps.db.run(kFreeSeats, [&](sql::PreparedStatement& st) {
        st.setInt64(1, concert_id);
        st.setString(2, date);
        concert::ResultPtr rs(st.executeQuery());
        while (rs->next()) {
            found = true;
            total = rs->getInt64(1);
            past = rs->getBoolean(2);
            cJSON* seat = cJSON_CreateObject();
            cJSON_AddItemToArray(seats, seat);
            concert::add_int(seat, "seatNumber", rs->getInt64(3));
            concert::add_int(seat, "price", rs->getInt64(4));
        }
        return 0;
    });
    if (!found) {
        deps.db.run(kDateOf, [&](sql::PreparedStatement& st) {
            st.setString(1, date);
            st.setInt64(2, concert_id);
            concert::ResultPtr rs(st.executeQuery());
            if (!rs->next()) throw concert::HttpError{404, "Concert not found"};
            if (rs->isNull(1)) throw concert::HttpError{404, "Concert date not found"};
            total = rs->getInt64(1);
            past = rs->getBoolean(2);
            return 0;
        });
    }
    if (past) throw concert::HttpError{400, "date has already passed"};
    concert::add_int(out.get(), "totalSeats", total);
    cJSON_AddItemToObject(out.get(), "seats", seats_owner.release());
    return concert::json_response(200, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("concerts_seats", handle, concert::require_token_secret); }
