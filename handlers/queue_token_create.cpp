// POST /api/v1/queue/token {userId, userSecret}
//     -> 200 {token, queuePosition, estimatedWaitTime, pollAfterSeconds, status} | 400 | 401 | 415 | 429 | 503
//
// Takes a place in the waiting queue, or, while the user's ticket is still
// WAITING or ACTIVE, returns that same token and place. Only with the user's
// secret: a wrong or missing one and an unknown user are the same 401
// "Invalid user secret", so user ids cannot be probed.

#include "base/json.hpp"
#include "rules/token.hpp"
#include "rules/users.hpp"
#include "runtime/serve.hpp"
#include "store/queue.hpp"

namespace {

constexpr const char* kSecretOf =
    "SELECT LOWER(HEX(secret_hash)) FROM users WHERE id = ? AND secret_hash IS NOT NULL";

void require_secret(concert::Db& db, const concert::TokenRequest& asked) {
    std::string stored;  // an unknown user is compared with "", which nothing matches
    db.run(kSecretOf, [&](sql::PreparedStatement& st) {
        st.setString(1, asked.user_id);
        concert::ResultPtr rs(st.executeQuery());
        if (rs->next()) stored = rs->getString(1);
        return 0;
    });
    if (!concert::secret_matches(stored, asked.secret)) throw concert::HttpError{401, "Invalid user secret"};
}

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::TokenRequest asked = concert::parse_token_request(request.body);
    require_secret(deps.db, asked);
    const std::string& user_id = asked.user_id;

    concert::QueueView view = concert::queue_issue(deps.redis, user_id);
    // The token is a pure function of the ticket, so a repeated request
    // gets the very same token.
    std::string token = concert::sign_token(
        {user_id, view.ticket, view.issued_at, view.issued_at + concert::kTokenLifetimeSeconds},
        deps.config.token_secret);

    concert::JsonPtr out = concert::new_object();
    concert::add_string(out.get(), "token", token);
    concert::add_place(out.get(), view);
    return concert::json_response(200, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("queue_token_create", handle, concert::require_token_secret); }
