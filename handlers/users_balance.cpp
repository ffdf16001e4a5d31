// GET /api/v1/users/{userId}/balance (account: the user's secret, or their
//     WAITING or ACTIVE token) -> 200 {userId, balance} | 400 | 401 | 403 | 404 | 503

#include "base/json.hpp"
#include "rules/users.hpp"
#include "runtime/serve.hpp"
#include "store/auth.hpp"

namespace {

constexpr const char* kBalance = "SELECT balance FROM users WHERE id = ?";

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::Account caller = concert::authenticate_account(request, deps.config, deps.redis, deps.db);
    std::string user_id = concert::user_id_from_path(request.path);
    concert::require_own(caller, user_id);
    concert::require_live(caller);
    std::int64_t balance = deps.db.run(kBalance, [&](sql::PreparedStatement& st) -> std::int64_t {
        st.setString(1, user_id);
        concert::ResultPtr rs(st.executeQuery());
        if (!rs->next()) throw concert::HttpError{404, "User not found"};
        return rs->getInt64(1);
    });
    concert::JsonPtr out = concert::new_object();
    concert::add_string(out.get(), "userId", user_id);
    concert::add_int(out.get(), "balance", balance);
    return concert::json_response(200, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("users_balance", handle, concert::require_token_secret); }
