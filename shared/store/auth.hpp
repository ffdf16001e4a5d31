#pragma once
// Who is calling, and may they: the bearer token every protected route checks.

#include <cstdint>
#include <string>
#include <string_view>

#include "base/config.hpp"
#include "base/http.hpp"
#include "rules/queue.hpp"
#include "rules/token.hpp"
#include "store/db.hpp"
#include "store/redis.hpp"

namespace concert {

struct Auth {
    std::string user_id;
    std::int64_t concert_id;  // the room the token is of
    std::int64_t ticket;
    std::int64_t epoch;       // the room's numbering the ticket is of
    QueueStatus status;
};

// The verified claims of the request's bearer token; no I/O. Throws
// HttpError 401 for a missing, malformed, forged or expired token.
TokenClaims token_claims(const Request& request, const Config& config);

// token_claims() plus the ticket's status in its room, in one Redis round
// trip, which also counts as the holder's request (keeps an idle ticket
// alive).
Auth authenticate(const Request& request, const Config& config, Redis& redis);

// 403 "Queue token is not active" unless the token is ACTIVE.
void require_active(const Auth& auth);

// 403 "Queue token is for another concert" unless the token is of this
// concert's room (checked before anything about the concert is read).
void require_room(const Auth& auth, std::int64_t concert_id);

// 403 "Queue token has expired" unless the token is WAITING or ACTIVE
// (routes that are not behind the queue, such as balance and charge).
void require_live(const Auth& auth);

// 403 unless the token belongs to 'user_id' (routes under /users/{userId}).
void require_own(const Auth& auth, std::string_view user_id);

// The caller of an account route (balance, charge): the bearer credential is
// the user's secret, which identifies its user, or a queue token of theirs.
struct Account {
    std::string user_id;
    bool by_secret = false;
    Auth token;  // when !by_secret
};

// Reads the account credential. A secret is looked up by its hash (401
// "Invalid user secret" if nobody has it); anything else must be a genuine
// token (401 otherwise), touched as authenticate() does. Checks neither
// ownership nor liveness: require_own() and require_live() below do.
Account authenticate_account(const Request& request, const Config& config, Redis& redis, Db& db);

// 403 unless the credential is 'user_id''s: "Secret belongs to another user"
// or "Token belongs to another user".
void require_own(const Account& account, std::string_view user_id);

// 403 "Queue token has expired" for an EXPIRED token; a secret is always live.
void require_live(const Account& account);

}  // namespace concert
