// POST /api/v1/users {name} -> 201 {userId, name, balance, userSecret} | 400 | 415 | 429 | 503
//
// Sign-up. The id is a fresh UUIDv7; the balance starts at 0. The secret
// ("us_" + 32 random bytes) is in this answer and nowhere else: only its
// SHA-256 is stored. nginx limits sign-ups per client address.

#include "base/json.hpp"
#include "base/text.hpp"
#include "base/uuid.hpp"
#include "rules/users.hpp"
#include "runtime/serve.hpp"

namespace {

constexpr const char* kInsertUser =
    "INSERT INTO users (id, name, secret_hash, balance, version) VALUES (?, ?, UNHEX(?), 0, 0)";

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    std::string name = concert::parse_sign_up(request.body);
    std::string id = concert::new_uuid();
    std::string secret = concert::new_user_secret();
    // In a transaction although it is one statement: START TRANSACTION has no
    // effect, so on a connection that died since the last request (a database
    // restart) it is the statement that is sent again after reconnecting,
    // never the INSERT.
    deps.db.begin();
    deps.db.execute(kInsertUser, [&](sql::PreparedStatement& st) {
        st.setString(1, id);
        st.setString(2, name);
        st.setString(3, concert::hex_encode(concert::secret_hash(secret)));
    });
    deps.db.commit();

    concert::JsonPtr out = concert::new_object();
    concert::add_string(out.get(), "userId", id);
    concert::add_string(out.get(), "name", name);
    concert::add_int(out.get(), "balance", 0);
    concert::add_string(out.get(), "userSecret", secret);
    concert::Response response = concert::json_response(201, concert::to_text(out.get()));
    response.headers.emplace_back("Location", "/api/v1/users/" + id);
    return response;
}

}  // namespace

int main() { return concert::serve("users_create", handle); }
