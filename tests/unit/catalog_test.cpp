#include "rules/catalog.hpp"

#include <stdexcept>
#include <string>

#include "base/http.hpp"
#include "concertctl/concert_add.hpp"

#include <CppUTest/TestHarness.h>

namespace {

std::string http_message(void (*fn)()) {
    try {
        fn();
        return "";
    } catch (const concert::HttpError& e) {
        return std::to_string(e.status) + " " + e.message;
    }
}

std::string add_error(const std::vector<std::string>& options) {
    try {
        concert::parse_concert_add(options);
        return "";
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
}

}  // namespace

TEST_GROUP(Catalog){};

TEST(Catalog, RealDatesParse) {
    CHECK_TRUE(concert::parse_date("2026-11-22").has_value());
    CHECK_TRUE(concert::parse_date("2028-02-29").has_value());  // leap year
    CHECK_TRUE(concert::parse_date("2000-02-29").has_value());  // divisible by 400
    STRCMP_EQUAL("2026-01-05", concert::format_date(*concert::parse_date("2026-01-05")).c_str());
}

TEST(Catalog, ImpossibleOrMisshapenDatesDoNot) {
    for (const char* bad : {"2027-02-29", "1900-02-29", "2026-04-31", "2026-00-10", "2026-13-01", "2026-01-00",
                            "2026-1-01", "2026-01-1", "26-01-01", "2026/01/01", "2026-01-01 ", "0999-01-01", "",
                            "+026-01-01", "2026-0a-01"}) {
        CHECK_FALSE_TEXT(concert::parse_date(bad).has_value(), bad);
    }
}

TEST(Catalog, ConcertIdsArePositiveCanonicalIntegers) {
    LONGS_EQUAL(42, *concert::parse_concert_id("42"));
    LONGS_EQUAL(999999999999999999, *concert::parse_concert_id("999999999999999999"));
    for (const char* bad : {"0", "01", "-1", "+1", "1.0", "1e3", "", "abc", "1234567890123456789"}) {
        CHECK_FALSE_TEXT(concert::parse_concert_id(bad).has_value(), bad);
    }
}

TEST(Catalog, ConcertIdComesFromThePath) {
    LONGS_EQUAL(7, concert::concert_id_from_path("/api/v1/concerts/7/available-dates"));
    STRCMP_EQUAL("400 concertId must be a positive integer",
                 http_message([] { concert::concert_id_from_path("/api/v1/concerts/x/available-dates"); }).c_str());
    STRCMP_EQUAL("400 concertId must be a positive integer",
                 http_message([] { concert::concert_id_from_path("/elsewhere/7"); }).c_str());
}

TEST(Catalog, DateComesFromTheQuery) {
    STRCMP_EQUAL("2026-12-01", concert::format_date(concert::date_from_query("date=2026-12-01")).c_str());
    STRCMP_EQUAL("400 date is required", http_message([] { concert::date_from_query("day=2026-12-01"); }).c_str());
    STRCMP_EQUAL("400 date must be a real calendar date (YYYY-MM-DD)",
                 http_message([] { concert::date_from_query("date=2026-02-30"); }).c_str());
}

TEST(Catalog, DateListRefusesRepeatsAndBadEntries) {
    LONGS_EQUAL(3, concert::parse_date_list("2026-12-01,2026-12-03,2026-12-02").size());
    CHECK_THROWS(std::invalid_argument, concert::parse_date_list("2026-12-01,2026-12-01"));
    CHECK_THROWS(std::invalid_argument, concert::parse_date_list("2026-12-01,"));
    CHECK_THROWS(std::invalid_argument, concert::parse_date_list(""));
}

TEST(Catalog, ConcertAddOptionsHaveDefaults) {
    concert::NewConcert c = concert::parse_concert_add({"--name", "Kim live", "--dates", "2027-01-01"});
    STRCMP_EQUAL("Kim live", c.name.c_str());
    LONGS_EQUAL(50, c.seats);
    LONGS_EQUAL(100000, c.price);
}

TEST(Catalog, ConcertAddOptionsAreChecked) {
    STRCMP_EQUAL("--seats must be an integer from 1 to 1000",
                 add_error({"--name", "a", "--dates", "2027-01-01", "--seats", "1001"}).c_str());
    STRCMP_EQUAL("--price must be an integer from 0 to 1000000000000",
                 add_error({"--name", "a", "--dates", "2027-01-01", "--price", "-1"}).c_str());
    STRCMP_EQUAL("--name is required", add_error({"--dates", "2027-01-01"}).c_str());
    STRCMP_EQUAL("--dates is required", add_error({"--name", "a"}).c_str());
    STRCMP_EQUAL("--seats needs a value", add_error({"--name", "a", "--dates", "2027-01-01", "--seats"}).c_str());
    STRCMP_EQUAL("unknown option --colour", add_error({"--colour", "red"}).c_str());
    STRCMP_EQUAL("--name must be 1 to 200 characters, not blank", add_error({"--name", "  ", "--dates", "2027-01-01"}).c_str());
}

TEST(Catalog, DatabaseInstantsBecomeIsoWithMilliseconds) {
    STRCMP_EQUAL("2026-11-22T12:34:56.789Z", concert::iso_instant("2026-11-22 12:34:56.789000").c_str());
    STRCMP_EQUAL("2026-11-22T12:34:56.000Z", concert::iso_instant("2026-11-22 12:34:56").c_str());
    STRCMP_EQUAL("2026-11-22T12:34:56.500Z", concert::iso_instant("2026-11-22 12:34:56.5").c_str());
}

TEST(Catalog, IsoInstantsAreReadAsUnixMilliseconds) {
    LONGS_EQUAL(0, *concert::parse_iso_instant("1970-01-01T00:00:00Z"));
    CHECK(1795350896789LL == *concert::parse_iso_instant("2026-11-22T12:34:56.789Z"));
    CHECK(951782400000LL == *concert::parse_iso_instant("2000-02-29T00:00:00Z"));
    for (const char* bad : {"2026-11-22 12:34:56Z", "2026-11-22T12:34:56", "2026-02-30T00:00:00Z", "2026-11-22T24:00:00Z",
                            "2026-11-22T12:34:56.78Z", "2026-11-22T12:34:56+09:00", "now"}) {
        CHECK_FALSE_TEXT(concert::parse_iso_instant(bad).has_value(), bad);
    }
}
