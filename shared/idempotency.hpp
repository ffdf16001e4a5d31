#pragma once
// Idempotency-Key: the first successful response to a keyed request is
// stored in MySQL in the same transaction as its effect, and a retry with
// the same key from the same user gets that response again, from any
// process on any host, with no second effect.
//
// Only successful responses are stored. A request that failed had no effect,
// so its retry simply runs again (and may now succeed, say after a charge).

#include <optional>
#include <string>
#include <string_view>

#include "db.hpp"
#include "http.hpp"

namespace concert {

// The request's Idempotency-Key, or nullopt without one. Throws HttpError
// 400 unless it is 1..64 printable ASCII characters (0x21..0x7E).
std::optional<std::string> idempotency_key(const Request& request);

// True for a valid key.
bool is_valid_idempotency_key(std::string_view key);

// What a retry must match: the route and the request's meaning (parsed
// values, not raw bytes, so whitespace does not matter). SHA-256, hex.
std::string request_fingerprint(std::string_view route, std::string_view canonical_request);

// The stored response for (user, key), if any. Throws HttpError 409 if the
// key was used for a different request.
std::optional<Response> replay(Db& db, const std::string& user_id, const std::string& key,
                               const std::string& fingerprint);

// Stores 'response' inside the effect's open transaction, just before
// COMMIT, and returns true. If a concurrent request with the same key
// stored its answer first, rolls this transaction back, replaces 'response'
// with that answer and returns false: the caller returns it, uncommitted.
bool remember(Db& db, const std::string& user_id, const std::string& key, const std::string& fingerprint,
              Response& response);

// Deletes keys older than 'hours' hours (at most 'limit' rows); returns how many.
std::int64_t forget_old_keys(Db& db, int hours, int limit);

}  // namespace concert
