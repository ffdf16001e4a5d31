// GET /api/v1/concerts (no token) -> 200 {concerts: [{concertId, name}]} | 503
//
// Every concert, oldest first. Open to all: people look before they queue.

#include "base/json.hpp"
#include "runtime/serve.hpp"

namespace {

constexpr const char* kListConcerts = "SELECT id, name FROM concerts ORDER BY id";

concert::Response handle(const concert::Request&, concert::Deps& deps) {
    concert::JsonPtr out = concert::new_object();
    cJSON* list = cJSON_AddArrayToObject(out.get(), "concerts");
    deps.db.run(kListConcerts, [&](sql::PreparedStatement& st) {
        concert::ResultPtr rs(st.executeQuery());
        while (rs->next()) {
            cJSON* item = cJSON_CreateObject();
            cJSON_AddItemToArray(list, item);
            concert::add_int(item, "concertId", static_cast<std::int64_t>(rs->getUInt64(1)));
            concert::add_string(item, "name", std::string(rs->getString(2)));
        }
        return 0;
    });
    return concert::json_response(200, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("concerts_list", handle); }
