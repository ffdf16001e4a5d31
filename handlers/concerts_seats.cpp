// GET /api/v1/concerts/{concertId}/available-seats?date=YYYY-MM-DD (ACTIVE, this concert's room)
//     -> 200 {concertId, date, totalSeats, seats: [{seatNumber, price}]} | 400 | 401 | 403 | 404 | 503
//
// The free seats of one date, ascending: the hottest read on opening day,
// so it is one indexed query (the date row joined to its free seats):
// free_seats() (store/catalog.hpp).

#include <string>

#include "base/json.hpp"
#include "rules/catalog.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/catalog.hpp"

namespace {

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Auth auth = concert::authenticate(request, deps.config, deps.redis);
    concert::require_active(auth);
    std::int64_t concert_id = concert::concert_id_from_path(request.path);
    concert::require_room(auth, concert_id);
    std::string date = concert::format_date(concert::date_from_query(request.query));

    concert::DateSeats found = concert::free_seats(deps.db, concert_id, date);
    if (found.past) throw concert::HttpError{400, "date has already passed"};
    concert::JsonPtr out = concert::new_object();
    concert::add_int(out.get(), "concertId", concert_id);
    concert::add_string(out.get(), "date", date);
    concert::add_int(out.get(), "totalSeats", found.total_seats);
    cJSON* seats = cJSON_AddArrayToObject(out.get(), "seats");
    for (const concert::FreeSeat& free : found.free) {
        cJSON* seat = cJSON_CreateObject();
        cJSON_AddItemToArray(seats, seat);
        concert::add_int(seat, "seatNumber", free.number);
        concert::add_int(seat, "price", free.price);
    }
    return concert::json_response(200, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("concerts_seats", handle, concert::require_token_secret); }
