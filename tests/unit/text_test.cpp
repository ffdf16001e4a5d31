#include "base/text.hpp"

#include <string>

#include "base/crypto.hpp"

#include <CppUTest/TestHarness.h>

TEST_GROUP(Text){};

TEST(Text, HexIsLowerCaseTwoDigitsPerByte) {
    STRCMP_EQUAL("", concert::hex_encode("").c_str());
    STRCMP_EQUAL("00ff7f0a", concert::hex_encode(std::string("\x00\xff\x7f\x0a", 4)).c_str());
}

TEST(Text, DecimalsAreDigitsWithAnOptionalMinus) {
    LONGS_EQUAL(0, *concert::parse_decimal("0"));
    LONGS_EQUAL(42, *concert::parse_decimal("042"));
    LONGS_EQUAL(-7, *concert::parse_decimal("-7"));
    LONGS_EQUAL(999999999999999999, *concert::parse_decimal("999999999999999999"));
}

TEST(Text, AnythingButPlainDigitsIsNoDecimal) {
    for (const char* bad : {"", "-", "+1", " 1", "1 ", "1.0", "1e3", "0x10", "--1", "1-", "1000000000000000000",
                            "-000000000000000000"}) {
        CHECK_FALSE_TEXT(concert::parse_decimal(bad).has_value(), bad);
    }
}

TEST_GROUP(Crypto){};

TEST(Crypto, Sha256AndSha1MatchTheStandardVectors) {
    STRCMP_EQUAL("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
                 concert::hex_encode(concert::sha256("abc")).c_str());
    STRCMP_EQUAL("a9993e364706816aba3e25717850c26c9cd0d89d", concert::hex_encode(concert::sha1("abc")).c_str());
}

TEST(Crypto, HmacSha256MatchesRfc4231Case2) {
    STRCMP_EQUAL("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
                 concert::hex_encode(concert::hmac_sha256("what do ya want for nothing?", "Jefe")).c_str());
}

TEST(Crypto, RandomBytesHaveTheAskedLengthAndDiffer) {
    std::string a = concert::random_bytes(32), b = concert::random_bytes(32);
    LONGS_EQUAL(32, a.size());
    CHECK(a != b);
}

TEST(Crypto, ConstantTimeEqualNeedsSameLengthAndBytes) {
    CHECK_TRUE(concert::constant_time_equal("abc", "abc"));
    CHECK_FALSE(concert::constant_time_equal("abc", "abd"));
    CHECK_FALSE(concert::constant_time_equal("abc", "abcd"));
}
