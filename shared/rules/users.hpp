#pragma once
// Rules for user accounts, free of I/O.

#include <cstdint>
#include <string>
#include <string_view>

namespace concert {

constexpr std::size_t kNameMaxChars = 100;

// The sign-up body {"name": "..."}: a string of 1..100 Unicode characters,
// not only white space (Unicode White_Space, not just ASCII), with no
// control or format characters (Unicode Cc, Cf: no bidi overrides, no
// zero-width joiners). Throws HttpError 400 naming the rule that was broken.
std::string parse_sign_up(std::string_view body);

// The {userId} of /api/v1/users/{userId}/...; throws HttpError 400 unless it
// is a canonical UUID.
std::string user_id_from_path(std::string_view path);

// A user secret: "us_" and 32 random bytes in base64url (46 characters).
// Sign-up hands it out once; only secret_hash() of it is stored.
constexpr std::string_view kUserSecretPrefix = "us_";
std::string new_user_secret();

// True for text shaped like a user secret (prefix, 43 base64url characters
// that decode to 32 bytes): a bearer credential of this shape is a secret,
// anything else is a queue token.
bool is_user_secret(std::string_view text);

// SHA-256 of the secret's text (32 bytes), as stored in users.secret_hash.
std::string secret_hash(std::string_view secret);

// True if 'secret' is a user secret whose hash is 'stored_hash_hex' (64
// lower-case hex digits), compared in constant time. An empty stored hash
// (no such user, or one without a secret) matches nothing.
bool secret_matches(std::string_view stored_hash_hex, std::string_view secret);

// What a token request asks for.
struct TokenRequest {
    std::string user_id;
    std::string secret;        // empty when absent: 401 like a wrong one
    std::int64_t concert_id;   // whose waiting room
};

// The token request body {"userId": "<uuid>", "userSecret": "us_...",
// "concertId": N}. Throws HttpError 400 ("userId is required", "userId must
// be a UUID", "userSecret must be a string", "concertId is required",
// "concertId must be a positive integer").
TokenRequest parse_token_request(std::string_view body);

}  // namespace concert
