#pragma once
// Rules for user accounts, free of I/O.

#include <string>
#include <string_view>

namespace concert {

constexpr std::size_t kNameMaxChars = 100;

// The sign-up body {"name": "..."}: a string of 1..100 Unicode characters,
// not only white space (Unicode White_Space, not just ASCII), with no
// control or format characters (Unicode Cc, Cf: no bidi overrides, no
// zero-width joiners). Throws HttpError 400 naming the rule that was broken.
std::string parse_sign_up(std::string_view body);

bool is_control_or_format(char32_t cp);  // Unicode general category Cc or Cf
bool is_white_space(char32_t cp);        // Unicode property White_Space

// The {userId} of /api/v1/users/{userId}/...; throws HttpError 400 unless it
// is a canonical UUID.
std::string user_id_from_path(std::string_view path);

// The token request body {"userId": "<uuid>"}. Throws HttpError 400
// ("userId is required", "userId must be a UUID").
std::string parse_token_request(std::string_view body);

}  // namespace concert
