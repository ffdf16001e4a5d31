#include "rules/token.hpp"

#include <string>

#include "base/crypto.hpp"
#include "base/http.hpp"
#include "base/text.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <CppUTest/TestHarness.h>

namespace {

constexpr const char* kSecret = "test-secret-0123456789abcdef0123";
constexpr std::int64_t kNow = 1800000000;

concert::TokenClaims claims() { return {"01a205b4-376c-7510-adb7-2d373dc1d7c1", 7, 42, 1795350000123, kNow - 10, kNow + 3600}; }

// The 401 message verify_token gives, or "" if the token is accepted.
std::string refusal(const std::string& token, const char* secret = kSecret) {
    try {
        concert::verify_token(token, secret, kNow);
        return "";
    } catch (const concert::HttpError& e) {
        CHECK_EQUAL(401, e.status);
        return e.message;
    }
}

// Replaces one dot-separated part of a token.
std::string with_part(const std::string& token, int index, const std::string& part) {
    std::size_t d1 = token.find('.');
    std::size_t d2 = token.find('.', d1 + 1);
    std::string parts[3] = {token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
    parts[index] = part;
    return parts[0] + "." + parts[1] + "." + parts[2];
}

}  // namespace

TEST_GROUP(Token){};

TEST(Token, SignedTokenVerifiesWithItsClaims) {
    concert::TokenClaims c = concert::verify_token(concert::sign_token(claims(), kSecret), kSecret, kNow);
    STRCMP_EQUAL("01a205b4-376c-7510-adb7-2d373dc1d7c1", c.user_id.c_str());
    LONGS_EQUAL(42, c.ticket);
    LONGS_EQUAL(kNow + 3600, c.expires_at);
    CHECK(1795350000123 == c.epoch);
}

// v3: a queue token names its user, room, ticket and the room's numbering,
// and lives as long as its ticket (no iat, no exp).
TEST(Token, AV3TokenCarriesNoExpiryAndVerifiesAnyTime) {
    concert::TokenClaims v3{"01a205b4-376c-7510-adb7-2d373dc1d7c1", 7, 42, 1795350000123};
    std::string token = concert::sign_token(v3, kSecret);
    std::string payload = token.substr(token.find('.') + 1);
    payload = payload.substr(0, payload.find('.'));
    STRCMP_EQUAL("{\"sub\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\",\"cid\":7,\"tkt\":42,\"ep\":1795350000123}",
                 concert::base64url_decode(payload).value_or("").c_str());
    concert::TokenClaims c = concert::verify_token(token, kSecret, kNow + 365 * 86400);
    CHECK(1795350000123 == c.epoch);
    LONGS_EQUAL(0, c.expires_at);
}

TEST(Token, SameClaimsGiveTheSameToken) {
    STRCMP_EQUAL(concert::sign_token(claims(), kSecret).c_str(), concert::sign_token(claims(), kSecret).c_str());
}

TEST(Token, EditedPayloadIsRefused) {
    std::string token = concert::sign_token(claims(), kSecret);
    concert::TokenClaims other = claims();
    other.ticket = 1;
    std::string forged_payload = concert::sign_token(other, kSecret);
    std::size_t d1 = forged_payload.find('.');
    std::size_t d2 = forged_payload.find('.', d1 + 1);
    STRCMP_EQUAL("Invalid token", refusal(with_part(token, 1, forged_payload.substr(d1 + 1, d2 - d1 - 1))).c_str());
}

TEST(Token, EditedHeaderIsRefused) {
    std::string token = concert::sign_token(claims(), kSecret);
    std::string header = concert::base64url_encode("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"x\"}");
    STRCMP_EQUAL("Invalid token", refusal(with_part(token, 0, header)).c_str());
}

TEST(Token, AlgNoneIsRefused) {
    std::string token = concert::sign_token(claims(), kSecret);
    std::string none = with_part(token, 0, concert::base64url_encode("{\"alg\":\"none\",\"typ\":\"JWT\"}"));
    STRCMP_EQUAL("Invalid token", refusal(with_part(none, 2, "")).c_str());
    STRCMP_EQUAL("Invalid token", refusal(none).c_str());
}

TEST(Token, OtherAlgorithmIsRefusedEvenWithAValidSignature) {
    // Signed correctly with our secret, but the header names another
    // algorithm: the algorithm check stands on its own.
    std::string token = concert::sign_token(claims(), kSecret);
    std::string payload = token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1);
    for (const char* alg : {"HS512", "none", "hs256", "RS256"}) {
        std::string input = concert::base64url_encode(std::string("{\"alg\":\"") + alg + "\"}") + "." + payload;
        unsigned char mac[32];
        unsigned int len = 0;
        HMAC(EVP_sha256(), kSecret, 32, reinterpret_cast<const unsigned char*>(input.data()), input.size(), mac, &len);
        std::string forged = input + "." + concert::base64url_encode(std::string(reinterpret_cast<char*>(mac), len));
        STRCMP_EQUAL("Invalid token", refusal(forged).c_str());
    }
}

