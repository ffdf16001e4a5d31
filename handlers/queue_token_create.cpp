// POST /api/v1/queue/token {userId} -> 200 {token, queuePosition, estimatedWaitTime, status}
//                                    | 400 | 404 | 503
//
// Takes a place in the waiting queue, or, while the user's ticket is still
// WAITING or ACTIVE, returns that same token and place.

#include "base/json.hpp"
#include "rules/token.hpp"
#include "rules/users.hpp"
#include "runtime/serve.hpp"
#include "store/queue.hpp"

namespace {

constexpr const char* kUserExists = "SELECT 1 FROM users WHERE id = ?";

concert::Response handle(const concert::Request& request, concert::Deps& deps) {
    std::string user_id = concert::parse_token_request(request.body);
    bool exists = deps.db.run(kUserExists, [&](sql::PreparedStatement& st) {
        st.setString(1, user_id);
        concert::ResultPtr rs(st.executeQuery());
        return rs->next();
    });
    if (!exists) throw concert::HttpError{404, "User not found"};

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
