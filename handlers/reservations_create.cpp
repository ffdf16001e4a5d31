// POST /api/v1/reservations {concertId, date, seatNumber} (ACTIVE, that concert's room)
//     -> 201 {reservationId, concertId, date, seatNumber, status, expiresAt, price}
//      | 400 | 401 | 403 | 404 | 409 | 503
//
// Holds a free seat for hold.seconds. Optimistic all the way: one read of
// the seat (with its version) and of the caller's holds (with the user's
// version), then one transaction whose UPDATE only succeeds if nothing
// changed since. No lock is held while waiting: when the UPDATE loses (the
// seat was taken, or the caller's own other request moved the user's
// version), the attempt rolls back and reads again after a short pause, at
// most 5 times; that read answers 409 if the seat is taken now.

#include <string>

#include "base/json.hpp"
#include "base/metrics.hpp"
#include "rules/catalog.hpp"
#include "rules/holds.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/holds.hpp"
#include "store/settings.hpp"

namespace {

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Auth auth = concert::authenticate(request, deps.config, deps.redis);
    concert::require_active(auth);
    concert::HoldRequest hold = concert::parse_hold_request(request.body);
    concert::require_room(auth, hold.concert_id);
    const auto& settings = concert::cached_settings(deps.redis);
    std::int64_t hold_seconds = settings.at("hold.seconds");
    std::int64_t max_per_user = settings.at("hold.max_per_user");

    // The transaction and its retries: hold_seat() (store/holds.hpp).
    concert::HoldMade made = concert::hold_seat(deps.db, hold, auth.user_id, hold_seconds, max_per_user);
    concert::metrics::hold_made();

    concert::JsonPtr out = concert::new_object();
    concert::add_string(out.get(), "reservationId", made.reservation_id);
    concert::add_int(out.get(), "concertId", hold.concert_id);
    concert::add_string(out.get(), "date", concert::format_date(hold.date));
    concert::add_int(out.get(), "seatNumber", hold.seat_number);
    concert::add_string(out.get(), "status", "TEMPORARILY_RESERVED");
    concert::add_string(out.get(), "expiresAt", concert::iso_instant(made.expires_at));
    concert::add_int(out.get(), "price", made.price);
    return concert::json_response(201, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("reservations_create", handle, concert::require_token_secret); }
