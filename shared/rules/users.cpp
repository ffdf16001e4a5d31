#include "rules/users.hpp"

#include "base/crypto.hpp"
#include "base/error.hpp"
#include "base/json.hpp"
#include "base/text.hpp"
#include "base/uuid.hpp"
#include "rules/catalog.hpp"

namespace concert {

namespace {

struct Range {
    char32_t first;
    char32_t last;
};

bool in(const Range* ranges, std::size_t n, char32_t cp) {
    for (std::size_t i = 0; i < n; ++i) {
        if (cp >= ranges[i].first && cp <= ranges[i].last) return true;
    }
    return false;
}

// Unicode's general categories Cc (controls) and Cf (format characters:
// bidi overrides, zero-width joiners, soft hyphen, tags...), Unicode 15.1.
constexpr Range kControlOrFormat[] = {
    {0x0000, 0x001F}, {0x007F, 0x009F}, {0x00AD, 0x00AD}, {0x0600, 0x0605}, {0x061C, 0x061C},
    {0x06DD, 0x06DD}, {0x070F, 0x070F}, {0x0890, 0x0891}, {0x08E2, 0x08E2}, {0x180E, 0x180E},
    {0x200B, 0x200F}, {0x202A, 0x202E}, {0x2060, 0x2064}, {0x2066, 0x206F}, {0xFEFF, 0xFEFF},
    {0xFFF9, 0xFFFB}, {0x110BD, 0x110BD}, {0x110CD, 0x110CD}, {0x13430, 0x1343F}, {0x1BCA0, 0x1BCA3},
    {0x1D173, 0x1D17A}, {0xE0001, 0xE0001}, {0xE0020, 0xE007F},
};

// Unicode's White_Space property.
constexpr Range kWhiteSpace[] = {
    {0x0009, 0x000D}, {0x0020, 0x0020}, {0x0085, 0x0085}, {0x00A0, 0x00A0}, {0x1680, 0x1680},
    {0x2000, 0x200A}, {0x2028, 0x2029}, {0x202F, 0x202F}, {0x205F, 0x205F}, {0x3000, 0x3000},
};

// Unicode general category Cc or Cf.
bool is_control_or_format(char32_t cp) {
    return in(kControlOrFormat, sizeof kControlOrFormat / sizeof kControlOrFormat[0], cp);
}

// Unicode property White_Space.
bool is_white_space(char32_t cp) { return in(kWhiteSpace, sizeof kWhiteSpace / sizeof kWhiteSpace[0], cp); }

}  // namespace

std::string parse_sign_up(std::string_view body) {
    JsonPtr obj = parse_object(body);
    std::string name = require_string(obj.get(), "name", 1, kNameMaxChars);
    std::u32string chars = utf8_code_points(name);
    for (char32_t cp : chars) {
        if (is_control_or_format(cp)) throw HttpError{400, "name must not contain control or format characters"};
    }
    bool blank = true;
    for (char32_t cp : chars) blank = blank && is_white_space(cp);
    if (blank) throw HttpError{400, "name must not be blank"};
    return name;
}

std::string user_id_from_path(std::string_view path) {
    constexpr std::string_view kPrefix = "/api/v1/users/";
    if (path.substr(0, kPrefix.size()) == kPrefix) {
        std::string_view rest = path.substr(kPrefix.size());
        std::string_view id = rest.substr(0, rest.find('/'));
        if (is_canonical_uuid(id)) return std::string(id);
    }
    throw HttpError{400, "userId must be a UUID in lower-case canonical form"};
}

std::string new_user_secret() { return std::string(kUserSecretPrefix) + base64url_encode(random_bytes(32)); }

bool is_user_secret(std::string_view text) {
    if (text.substr(0, kUserSecretPrefix.size()) != kUserSecretPrefix) return false;
    std::optional<std::string> bytes = base64url_decode(text.substr(kUserSecretPrefix.size()));
    return bytes && bytes->size() == 32;
}

std::string secret_hash(std::string_view secret) { return sha256(secret); }

bool secret_matches(std::string_view stored_hash_hex, std::string_view secret) {
    // The hash is computed and compared whatever the inputs, so a refusal
    // takes as long for an unknown user as for a wrong secret.
    bool equal = constant_time_equal(hex_encode(secret_hash(secret)), stored_hash_hex);
    return equal && is_user_secret(secret);
}

TokenRequest parse_token_request(std::string_view body) {
    JsonPtr obj = parse_object(body);
    TokenRequest r;
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj.get(), "userId");
    if (item == nullptr || cJSON_IsNull(item)) throw HttpError{400, "userId is required"};
    if (!cJSON_IsString(item) || !is_canonical_uuid(item->valuestring)) {
        throw HttpError{400, "userId must be a UUID in lower-case canonical form"};
    }
    r.user_id = item->valuestring;
    const cJSON* secret = cJSON_GetObjectItemCaseSensitive(obj.get(), "userSecret");
    if (secret != nullptr && !cJSON_IsNull(secret)) {
        if (!cJSON_IsString(secret)) throw HttpError{400, "userSecret must be a string"};
        r.secret = secret->valuestring;
    }
    r.concert_id = require_concert_id(obj.get());
    return r;
}

}  // namespace concert
