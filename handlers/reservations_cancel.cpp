// DELETE /api/v1/reservations/{reservationId} (account: the holder's secret,
//     or their WAITING or ACTIVE token of any room) -> 204 | 400 | 401 | 403 | 404 | 409 | 503
//
// Gives a live hold back: the reservation becomes CANCELLED and its seat is
// free at once for everyone. A hold that already ended (expired, cancelled)
// is 204 with nothing to do; a paid one 409. The transaction and its
// retries: cancel_hold() (store/holds.hpp).

#include "base/metrics.hpp"
#include "rules/holds.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/holds.hpp"

namespace {

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Account caller = concert::authenticate_account(request, deps.config, deps.redis, deps.db);
    concert::require_live(caller);
    std::string reservation_id = concert::reservation_id_from_path(request.path);

    if (concert::cancel_hold(deps.db, reservation_id, caller.user_id)) concert::metrics::hold_cancelled();
    return concert::json_response(204, "");
}

}  // namespace

int main() { return concert::serve("reservations_cancel", handle, concert::require_token_secret); }
