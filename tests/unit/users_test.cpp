#include "rules/users.hpp"

#include <string>

#include "base/http.hpp"
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
