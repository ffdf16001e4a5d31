#include "rules/holds.hpp"

#include "base/error.hpp"
#include "base/json.hpp"

namespace concert {

HoldRequest parse_hold_request(std::string_view body) {
    JsonPtr obj = parse_object(body);
    HoldRequest r{};
    r.concert_id = require_concert_id(obj.get());
    std::optional<Date> date = parse_date(require_string(obj.get(), "date", 0, 64));
    if (!date) throw HttpError{400, "date must be a real calendar date (YYYY-MM-DD)"};
    r.date = *date;
    // Its range is the date's seat count, known after the lookup: check_hold()
    // names it ("seatNumber must be between 1 and 50").
    r.seat_number = require_int(obj.get(), "seatNumber", -kMaxJsonInteger, kMaxJsonInteger);
    return r;
}

bool under_hold_cap(std::int64_t user_holds, std::int64_t max_per_user) { return user_holds < max_per_user; }

void check_hold(const SeatLookup& seat, std::int64_t seat_number, std::int64_t max_per_user) {
    if (!seat.concert_exists) throw HttpError{404, "Concert not found"};
    if (!seat.date_exists) throw HttpError{404, "Concert date not found"};
    if (seat.date_past) throw HttpError{400, "date has already passed"};
    if (!seat.seat_exists || seat_number < 1 || seat_number > seat.total_seats) {
        throw HttpError{400, "seatNumber must be between 1 and " + std::to_string(seat.total_seats)};
    }
    if (!seat.seat_free) throw HttpError{409, "Seat is already reserved"};
    if (!under_hold_cap(seat.user_holds, max_per_user)) throw HttpError{409, "Hold limit reached"};
}

}  // namespace concert
