// GET /api/v1/users/{userId}/reservations[?limit=1..100] (account: the user's
//     secret, or their WAITING or ACTIVE token of any room)
//     -> 200 {userId, reservations: [{reservationId, concertId, concertName, date, seatNumber,
//             price, status, expiresAt, paidAt, paymentId}]} | 400 | 401 | 403 | 503
//
// The buyer's own reservations, newest first, in one query that reads only
// their rows (the reservations_user_newest index). A hold shows
// TEMPORARILY_RESERVED only while it runs, EXPIRED once it lapsed (whether
// or not the sweep has tidied it yet); null where a field does not apply.

#include "base/json.hpp"
#include "rules/catalog.hpp"
#include "rules/holds.hpp"
#include "rules/users.hpp"
#include "rules/sql_rules.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"

namespace {

const std::string kList = std::string(
    "SELECT r.id, d.concert_id, c.name, DATE_FORMAT(d.play_date, '%Y-%m-%d'), s.seat_number, r.price, "
    "CASE WHEN ") + concert::kReservationLapsed + " THEN 'EXPIRED' ELSE r.status END, "
    "DATE_FORMAT(r.expires_at, '%Y-%m-%d %H:%i:%s.%f'), DATE_FORMAT(p.paid_at, '%Y-%m-%d %H:%i:%s.%f'), p.id "
    "FROM reservations r FORCE INDEX (reservations_user_newest) "
    "JOIN seats s ON s.id = r.seat_id JOIN concert_dates d ON d.id = s.concert_date_id "
    "JOIN concerts c ON c.id = d.concert_id "
    "LEFT JOIN payment_reservations pr ON pr.reservation_id = r.id LEFT JOIN payments p ON p.id = pr.payment_id "
    "WHERE r.user_id = ? ORDER BY r.created_at DESC, r.id DESC LIMIT ?";

void add_instant_or_null(cJSON* obj, const char* name, bool applies, const sql::ResultSet& rs, int column) {
    if (applies && !rs.isNull(column)) {
        concert::add_string(obj, name, concert::iso_instant(rs.getString(column)));
    } else {
        cJSON_AddNullToObject(obj, name);
    }
}

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Account caller = concert::authenticate_account(request, deps.config, deps.redis, deps.db);
    std::string user_id = concert::user_id_from_path(request.path);
    concert::require_own(caller, user_id);
    concert::require_live(caller);
    std::int64_t limit = concert::reservations_limit(request.query);

    concert::JsonPtr out = concert::new_object();
    concert::add_string(out.get(), "userId", user_id);
    cJSON* list = cJSON_AddArrayToObject(out.get(), "reservations");
    deps.db.run(kList, [&](sql::PreparedStatement& st) {
        st.setString(1, user_id);
        st.setInt64(2, limit);
        concert::ResultPtr rs(st.executeQuery());
        while (rs->next()) {
            cJSON* r = cJSON_CreateObject();
            cJSON_AddItemToArray(list, r);
            std::string status = rs->getString(7);
            concert::add_string(r, "reservationId", std::string(rs->getString(1)));
            concert::add_int(r, "concertId", static_cast<std::int64_t>(rs->getUInt64(2)));
            concert::add_string(r, "concertName", std::string(rs->getString(3)));
            concert::add_string(r, "date", std::string(rs->getString(4)));
            concert::add_int(r, "seatNumber", rs->getInt64(5));
            concert::add_int(r, "price", rs->getInt64(6));
            concert::add_string(r, "status", status);
            add_instant_or_null(r, "expiresAt", status == "TEMPORARILY_RESERVED" || status == "EXPIRED", *rs, 8);
            add_instant_or_null(r, "paidAt", status == "PAID", *rs, 9);
            if (status == "PAID" && !rs->isNull(10)) {
                concert::add_string(r, "paymentId", std::string(rs->getString(10)));
            } else {
                cJSON_AddNullToObject(r, "paymentId");
            }
        }
        return 0;
    });
    return concert::json_response(200, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("users_reservations", handle, concert::require_token_secret); }
