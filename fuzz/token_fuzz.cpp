// libFuzzer target: the JWT verifier and base64url. Any bytes as a token:
// 401 or, only for a token we signed ourselves, the claims.

#include <cstdint>
#include <string>

#include "base/http.hpp"
#include "base/text.hpp"
#include "rules/token.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    static const std::string kSecret = "fuzz-secret-0123456789abcdef0123456789";
    try {
        concert::TokenClaims c = concert::verify_token(text, kSecret, 1800000000);
        // Accepted: it must be exactly what we would have signed.
        if (concert::sign_token(c, kSecret) != text) __builtin_trap();
    } catch (const concert::HttpError& e) {
        if (e.status != 401) __builtin_trap();
    }
    if (auto decoded = concert::base64url_decode(text)) {
        if (concert::base64url_encode(*decoded) != text) __builtin_trap();  // strict: one spelling per value
    }
    try {
        concert::bearer_token(text);
    } catch (const concert::HttpError&) {
    }
    return 0;
}
