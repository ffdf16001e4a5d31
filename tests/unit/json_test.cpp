#include "base/json.hpp"

#include <string>

#include "base/http.hpp"

#include <CppUTest/TestHarness.h>

using concert::HttpError;

namespace {

// The value of an "amount" field of any integer, for numbers outside the charge range.
std::int64_t amount_of_any(const std::string& body) {
    concert::JsonPtr obj = concert::parse_object(body);
    return concert::require_int(obj.get(), "amount", -100, 100);
}

// The 400 message a body gets from parse_object + require_string("name", 1, 100).
std::string name_error(const std::string& body) {
    try {
        concert::JsonPtr obj = concert::parse_object(body);
        concert::require_string(obj.get(), "name", 1, 100);
        return "";
    } catch (const HttpError& e) {
        CHECK_EQUAL(400, e.status);
        return e.message;
    }
}

std::string amount_error(const std::string& body) {
    try {
        concert::JsonPtr obj = concert::parse_object(body);
        concert::require_int(obj.get(), "amount", 1, 10000000);
        return "";
    } catch (const HttpError& e) {
        CHECK_EQUAL(400, e.status);
        return e.message;
    }
}

std::int64_t amount_of(const std::string& body) {
    concert::JsonPtr obj = concert::parse_object(body);
    return concert::require_int(obj.get(), "amount", 1, 10000000);
}

}  // namespace

TEST_GROUP(Json){};

TEST(Json, ObjectBodyIsParsed) { STRCMP_EQUAL("", name_error("{\"name\":\"kim\"}").c_str()); }

TEST(Json, NonObjectBodiesAreRefused) {
    STRCMP_EQUAL("Body must be a JSON object", name_error("").c_str());
    STRCMP_EQUAL("Body must be a JSON object", name_error("[1]").c_str());
    STRCMP_EQUAL("Body must be a JSON object", name_error("\"x\"").c_str());
    STRCMP_EQUAL("Body must be a JSON object", name_error("{\"name\":").c_str());
}

TEST(Json, TrailingBytesAreRefused) {
    STRCMP_EQUAL("Body must be a JSON object", name_error("{\"name\":\"kim\"} xyz").c_str());
    STRCMP_EQUAL("Body must be a JSON object", name_error("{\"name\":\"kim\"}{}").c_str());
}

TEST(Json, TrailingWhitespaceIsFine) { STRCMP_EQUAL("", name_error("{\"name\":\"kim\"}\n ").c_str()); }

TEST(Json, InvalidUtf8IsRefused) { STRCMP_EQUAL("Body must be UTF-8 JSON text", name_error("{\"name\":\"\xff\"}").c_str()); }

TEST(Json, RawNulIsRefused) {
    STRCMP_EQUAL("Body must be UTF-8 JSON text", name_error(std::string("{\"name\":\"a\"}\0x", 14)).c_str());
}

TEST(Json, EscapedNulIsRefused) {
    STRCMP_EQUAL("Body must not contain NUL characters", name_error("{\"name\":\"a\\u0000b\"}").c_str());
}

TEST(Json, DuplicateKeysAreRefused) {
    STRCMP_EQUAL("Duplicate field: name", name_error("{\"name\":\"a\",\"name\":\"b\"}").c_str());
}

TEST(Json, MissingAndNullFieldsAreRequired) {
    STRCMP_EQUAL("name is required", name_error("{}").c_str());
    STRCMP_EQUAL("name is required", name_error("{\"name\":null}").c_str());
}

TEST(Json, FieldNamesAreCaseSensitive) { STRCMP_EQUAL("name is required", name_error("{\"Name\":\"kim\"}").c_str()); }

TEST(Json, NonStringIsRefused) {
    STRCMP_EQUAL("name must be a string", name_error("{\"name\":5}").c_str());
    STRCMP_EQUAL("name must be a string", name_error("{\"name\":[\"a\"]}").c_str());
}

TEST(Json, StringLengthCountsCharactersNotBytes) {
    std::string hundred_hangul;
    for (int i = 0; i < 100; ++i) hundred_hangul += "\xea\xb9\x80";  // 김
    STRCMP_EQUAL("", name_error("{\"name\":\"" + hundred_hangul + "\"}").c_str());
    STRCMP_EQUAL("name must be 1 to 100 characters",
                 name_error("{\"name\":\"" + hundred_hangul + "a\"}").c_str());
    STRCMP_EQUAL("name must be 1 to 100 characters", name_error("{\"name\":\"\"}").c_str());
}

