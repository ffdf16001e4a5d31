#include "rules/holds.hpp"

#include "base/error.hpp"
#include "base/http.hpp"
#include "base/json.hpp"
#include "base/text.hpp"
#include "base/uuid.hpp"

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

std::string reservation_id_from_path(std::string_view path) {
    constexpr std::string_view kPrefix = "/api/v1/reservations/";
    if (path.substr(0, kPrefix.size()) == kPrefix && is_canonical_uuid(path.substr(kPrefix.size()))) {
        return std::string(path.substr(kPrefix.size()));
    }
    throw HttpError{400, "reservationId must be a UUID in lower-case canonical form"};
}

bool must_cancel(const CancelLookup& r) {
    if (!r.mine) throw HttpError{404, "Reservation not found"};
    if (r.status == "PAID") throw HttpError{409, "Reservation is already paid"};
    return r.status == "TEMPORARILY_RESERVED" && !r.lapsed;
}

std::int64_t reservations_limit(std::string_view query) {
    auto params = parse_query(query);
    auto it = params.find("limit");
    if (it == params.end()) return kMaxReservationsListed;
    std::optional<std::int64_t> limit = it->second.rfind('-', 0) == 0 ? std::nullopt : parse_decimal(it->second);
    if (!limit || *limit < 1 || *limit > kMaxReservationsListed) {
        throw HttpError{400, "limit must be between 1 and " + std::to_string(kMaxReservationsListed)};
    }
    return *limit;
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
