// POST /api/v1/queue/token {userId, userSecret, concertId}
//     -> 200 {token, concertId, queuePosition, estimatedWaitTime, pollAfterSeconds, status, opensAt}
//      | 400 | 401 | 404 | 415 | 429 | 503
//
// Takes a place in the concert's waiting room, or, while the user's ticket
// there is still WAITING or ACTIVE, returns that same token and place. Only
// with the user's secret: a wrong or missing one and an unknown user are
// the same 401 "Invalid user secret", so user ids cannot be probed. An
// unknown concert is 404 "Concert not found".

#include "base/json.hpp"
#include "rules/token.hpp"
#include "rules/users.hpp"
#include "runtime/serve.hpp"
#include "store/queue.hpp"

namespace {

// The user's secret hash and whether the concert exists, in one read.
constexpr const char* kSecretAndConcert =
    "SELECT (SELECT LOWER(HEX(secret_hash)) FROM users WHERE id = ?), "
    "EXISTS (SELECT 1 FROM concerts WHERE id = ?)";

void check_request(concert::Db& db, const concert::TokenRequest& asked) {
    std::string stored;  // no user, or one without a secret: "", which nothing matches
    bool concert_exists = false;
    db.run(kSecretAndConcert, [&](sql::PreparedStatement& st) {
        st.setString(1, asked.user_id);
        st.setInt64(2, asked.concert_id);
        concert::ResultPtr rs(st.executeQuery());
        rs->next();
        if (!rs->isNull(1)) stored = rs->getString(1);
        concert_exists = rs->getBoolean(2);
        return 0;
    });
    if (!concert::secret_matches(stored, asked.secret)) throw concert::HttpError{401, "Invalid user secret"};
    if (!concert_exists) throw concert::HttpError{404, "Concert not found"};
}

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    concert::TokenRequest asked = concert::parse_token_request(request.body);
    check_request(deps.db, asked);
    const std::string& user_id = asked.user_id;

    concert::QueueView view = concert::queue_issue(deps.redis, asked.concert_id, user_id);
    // The token is a pure function of the ticket, so a repeated request
    // gets the very same token.
    std::string token = concert::sign_token(
        {user_id, asked.concert_id, view.ticket, view.epoch},
        deps.config.token_secret);

    concert::JsonPtr out = concert::new_object();
    concert::add_string(out.get(), "token", token);
    concert::add_place(out.get(), view);
    return concert::json_response(200, concert::to_text(out.get()));
}

}  // namespace

int main() { return concert::serve("queue_token_create", handle, concert::require_token_secret); }
