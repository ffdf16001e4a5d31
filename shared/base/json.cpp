#include "base/json.hpp"

#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "base/error.hpp"

namespace concert {

namespace {

std::string range_message(const char* field, std::int64_t min, std::int64_t max) {
    return std::string(field) + " must be between " + std::to_string(min) + " and " +
           std::to_string(max);
}

bool is_number_char(char c) { return (c >= '0' && c <= '9') || c == '-' || c == '+' || c == '.' || c == 'e' || c == 'E'; }

// -?(0|[1-9][0-9]*): JSON's integer, with no leading zero (cJSON would read
// 007 as 7), no fraction and no exponent.
bool is_plain_integer(std::string_view token) {
    if (!token.empty() && token[0] == '-') token.remove_prefix(1);
    if (token.empty() || (token[0] == '0' && token.size() > 1)) return false;
    return token.find_first_not_of("0123456789") == std::string_view::npos;
}

// For each number token of valid JSON text, in the order they are written:
// whether it is a plain integer (no fraction, no exponent). cJSON keeps
// only the value, and 1 and 1.0 are the same double, so the text decides.
std::vector<bool> plain_number_tokens(std::string_view text) {
    std::vector<bool> plain;
    bool in_string = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (in_string) {
            if (c == '\\') {
                ++i;  // the escaped character, whatever it is
            } else if (c == '"') {
                in_string = false;
            }
        } else if (c == '"') {
            in_string = true;
        } else if (c == '-' || (c >= '0' && c <= '9')) {
            std::size_t end = i;
            while (end < text.size() && is_number_char(text[end])) ++end;
            plain.push_back(is_plain_integer(text.substr(i, end - i)));
            i = end - 1;
        }
    }
    return plain;
}

// Turns every number item written with a fraction or an exponent into NaN,
// which no integer reader accepts: `1.0` and `1e3` are refused like `1.5`,
// naming their field. Items are visited in document order, as written.
void poison_non_integers(cJSON* item, const std::vector<bool>& plain, std::size_t& next) {
    for (; item != nullptr; item = item->next) {
        if (cJSON_IsNumber(item)) {
            if (next >= plain.size() || !plain[next]) item->valuedouble = std::numeric_limits<double>::quiet_NaN();
            ++next;
        }
        poison_non_integers(item->child, plain, next);
    }
}

// A field that is absent and one that is JSON null are both "missing".
const cJSON* find_field(const cJSON* obj, const char* field) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, field);
    if (item == nullptr || cJSON_IsNull(item)) {
        throw HttpError{400, std::string(field) + " is required"};
    }
    return item;
}

}  // namespace

bool is_valid_utf8(std::string_view s) {
    const auto* p = reinterpret_cast<const unsigned char*>(s.data());
    std::size_t n = s.size();
    std::size_t i = 0;
    while (i < n) {
        unsigned char c = p[i];
        if (c < 0x80) {
            ++i;
            continue;
        }
        std::size_t len;
        std::uint32_t cp;
        if (c >= 0xC2 && c <= 0xDF) {
            len = 2;
            cp = c & 0x1F;
        } else if (c >= 0xE0 && c <= 0xEF) {
            len = 3;
            cp = c & 0x0F;
        } else if (c >= 0xF0 && c <= 0xF4) {
            len = 4;
            cp = c & 0x07;
        } else {
            return false;
        }
        if (i + len > n) return false;
        for (std::size_t k = 1; k < len; ++k) {
            if ((p[i + k] & 0xC0) != 0x80) return false;
            cp = (cp << 6) | (p[i + k] & 0x3F);
        }
        if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000)) return false;  // overlong
        if (cp >= 0xD800 && cp <= 0xDFFF) return false;                          // surrogate
        if (cp > 0x10FFFF) return false;
        i += len;
    }
    return true;
}

std::size_t utf8_length(std::string_view s) {
    std::size_t count = 0;
    for (char c : s) {
        if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++count;
    }
    return count;
}

JsonPtr parse_object(std::string_view body) {
    if (body.find('\0') != std::string_view::npos || !is_valid_utf8(body)) {
        throw HttpError{400, "Body must be UTF-8 JSON text"};
    }
    // cJSON ends strings at an escaped NUL, which would silently shorten a
    // value; refuse it rather than store something the client did not send.
    if (body.find("\\u0000") != std::string_view::npos) {
        throw HttpError{400, "Body must not contain NUL characters"};
    }
    std::string text(body);  // cJSON needs the terminating NUL inside the length
    JsonPtr root(cJSON_ParseWithLengthOpts(text.c_str(), text.size() + 1, nullptr, 1));
    if (!root || !cJSON_IsObject(root.get())) {
        throw HttpError{400, "Body must be a JSON object"};
    }
    std::size_t numbers = 0;
    poison_non_integers(root->child, plain_number_tokens(body), numbers);
    for (const cJSON* a = root->child; a != nullptr; a = a->next) {
        for (const cJSON* b = a->next; b != nullptr; b = b->next) {
            if (std::string_view(a->string) == b->string) {
                throw HttpError{400, std::string("Duplicate field: ") + a->string};
            }
        }
    }
    return root;
}

std::string require_string(const cJSON* obj, const char* field, std::size_t min_chars,
                           std::size_t max_chars) {
    const cJSON* item = find_field(obj, field);
    if (!cJSON_IsString(item)) throw HttpError{400, std::string(field) + " must be a string"};
    std::string value = item->valuestring;
    std::size_t chars = utf8_length(value);
    if (chars < min_chars || chars > max_chars) {
        throw HttpError{400, std::string(field) + " must be " + std::to_string(min_chars) +
                                 " to " + std::to_string(max_chars) + " characters"};
    }
    for (unsigned char c : value) {
        if (c < 0x20 || c == 0x7F) {
            throw HttpError{400, std::string(field) + " must not contain control characters"};
        }
    }
    return value;
}

std::int64_t require_int(const cJSON* obj, const char* field, std::int64_t min, std::int64_t max) {
    const cJSON* item = find_field(obj, field);
    if (!cJSON_IsNumber(item)) throw HttpError{400, std::string(field) + " must be an integer"};
    double d = item->valuedouble;
    if (!std::isfinite(d) || std::trunc(d) != d || std::fabs(d) > static_cast<double>(kMaxJsonInteger)) {
        throw HttpError{400, std::string(field) + " must be an integer"};
    }
    auto v = static_cast<std::int64_t>(d);
    if (v < min || v > max) throw HttpError{400, range_message(field, min, max)};
    return v;
}

JsonPtr new_object() {
    JsonPtr obj(cJSON_CreateObject());
    if (!obj) throw std::bad_alloc();
    return obj;
}

void add_string(cJSON* obj, const char* name, std::string_view value) {
    std::string copy(value);
    if (cJSON_AddStringToObject(obj, name, copy.c_str()) == nullptr) throw std::bad_alloc();
}

void add_int(cJSON* obj, const char* name, std::int64_t value) {
    if (cJSON_AddRawToObject(obj, name, std::to_string(value).c_str()) == nullptr) {
        throw std::bad_alloc();
    }
}

std::string to_text(const cJSON* item) {
    char* text = cJSON_PrintUnformatted(item);
    if (text == nullptr) throw std::bad_alloc();
    std::string out(text);
    cJSON_free(text);
    return out;
}

}  // namespace concert
