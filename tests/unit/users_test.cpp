#include "rules/users.hpp"

#include <string>

#include "base/http.hpp"
#include "base/text.hpp"
#include "http_error.hpp"

#include <CppUTest/TestHarness.h>

namespace {

std::string sign_up_error(const std::string& body) {
    return unit::error_message([&] { concert::parse_sign_up(body); });
}

}  // namespace

TEST_GROUP(SignUp){};

TEST(SignUp, NameIsReturnedAsGiven) { STRCMP_EQUAL(" kim ", concert::parse_sign_up("{\"name\":\" kim \"}").c_str()); }

TEST(SignUp, UnknownFieldsAreIgnored) { STRCMP_EQUAL("kim", concert::parse_sign_up("{\"name\":\"kim\",\"x\":1}").c_str()); }

TEST(SignUp, BlankNameIsRefused) { STRCMP_EQUAL("name must not be blank", sign_up_error("{\"name\":\"   \"}").c_str()); }

TEST(SignUp, BidiOverridesZeroWidthCharactersAndC1ControlsAreRefused) {
    for (const char* name : {"\\u202e\\u0085x", "ki\\u202em", "k\\u200dim", "k\\u00adim", "kim\\ufeff", "k\\u0085im",
                             "k\\u2066im", "k\\udb40\\udc41im"}) {
        STRCMP_EQUAL_TEXT("name must not contain control or format characters",
                          sign_up_error(std::string("{\"name\":\"") + name + "\"}").c_str(), name);
    }
}

TEST(SignUp, ANameOfOnlyUnicodeWhiteSpaceIsBlank) {
    STRCMP_EQUAL("name must not be blank", sign_up_error("{\"name\":\"\\u00a0\\u3000\\u2003\"}").c_str());
    STRCMP_EQUAL("name must not be blank", sign_up_error("{\"name\":\"\\u1680\"}").c_str());
}

TEST(SignUp, NamesInAnyScriptWithInnerSpacesAreKept) {
    STRCMP_EQUAL("kim\xc2\xa0lee", concert::parse_sign_up("{\"name\":\"kim\\u00a0lee\"}").c_str());
    STRCMP_EQUAL("\xea\xb9\x80 \xf0\x9f\x8e\xb5", concert::parse_sign_up("{\"name\":\"\xea\xb9\x80 \xf0\x9f\x8e\xb5\"}").c_str());
}

TEST(SignUp, MissingNameIsRefused) { STRCMP_EQUAL("name is required", sign_up_error("{}").c_str()); }

TEST_GROUP(UserPath){};

TEST(UserPath, UserIdComesFromThePath) {
    STRCMP_EQUAL("01a205b4-376c-7510-adb7-2d373dc1d7c1",
                 concert::user_id_from_path("/api/v1/users/01a205b4-376c-7510-adb7-2d373dc1d7c1/charge").c_str());
    CHECK_THROWS(concert::HttpError, concert::user_id_from_path("/api/v1/users/kim/charge"));
    CHECK_THROWS(concert::HttpError, concert::user_id_from_path("/api/v1/users//balance"));
}

TEST_GROUP(UserSecret){};

TEST(UserSecret, IsUsAnd32RandomBytesInBase64Url) {
    std::string a = concert::new_user_secret();
    LONGS_EQUAL(46, a.size());
    STRCMP_EQUAL("us_", a.substr(0, 3).c_str());
    CHECK_TRUE(concert::is_user_secret(a));
    CHECK(a != concert::new_user_secret());
}

TEST(UserSecret, OnlyItsShapeIsASecretAnythingElseIsATokenToTry) {
    CHECK_FALSE(concert::is_user_secret("us_short"));
    CHECK_FALSE(concert::is_user_secret("xx_" + std::string(42, 'A') + "A"));
    CHECK_FALSE(concert::is_user_secret("us_" + std::string(42, 'A') + "B"));  // unused bits set: not canonical
    CHECK_FALSE(concert::is_user_secret("us_" + std::string(43, '+')));
    CHECK_FALSE(concert::is_user_secret("eyJhbGciOiJIUzI1NiJ9.e30.sig"));
    CHECK_TRUE(concert::is_user_secret("us_" + std::string(42, 'Q') + "A"));
}

TEST(UserSecret, MatchesOnlyItsOwnStoredHash) {
    std::string secret = concert::new_user_secret();
    std::string stored = concert::hex_encode(concert::secret_hash(secret));
    LONGS_EQUAL(64, stored.size());
    CHECK_TRUE(concert::secret_matches(stored, secret));
    CHECK_FALSE(concert::secret_matches(stored, concert::new_user_secret()));
    CHECK_FALSE(concert::secret_matches("", secret));  // no such user, or one without a secret
    CHECK_FALSE(concert::secret_matches(concert::hex_encode(concert::secret_hash("")), ""));
}

TEST(UserSecret, TokenRequestCarriesIdSecretAndRoom) {
    concert::TokenRequest r = concert::parse_token_request(
        "{\"userId\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\",\"userSecret\":\"us_x\",\"concertId\":7}");
    STRCMP_EQUAL("01a205b4-376c-7510-adb7-2d373dc1d7c1", r.user_id.c_str());
    STRCMP_EQUAL("us_x", r.secret.c_str());
    LONGS_EQUAL(7, r.concert_id);
    STRCMP_EQUAL("", concert::parse_token_request(
                         "{\"userId\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\",\"concertId\":7}").secret.c_str());
    auto refusal = [](const char* body) { return unit::error_message([&] { concert::parse_token_request(body); }); };
    STRCMP_EQUAL("userSecret must be a string",
                 refusal("{\"userId\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\",\"userSecret\":1,\"concertId\":7}").c_str());
    STRCMP_EQUAL("concertId is required", refusal("{\"userId\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\"}").c_str());
    STRCMP_EQUAL("concertId must be a positive integer",
                 refusal("{\"userId\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\",\"concertId\":-3}").c_str());
}
