// POST /api/v1/users {name} -> 201 {userId, name, balance} | 400 | 503
//
// Sign-up. The id is a fresh UUIDv7; the balance starts at 0.

#include "base/json.hpp"
#include "base/uuid.hpp"
#include "rules/users.hpp"
#include "runtime/serve.hpp"

namespace {

constexpr const char* kInsertUser = "INSERT INTO users (id, name, balance, version) VALUES (?, ?, 0, 0)";

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    std::string name = concert::parse_sign_up(request.body);
    std::string id = concert::new_uuid();
    // In a transaction although it is one statement: START TRANSACTION has no
    // effect, so on a connection that died since the last request (a database
    // restart) it is the statement that is sent again after reconnecting,
    // never the INSERT.
    deps.db.begin();
    deps.db.execute(kInsertUser, [&](sql::PreparedStatement& st) {
        st.setString(1, id);
        st.setString(2, name);
    });
    deps.db.commit();

    concert::JsonPtr out = concert::new_object();
    concert::add_string(out.get(), "userId", id);
    concert::add_string(out.get(), "name", name);
    concert::add_int(out.get(), "balance", 0);
    concert::Response response = concert::json_response(201, concert::to_text(out.get()));
    response.headers.emplace_back("Location", "/api/v1/users/" + id);
    return response;
}

}  // namespace

int main() { return concert::serve("users_create", handle); }
