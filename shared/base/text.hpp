#pragma once
// Text encodings and the one strict number reader that every layer shares.
// Pure functions: no I/O, no allocation beyond the returned strings.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace concert {

// Lower-case hex of arbitrary bytes ("\x01\xab" -> "01ab").
std::string hex_encode(std::string_view bytes);

// base64url (RFC 4648 section 5) without padding.
std::string base64url_encode(std::string_view bytes);

// Decodes strict base64url (alphabet only, no padding, no whitespace, unused
// bits zero); nullopt for anything else.
std::optional<std::string> base64url_decode(std::string_view text);

// The code points of valid UTF-8 text (check with is_valid_utf8() first;
// bytes of invalid text decode to something, never past the end).
std::u32string utf8_code_points(std::string_view valid_utf8);

// A decimal integer written plainly: an optional '-', then digits, 18
// characters at most in all, nothing else (no '+', no spaces, no fraction,
// no exponent). Leading zeros
// are read as written; a caller that wants canonical text refuses them
// itself. nullopt for anything else; 18 digits never overflow.
std::optional<std::int64_t> parse_decimal(std::string_view text);

}  // namespace concert
