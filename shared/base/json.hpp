#pragma once
// cJSON with ownership, strict parsing of request bodies, and field readers
// that turn every wrong input into the contract's 400 message in one place.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include <cjson/cJSON.h>

namespace concert {

// The largest integer a JSON number carries exactly (2^53 - 1): the upper
// bound of every integer field we read, and of every integer JWT claim.
constexpr std::int64_t kMaxJsonInteger = 9007199254740991;

struct JsonDeleter {
    void operator()(cJSON* p) const { cJSON_Delete(p); }
};
using JsonPtr = std::unique_ptr<cJSON, JsonDeleter>;

// Parses a request body that must be exactly one JSON object: valid UTF-8,
// no trailing bytes, no NUL characters, no key given twice at the top level.
// Throws HttpError 400 with a message saying which rule was broken. A number
// written with a fraction or an exponent (1.0, 1e3, 10.50) reads as NaN, so
// require_int() refuses it like any non-integer, naming the field.
JsonPtr parse_object(std::string_view body);

// Reads a required string field of 'min_chars'..'max_chars' Unicode
// characters with no control characters. Throws HttpError 400 ("name is
// required", "name must be a string", "name must be 1 to 100 characters").
std::string require_string(const cJSON* obj, const char* field, std::size_t min_chars,
                           std::size_t max_chars);

// Reads a required integer field in [min, max]: a JSON number written as a
// plain integer (parse_object() makes 1.0 and 1e3 NaN). Throws HttpError 400
// ("amount must be an integer", "amount must be between 1 and 10000000").
std::int64_t require_int(const cJSON* obj, const char* field, std::int64_t min, std::int64_t max);

// True if 's' is well-formed UTF-8 (no overlongs, surrogates or values past
// U+10FFFF).
bool is_valid_utf8(std::string_view s);

// Number of code points in valid UTF-8 text.
std::size_t utf8_length(std::string_view s);

// Building responses. Integers are written as exact decimal text, never in
// cJSON's double formatting.
JsonPtr new_object();
void add_string(cJSON* obj, const char* name, std::string_view value);
void add_int(cJSON* obj, const char* name, std::int64_t value);
std::string to_text(const cJSON* item);

}  // namespace concert
