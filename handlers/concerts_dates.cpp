// GET /api/v1/concerts/{concertId}/available-dates (ACTIVE, this concert's room)
//     -> 200 {concertId, availableDates: ["YYYY-MM-DD", ...]} | 400 | 401 | 403 | 404 | 503
//
// The concert's dates from today (UTC, database clock) on that still have a
// free seat, ascending.

#include <string>

#include "base/json.hpp"
#include "rules/catalog.hpp"
#include "rules/sql_rules.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"
#include "store/catalog.hpp"

namespace {

// A scalar subquery, not EXISTS: MariaDB turns EXISTS into a semi-join that
// reads every seat of every date; this looks up each date's first free seat
// in the (concert_date_id, status, hold_expires_at) index and stops there.
const std::string kAvailableDates = std::string(
    "SELECT DATE_FORMAT(d.play_date, '%Y-%m-%d') FROM concert_dates d "
    "WHERE d.concert_id = ? AND d.play_date >= CURRENT_DATE() "
    "AND (SELECT 1 FROM seats s WHERE s.concert_date_id = d.id AND ") +
    concert::kSeatIsFree + " LIMIT 1) IS NOT NULL ORDER BY d.play_date";

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Auth auth = concert::authenticate(request, deps.config, deps.redis);
    concert::require_active(auth);
    std::int64_t concert_id = concert::concert_id_from_path(request.path);
    concert::require_room(auth, concert_id);

    concert::JsonPtr out = concert::new_object();
    concert::add_int(out.get(), "concertId", concert_id);
    cJSON* dates = cJSON_AddArrayToObject(out.get(), "availableDates");
    deps.db.run(kAvailableDates, [&](sql::PreparedStatement& st) {
        st.setInt64(1, concert_id);
        concert::ResultPtr rs(st.executeQuery());
        while (rs->next()) cJSON_AddItemToArray(dates, cJSON_CreateString(rs->getString(1).c_str()));
        return 0;
    });
    // Only an empty answer needs to tell "no dates left" from "no such concert".
    if (cJSON_GetArraySize(dates) == 0) {
        if (!concert::concert_exists(deps.db, concert_id)) throw concert::HttpError{404, "Concert not found"};
    }
    return concert::json_response(200, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("concerts_dates", handle, concert::require_token_secret); }
