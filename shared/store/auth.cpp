#include "store/auth.hpp"

#include <ctime>

#include "store/queue.hpp"

namespace concert {

TokenClaims token_claims(const Request& request, const Config& config) {
    std::string token = bearer_token(request.header("authorization"));
    return verify_token(token, config.token_secret, static_cast<std::int64_t>(std::time(nullptr)));
}

Auth authenticate(const Request& request, const Config& config, Redis& redis) {
    TokenClaims claims = token_claims(request, config);
    return Auth{claims.user_id, claims.ticket, queue_touch(redis, claims.ticket, claims.user_id)};
}

void require_active(const Auth& auth) {
    if (auth.status != QueueStatus::Active) throw HttpError{403, "Queue token is not active"};
}

void require_live(const Auth& auth) {
    if (auth.status == QueueStatus::Expired) throw HttpError{403, "Queue token has expired"};
}

void require_own(const Auth& auth, std::string_view user_id) {
    if (auth.user_id != user_id) throw HttpError{403, "Token belongs to another user"};
}

}  // namespace concert
