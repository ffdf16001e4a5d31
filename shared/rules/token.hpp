#pragma once
// Queue tokens: JWT (RFC 7519) signed with HMAC-SHA256. Only HS256 is ever
// accepted; a token whose header, payload or signature is not exactly what
// we would have produced is refused.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/config.hpp"

namespace concert {

struct TokenClaims {
    std::string user_id;     // "sub": canonical UUID
    std::int64_t concert_id; // "cid": the concert whose waiting room issued it
    std::int64_t ticket;     // "tkt": the ticket number in that room
    std::int64_t epoch = 0;  // "ep": when the room's ticket numbering began (Unix ms)
    std::int64_t issued_at = 0;   // "iat": Unix seconds; 0: none (v3 tokens)
    std::int64_t expires_at = 0;  // "exp": Unix seconds; 0: none (v3 tokens)
};

// header.payload.signature, all base64url without padding. Deterministic:
// the same claims and secret always give the same token. Queue tokens carry
// sub, cid and tkt only: a token lives as long as its ticket (which may
// wait for days in a room of millions), and asking again gives the same one.
std::string sign_token(const TokenClaims& claims, std::string_view secret);

// Checks shape, algorithm and signature (constant-time), then the claims and
// the expiry against 'now' (Unix seconds). Throws HttpError 401 "Invalid
// token" or "Token has expired"; never says which part was wrong beyond that.
TokenClaims verify_token(std::string_view token, std::string_view secret, std::int64_t now);

// The token of an "Authorization: Bearer <token>" value. Throws HttpError
// 401 if the header is absent or not a bearer credential.
std::string bearer_token(const std::optional<std::string>& authorization);

// A pool that verifies or signs tokens says so to the runtime with this
// check: it throws ConfigError unless CONCERT_TOKEN_SECRET has at least
// kMinSecretBytes characters, since a guessable HMAC key would make tokens
// forgeable.
constexpr std::size_t kMinSecretBytes = 32;
void require_token_secret(const Config& config);

}  // namespace concert
