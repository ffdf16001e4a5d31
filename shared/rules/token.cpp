#include "rules/token.hpp"

#include <cctype>

#include "base/crypto.hpp"
#include "base/error.hpp"
#include "base/json.hpp"
#include "base/text.hpp"
#include "base/uuid.hpp"

namespace concert {

namespace {

constexpr std::string_view kHeader = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

HttpError invalid() { return HttpError{401, "Invalid token"}; }

// A claim that must be a whole number in [min, 2^53).
std::int64_t int_claim(const cJSON* obj, const char* name, std::int64_t min) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(item)) throw invalid();
    double d = item->valuedouble;
    bool in_range = d >= static_cast<double>(min) && d <= static_cast<double>(kMaxJsonInteger);
    if (!in_range || static_cast<double>(static_cast<std::int64_t>(d)) != d) throw invalid();
    return static_cast<std::int64_t>(d);
}

// Parses a decoded JWT part as a JSON object, or throws 401.
JsonPtr json_part(std::string_view encoded) {
    std::optional<std::string> text = base64url_decode(encoded);
    if (!text) throw invalid();
    try {
        return parse_object(*text);
    } catch (const HttpError&) {
        throw invalid();
    }
}

}  // namespace

std::string sign_token(const TokenClaims& claims, std::string_view secret) {
    JsonPtr payload = new_object();
    add_string(payload.get(), "sub", claims.user_id);
    add_int(payload.get(), "cid", claims.concert_id);
    add_int(payload.get(), "tkt", claims.ticket);
    if (claims.epoch > 0) add_int(payload.get(), "ep", claims.epoch);
    if (claims.issued_at > 0) add_int(payload.get(), "iat", claims.issued_at);
    if (claims.expires_at > 0) add_int(payload.get(), "exp", claims.expires_at);
    std::string signing_input = base64url_encode(kHeader) + "." + base64url_encode(to_text(payload.get()));
    return signing_input + "." + base64url_encode(hmac_sha256(signing_input, secret));
}

TokenClaims verify_token(std::string_view token, std::string_view secret, std::int64_t now) {
    if (secret.empty()) throw std::runtime_error("CONCERT_TOKEN_SECRET is not set");
    if (token.size() > 1024) throw invalid();
    std::size_t dot1 = token.find('.');
    std::size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
    if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) throw invalid();
    std::string_view signing_input = token.substr(0, dot2);
    std::string_view signature = token.substr(dot2 + 1);

    // The signature first: nothing of an unsigned token is looked at further.
    std::string expected = base64url_encode(hmac_sha256(signing_input, secret));
    if (!constant_time_equal(signature, expected)) throw invalid();

    JsonPtr header = json_part(token.substr(0, dot1));
    const cJSON* alg = cJSON_GetObjectItemCaseSensitive(header.get(), "alg");
    if (!cJSON_IsString(alg) || std::string_view(alg->valuestring) != "HS256") throw invalid();

    JsonPtr payload = json_part(token.substr(dot1 + 1, dot2 - dot1 - 1));
    const cJSON* sub = cJSON_GetObjectItemCaseSensitive(payload.get(), "sub");
    if (!cJSON_IsString(sub) || !is_canonical_uuid(sub->valuestring)) throw invalid();
    // A token from before rooms has no "cid": refused, and its holder asks again.
    // iat and exp are optional (v3 tokens carry neither: a token lives as
    // long as its ticket), but an exp that is there is kept.
    auto optional_claim = [&](const char* name) {
        return cJSON_GetObjectItemCaseSensitive(payload.get(), name) ? int_claim(payload.get(), name, 0) : 0;
    };
    TokenClaims claims{sub->valuestring, int_claim(payload.get(), "cid", 1), int_claim(payload.get(), "tkt", 1),
                       optional_claim("ep"), optional_claim("iat"), optional_claim("exp")};
    if (cJSON_GetObjectItemCaseSensitive(payload.get(), "exp") && claims.expires_at <= now) {
        throw HttpError{401, "Token has expired"};
    }
    return claims;
}

std::string bearer_token(const std::optional<std::string>& authorization) {
    if (!authorization) throw HttpError{401, "Missing bearer token"};
    std::string_view value = *authorization;
    constexpr std::string_view kScheme = "Bearer ";
    if (value.size() <= kScheme.size()) throw HttpError{401, "Missing bearer token"};
    for (std::size_t i = 0; i < kScheme.size(); ++i) {
        if (std::tolower(static_cast<unsigned char>(value[i])) != std::tolower(static_cast<unsigned char>(kScheme[i]))) {
            throw HttpError{401, "Missing bearer token"};
        }
    }
    return std::string(value.substr(kScheme.size()));
}

void require_token_secret(const Config& config) {
    if (config.token_secret.size() < kMinSecretBytes) {
        throw ConfigError("CONCERT_TOKEN_SECRET must be set, at least " + std::to_string(kMinSecretBytes) +
                          " characters (e.g. 64 hex digits)");
    }
}

}  // namespace concert