TEST(Token, WrongSecretIsRefused) {
    STRCMP_EQUAL("Invalid token", refusal(concert::sign_token(claims(), "another-secret")).c_str());
}

TEST(Token, TruncatedAndMalformedTokensAreRefused) {
    std::string token = concert::sign_token(claims(), kSecret);
    STRCMP_EQUAL("Invalid token", refusal(token.substr(0, token.size() - 1)).c_str());
    STRCMP_EQUAL("Invalid token", refusal(token.substr(0, token.rfind('.'))).c_str());
    STRCMP_EQUAL("Invalid token", refusal(token + ".x").c_str());
    STRCMP_EQUAL("Invalid token", refusal("").c_str());
    STRCMP_EQUAL("Invalid token", refusal("...").c_str());
    STRCMP_EQUAL("Invalid token", refusal("not a token").c_str());
    STRCMP_EQUAL("Invalid token", refusal(token + "=").c_str());
}

TEST(Token, ExpiredTokenIsRefused) {
    concert::TokenClaims c = claims();
    c.expires_at = kNow;
    STRCMP_EQUAL("Token has expired", refusal(concert::sign_token(c, kSecret)).c_str());
}

TEST(Token, BadClaimsAreRefusedEvenWhenSigned) {
    concert::TokenClaims c = claims();
    c.user_id = "not-a-uuid";
    STRCMP_EQUAL("Invalid token", refusal(concert::sign_token(c, kSecret)).c_str());
    c = claims();
    c.ticket = 0;
    STRCMP_EQUAL("Invalid token", refusal(concert::sign_token(c, kSecret)).c_str());
}

TEST(Token, Base64UrlRoundTripsAndIsStrict) {
    for (std::string s : {"", "f", "fo", "foo", "foob", "fooba", "foobar", "\xff\xfe\x00"}) {
        STRCMP_EQUAL(s.c_str(), concert::base64url_decode(concert::base64url_encode(s))->c_str());
    }
    STRCMP_EQUAL("Zm9vYmFy", concert::base64url_encode("foobar").c_str());
    CHECK_FALSE(concert::base64url_decode("Zm9v=").has_value());   // padding
    CHECK_FALSE(concert::base64url_decode("Zm+v").has_value());    // standard alphabet
    CHECK_FALSE(concert::base64url_decode("Zm9 v").has_value());   // whitespace
    CHECK_FALSE(concert::base64url_decode("Zh").has_value());      // non-canonical ending
    CHECK_FALSE(concert::base64url_decode("Z").has_value());       // impossible length
}

TEST(Token, BearerSchemeIsRequired) {
    STRCMP_EQUAL("abc", concert::bearer_token(std::string("Bearer abc")).c_str());
    STRCMP_EQUAL("abc", concert::bearer_token(std::string("bearer abc")).c_str());
    CHECK_THROWS(concert::HttpError, concert::bearer_token(std::nullopt));
    CHECK_THROWS(concert::HttpError, concert::bearer_token(std::string("Basic abc")));
    CHECK_THROWS(concert::HttpError, concert::bearer_token(std::string("Bearer ")));
}

TEST(Token, APoolRefusesASecretShorterThan32Characters) {
    concert::Config config;
    CHECK_THROWS(concert::ConfigError, concert::require_token_secret(config));
    config.token_secret = std::string(31, 'k');
    CHECK_THROWS(concert::ConfigError, concert::require_token_secret(config));
    config.token_secret = std::string(32, 'k');
    concert::require_token_secret(config);
}

TEST(Token, TheRoomIsAClaimTheHolderCanRead) {
    concert::TokenClaims c = concert::verify_token(concert::sign_token(claims(), kSecret), kSecret, kNow);
    LONGS_EQUAL(7, c.concert_id);
    std::string token = concert::sign_token(claims(), kSecret);
    std::string payload = *concert::base64url_decode(token.substr(token.find('.') + 1, token.rfind('.') - token.find('.') - 1));
    STRCMP_CONTAINS("\"sub\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\",\"cid\":7,\"tkt\":42", payload.c_str());
}

TEST(Token, ATokenFromBeforeRoomsIsRefused) {
    // Signed with the right secret, but its payload names no room.
    std::string input = concert::base64url_encode("{\"alg\":\"HS256\",\"typ\":\"JWT\"}") + "." +
                        concert::base64url_encode("{\"sub\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\",\"tkt\":42,\"iat\":" +
                                                  std::to_string(kNow - 10) + ",\"exp\":" + std::to_string(kNow + 3600) + "}");
    std::string token = input + "." + concert::base64url_encode(concert::hmac_sha256(input, kSecret));
    STRCMP_EQUAL("Invalid token", refusal(token).c_str());
}