TEST(Json, ControlCharactersAreRefused) {
    STRCMP_EQUAL("name must not contain control characters", name_error("{\"name\":\"a\\nb\"}").c_str());
}

TEST(Json, IntegersAreReadExactly) {
    LONGS_EQUAL(10000000, amount_of("{\"amount\":10000000}"));
    LONGS_EQUAL(1, amount_of("{\"amount\":1}"));
}

// The contract: numbers are JSON integers written plainly. cJSON reads 5.0
// and 5 as the same double, so the reader looks at the number's own text.
TEST(Json, AWholeNumberWithAFractionOrExponentIsNoInteger) {
    STRCMP_EQUAL("amount must be an integer", amount_error("{\"amount\":5.0}").c_str());
    STRCMP_EQUAL("amount must be an integer", amount_error("{\"amount\":5e0}").c_str());
    STRCMP_EQUAL("amount must be an integer", amount_error("{\"amount\":50E-1}").c_str());
}

TEST(Json, LeadingZerosAreNoJsonInteger) {
    // cJSON reads 007 as 7; JSON has no such number.
    for (const char* zeros : {"007", "00", "-01", "01e2"}) {
        STRCMP_EQUAL_TEXT("amount must be an integer", amount_error(std::string("{\"amount\":") + zeros + "}").c_str(),
                          zeros);
    }
    LONGS_EQUAL(0, amount_of_any("{\"amount\":0}"));
    LONGS_EQUAL(0, amount_of_any("{\"amount\":-0}"));
}

TEST(Json, NumbersAreMatchedToTheirTextInDocumentOrder) {
    // Digits inside strings (with escaped quotes) and nested values before
    // the field must not shift which text belongs to which number.
    LONGS_EQUAL(7, amount_of("{\"s\":\"\\\"-1.5e3\\\\\",\"a\":[1,2.5,{\"n\":3e0}],\"amount\":7}"));
    STRCMP_EQUAL("amount must be an integer", amount_error("{\"s\":\"1\",\"a\":[1,2],\"amount\":7.0}").c_str());
    LONGS_EQUAL(-3, amount_of_any("{\"amount\":-3}"));
}

TEST(Json, IntegerRulesHaveTheirMessages) {
    STRCMP_EQUAL("amount must be an integer", amount_error("{\"amount\":1.5}").c_str());
    STRCMP_EQUAL("amount must be an integer", amount_error("{\"amount\":\"5\"}").c_str());
    STRCMP_EQUAL("amount must be an integer", amount_error("{\"amount\":true}").c_str());
    STRCMP_EQUAL("amount must be an integer", amount_error("{\"amount\":1e400}").c_str());
    STRCMP_EQUAL("amount must be an integer", amount_error("{\"amount\":1e300}").c_str());
    STRCMP_EQUAL("amount must be between 1 and 10000000", amount_error("{\"amount\":0}").c_str());
    STRCMP_EQUAL("amount must be between 1 and 10000000", amount_error("{\"amount\":-5}").c_str());
    STRCMP_EQUAL("amount must be between 1 and 10000000", amount_error("{\"amount\":10000001}").c_str());
}

TEST(Json, Utf8ValidatorRefusesOverlongsAndSurrogates) {
    CHECK_TRUE(concert::is_valid_utf8("plain \xea\xb9\x80 \xf0\x9f\x8e\xb5"));
    CHECK_FALSE(concert::is_valid_utf8("\xc0\xaf"));          // overlong '/'
    CHECK_FALSE(concert::is_valid_utf8("\xed\xa0\x80"));      // surrogate
    CHECK_FALSE(concert::is_valid_utf8("\xf4\x90\x80\x80"));  // past U+10FFFF
    CHECK_FALSE(concert::is_valid_utf8("\xea\xb9"));          // truncated
}

TEST(Json, BigIntegersAreWrittenExactly) {
    concert::JsonPtr obj = concert::new_object();
    concert::add_int(obj.get(), "balance", 1000000000000);
    concert::add_int(obj.get(), "max", 9007199254740993);
    STRCMP_EQUAL("{\"balance\":1000000000000,\"max\":9007199254740993}", concert::to_text(obj.get()).c_str());
}
