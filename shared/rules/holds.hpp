#pragma once
// Seat holds: the request, and the decision over what the database said
// about the seat, free of I/O so each rule has a unit test.

#include <cstdint>
#include <string>
#include <string_view>

#include "rules/catalog.hpp"

namespace concert {

// The most reservations one list answer holds (GET /users/{id}/reservations).
constexpr std::int64_t kMaxReservationsListed = 100;

struct HoldRequest {
    std::int64_t concert_id;
    Date date;
    std::int64_t seat_number;
};

// The body {concertId, date, seatNumber}. Throws HttpError 400 naming the
// field and the rule ("concertId is required", "seatNumber must be an
// integer", "date must be a real calendar date (YYYY-MM-DD)", ...). The
// seat number's range is the date's seat count: check_hold() refuses one
// outside it, naming that range.
HoldRequest parse_hold_request(std::string_view body);

// What one read of the date, the seat and the caller's holds found.
struct SeatLookup {
    bool concert_exists = false;
    bool date_exists = false;
    bool date_past = false;
    std::int64_t total_seats = 0;
    bool seat_exists = false;
    bool seat_free = false;   // by kSeatIsFree, on the database clock
    std::int64_t user_holds = 0;  // the caller's unexpired, unpaid holds
};

// Throws the HttpError the lookup calls for, in the contract's order:
// 404 concert, 404 date, 400 past date, 400 seat number out of range,
// 409 seat taken, 409 hold limit. Returns if the hold may be attempted.
void check_hold(const SeatLookup& seat, std::int64_t seat_number, std::int64_t max_per_user);

// The {reservationId} of /api/v1/reservations/{reservationId}; throws
// HttpError 400 unless it is a canonical UUID.
std::string reservation_id_from_path(std::string_view path);

// What one read found about a reservation its holder wants to give back.
struct CancelLookup {
    bool mine = false;   // it exists and is the caller's
    std::string status;  // TEMPORARILY_RESERVED, PAID, EXPIRED, CANCELLED
    bool lapsed = false; // its hold ran out by the database clock
};

// Whether cancelling has anything to do: true for a live hold; false for one
// that already ended (expired or cancelled: 204 all the same). Throws 404
// "Reservation not found" (unknown or another user's) or 409 "Reservation is
// already paid".
bool must_cancel(const CancelLookup& reservation);

// The ?limit of a user's reservations list: 1..100, 100 when absent.
// Throws HttpError 400 "limit must be between 1 and 100".
std::int64_t reservations_limit(std::string_view query);

// True while the user may take one more hold.
bool under_hold_cap(std::int64_t user_holds, std::int64_t max_per_user);

}  // namespace concert
