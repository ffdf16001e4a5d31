#pragma once
// Who is calling, and may they: the bearer token every protected route checks.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/config.hpp"
#include "base/http.hpp"
#include "rules/queue.hpp"
#include "rules/token.hpp"
#include "store/redis.hpp"

namespace concert {

struct Auth {
    std::string user_id;
    std::int64_t ticket;
    QueueStatus status;
};

// The verified claims of the request's bearer token; no I/O. Throws
// HttpError 401 for a missing, malformed, forged or expired token.
TokenClaims token_claims(const Request& request, const Config& config);

// token_claims() plus the ticket's queue status in one Redis round trip,
// which also counts as the holder's request (keeps an idle ticket alive).
Auth authenticate(const Request& request, const Config& config, Redis& redis);

// 403 "Queue token is not active" unless the token is ACTIVE.
void require_active(const Auth& auth);

// 403 "Queue token has expired" unless the token is WAITING or ACTIVE
// (routes that are not behind the queue, such as balance and charge).
void require_live(const Auth& auth);

// 403 unless the token belongs to 'user_id' (routes under /users/{userId}).
void require_own(const Auth& auth, std::string_view user_id);

}  // namespace concert
