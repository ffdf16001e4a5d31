// DELETE /api/v1/reservations/{reservationId} (account: the holder's secret,
//     or their WAITING or ACTIVE token of any room) -> 204 | 400 | 401 | 403 | 404 | 409 | 503
//
// Gives a live hold back: the reservation becomes CANCELLED and its seat is
// free at once for everyone. A hold that already ended (expired, cancelled)
// is 204 with nothing to do; a paid one 409. Optimistic like every write:
// one joined UPDATE guarded by both rows' versions and the hold still
// running, so a payment, a sweep or another cancel of the same hold that
// got there first wins, and this one reads again and answers accordingly.

#include "base/json.hpp"
#include "base/metrics.hpp"
#include "rules/catalog.hpp"
#include "rules/holds.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/retry.hpp"

namespace {

constexpr int kAttempts = 5;

constexpr const char* kRead =
    "SELECT r.user_id, r.status, r.version, r.expires_at <= NOW(3), s.id, s.version "
    "FROM reservations r JOIN seats s ON s.id = r.seat_id WHERE r.id = ?";

// The reservation CANCELLED and its seat FREE, or neither (2 rows or none).
const std::string kCancel = std::string(
    "UPDATE reservations r JOIN seats s ON s.id = ? "
    "SET r.status = 'CANCELLED', r.version = r.version + 1, "
    "s.status = 'FREE', s.holder_id = NULL, s.hold_expires_at = NULL, s.version = s.version + 1 "
    "WHERE r.id = ? AND r.version = ? AND ") + concert::kReservationIsLive +
    " AND s.version = ? AND s.holder_id = r.user_id AND s.hold_expires_at = r.expires_at AND " + concert::kHoldIsLive;

struct Found {
    concert::CancelLookup lookup;
    std::int64_t version = 0;
    std::int64_t seat_id = 0;
    std::int64_t seat_version = 0;
};

Found read(concert::Db& db, const std::string& reservation_id, const std::string& caller) {
    Found f;
    db.run(kRead, [&](sql::PreparedStatement& st) {
        st.setString(1, reservation_id);
        concert::ResultPtr rs(st.executeQuery());
        if (!rs->next()) return 0;
        f.lookup.mine = std::string(rs->getString(1)) == caller;
        f.lookup.status = rs->getString(2);
        f.version = static_cast<std::int64_t>(rs->getUInt64(3));
        f.lookup.lapsed = rs->getBoolean(4);
        f.seat_id = static_cast<std::int64_t>(rs->getUInt64(5));
        f.seat_version = static_cast<std::int64_t>(rs->getUInt64(6));
        return 0;
    });
    return f;
}

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Account caller = concert::authenticate_account(request, deps.config, deps.redis, deps.db);
    concert::require_live(caller);
    std::string reservation_id = concert::reservation_id_from_path(request.path);

    return concert::with_retries(deps.db, "cancel", kAttempts, [&](int) -> std::optional<concert::Response> {
        Found f = read(deps.db, reservation_id, caller.user_id);
        if (!concert::must_cancel(f.lookup)) return concert::json_response(204, "");
        deps.db.begin();
        if (deps.db.execute(kCancel, [&](sql::PreparedStatement& st) {
                st.setInt64(1, f.seat_id);
                st.setString(2, reservation_id);
                st.setInt64(3, f.version);
                st.setInt64(4, f.seat_version);
            }) != 2) {
            // Paid, swept, lapsed or cancelled since the read: read again.
            deps.db.rollback();
            return std::nullopt;
        }
        deps.db.commit();
        concert::metrics::hold_cancelled();
        return concert::json_response(204, "");
    });
}

}  // namespace

int main() { return concert::serve("reservations_cancel", handle, concert::require_token_secret); }
