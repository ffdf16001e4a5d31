#include "token.hpp"

#include <cctype>
#include <stdexcept>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/core_names.h>
#include <openssl/params.h>

#include "http.hpp"
#include "json.hpp"
#include "uuid.hpp"

namespace concert {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr std::string_view kHeader = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";
constexpr double kMaxSafeInteger = 9007199254740991.0;

HttpError invalid() { return HttpError{401, "Invalid token"}; }

int alphabet_index(char c) {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
}

// One HMAC context per process, reused: OpenSSL 3 fetches the digest and
// builds a context on every one-shot HMAC(), which costs more than hashing
// a token.
class HmacContext {
public:
    HmacContext() {
        EVP_MAC* mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
        if (mac == nullptr) throw std::runtime_error("HMAC unavailable");
        ctx_ = EVP_MAC_CTX_new(mac);
        EVP_MAC_free(mac);  // the context keeps its own reference
        if (ctx_ == nullptr) throw std::runtime_error("HMAC context failed");
    }
    ~HmacContext() { EVP_MAC_CTX_free(ctx_); }
    HmacContext(const HmacContext&) = delete;
    HmacContext& operator=(const HmacContext&) = delete;

    std::string sign(std::string_view data, std::string_view secret) {
        // The key goes in on every init: a null key ("the one set before")
        // is not honoured by OpenSSL before 3.0.3. The digest is set once.
        char digest[] = "SHA256";
        OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest, 0), OSSL_PARAM_construct_end()};
        const auto* key = reinterpret_cast<const unsigned char*>(secret.data());
        if (EVP_MAC_init(ctx_, key, secret.size(), digest_set_ ? nullptr : params) != 1 ||
            EVP_MAC_update(ctx_, reinterpret_cast<const unsigned char*>(data.data()), data.size()) != 1) {
            digest_set_ = false;
            throw std::runtime_error("HMAC failed");
        }
        digest_set_ = true;
        unsigned char out[EVP_MAX_MD_SIZE];
        std::size_t len = 0;
        if (EVP_MAC_final(ctx_, out, &len, sizeof out) != 1) {
            digest_set_ = false;
            throw std::runtime_error("HMAC failed");
        }
        return std::string(reinterpret_cast<const char*>(out), len);
    }

private:
    EVP_MAC_CTX* ctx_ = nullptr;
    bool digest_set_ = false;
};

std::string hmac_sha256(std::string_view data, std::string_view secret) {
    static thread_local HmacContext mac;
    return mac.sign(data, secret);
}

// A claim that must be a whole number in [min, 2^53).
std::int64_t int_claim(const cJSON* obj, const char* name, std::int64_t min) {
    const cJSON* item = cJSON_GetObjectItemCaseSensitive(obj, name);
    if (!cJSON_IsNumber(item)) throw invalid();
    double d = item->valuedouble;
    if (!(d >= static_cast<double>(min) && d <= kMaxSafeInteger) || static_cast<double>(static_cast<std::int64_t>(d)) != d) {
        throw invalid();
    }
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

std::string base64url_encode(std::string_view bytes) {
    std::string out;
    out.reserve((bytes.size() * 4 + 2) / 3);
    std::size_t i = 0;
    auto byte = [&](std::size_t k) { return static_cast<unsigned char>(bytes[k]); };
    for (; i + 3 <= bytes.size(); i += 3) {
        unsigned v = (byte(i) << 16) | (byte(i + 1) << 8) | byte(i + 2);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
        out += kAlphabet[v & 63];
    }
    std::size_t rest = bytes.size() - i;
    if (rest == 1) {
        unsigned v = byte(i) << 16;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
    } else if (rest == 2) {
        unsigned v = (byte(i) << 16) | (byte(i + 1) << 8);
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += kAlphabet[(v >> 6) & 63];
    }
    return out;
}

std::optional<std::string> base64url_decode(std::string_view text) {
    if (text.size() % 4 == 1) return std::nullopt;
    std::string out;
    out.reserve(text.size() * 3 / 4);
    unsigned buffer = 0;
    int bits = 0;
    for (char c : text) {
        int v = alphabet_index(c);
        if (v < 0) return std::nullopt;
        buffer = (buffer << 6) | static_cast<unsigned>(v);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((buffer >> bits) & 0xFF);
        }
    }
    if ((buffer & ((1u << bits) - 1)) != 0) return std::nullopt;  // non-canonical ending
    return out;
}

std::string sign_token(const TokenClaims& claims, std::string_view secret) {
    JsonPtr payload = new_object();
    add_string(payload.get(), "sub", claims.user_id);
    add_int(payload.get(), "tkt", claims.ticket);
    add_int(payload.get(), "iat", claims.issued_at);
    add_int(payload.get(), "exp", claims.expires_at);
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
    if (signature.size() != expected.size() ||
        CRYPTO_memcmp(signature.data(), expected.data(), expected.size()) != 0) {
        throw invalid();
    }

    JsonPtr header = json_part(token.substr(0, dot1));
    const cJSON* alg = cJSON_GetObjectItemCaseSensitive(header.get(), "alg");
    if (!cJSON_IsString(alg) || std::string_view(alg->valuestring) != "HS256") throw invalid();

    JsonPtr payload = json_part(token.substr(dot1 + 1, dot2 - dot1 - 1));
    const cJSON* sub = cJSON_GetObjectItemCaseSensitive(payload.get(), "sub");
    if (!cJSON_IsString(sub) || !is_canonical_uuid(sub->valuestring)) throw invalid();
    TokenClaims claims{sub->valuestring, int_claim(payload.get(), "tkt", 1), int_claim(payload.get(), "iat", 0),
                       int_claim(payload.get(), "exp", 0)};
    if (claims.expires_at <= now) throw HttpError{401, "Token has expired"};
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

}  // namespace concert
