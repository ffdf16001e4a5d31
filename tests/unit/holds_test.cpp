#include "rules/holds.hpp"

#include <string>

#include "base/http.hpp"
#include "http_error.hpp"

#include <CppUTest/TestHarness.h>

namespace {

concert::SeatLookup free_seat() {
    concert::SeatLookup s;
    s.concert_exists = s.date_exists = s.seat_exists = s.seat_free = true;
    s.total_seats = 50;
    return s;
}

std::string verdict(const concert::SeatLookup& s, long seat = 10, long max = 4) {
    try {
        concert::check_hold(s, seat, max);
        return "ok";
    } catch (const concert::HttpError& e) {
        return std::to_string(e.status) + " " + e.message;
    }
}

std::string parse_error(const std::string& body) {
    return unit::error_message([&] { concert::parse_hold_request(body); });
}

}  // namespace

TEST_GROUP(Holds){};

TEST(Holds, FreeSeatUnderTheCapMayBeHeld) { STRCMP_EQUAL("ok", verdict(free_seat()).c_str()); }

TEST(Holds, TakenSeatIsConflict) {
    concert::SeatLookup s = free_seat();
    s.seat_free = false;
    STRCMP_EQUAL("409 Seat is already reserved", verdict(s).c_str());
}

TEST(Holds, CapCountsUnexpiredUnpaidHolds) {
    CHECK_TRUE(concert::under_hold_cap(3, 4));
    CHECK_FALSE(concert::under_hold_cap(4, 4));
    CHECK_FALSE(concert::under_hold_cap(5, 4));
    concert::SeatLookup s = free_seat();
    s.user_holds = 4;
    STRCMP_EQUAL("409 Hold limit reached", verdict(s).c_str());
}

TEST(Holds, TakenSeatIsReportedBeforeTheCap) {
    concert::SeatLookup s = free_seat();
    s.seat_free = false;
    s.user_holds = 4;
    STRCMP_EQUAL("409 Seat is already reserved", verdict(s).c_str());
}

TEST(Holds, MissingConcertDateAndSeatHaveTheirErrors) {
    concert::SeatLookup s = free_seat();
    s.concert_exists = false;
    STRCMP_EQUAL("404 Concert not found", verdict(s).c_str());
    s = free_seat();
    s.date_exists = false;
    STRCMP_EQUAL("404 Concert date not found", verdict(s).c_str());
    s = free_seat();
    s.date_past = true;
    STRCMP_EQUAL("400 date has already passed", verdict(s).c_str());
    s = free_seat();
    s.seat_exists = false;
    STRCMP_EQUAL("400 seatNumber must be between 1 and 50", verdict(s, 51).c_str());
}

TEST(Holds, BodyIsParsedStrictly) {
    concert::HoldRequest r = concert::parse_hold_request("{\"concertId\":3,\"date\":\"2027-01-02\",\"seatNumber\":7}");
    LONGS_EQUAL(3, r.concert_id);
    LONGS_EQUAL(7, r.seat_number);
    STRCMP_EQUAL("2027-01-02", concert::format_date(r.date).c_str());
    STRCMP_EQUAL("concertId is required", parse_error("{\"date\":\"2027-01-02\",\"seatNumber\":7}").c_str());
    STRCMP_EQUAL("concertId must be a positive integer",
                 parse_error("{\"concertId\":0,\"date\":\"2027-01-02\",\"seatNumber\":7}").c_str());
    STRCMP_EQUAL("date is required", parse_error("{\"concertId\":3,\"seatNumber\":7}").c_str());
    STRCMP_EQUAL("date must be a real calendar date (YYYY-MM-DD)",
                 parse_error("{\"concertId\":3,\"date\":\"tomorrow\",\"seatNumber\":7}").c_str());
    STRCMP_EQUAL("seatNumber must be an integer",
                 parse_error("{\"concertId\":3,\"date\":\"2027-01-02\",\"seatNumber\":\"7\"}").c_str());
}

TEST(Holds, SeatNumberOutsideTheDateIsLeftToTheLookupThatKnowsItsRange) {
    LONGS_EQUAL(0, concert::parse_hold_request("{\"concertId\":3,\"date\":\"2027-01-02\",\"seatNumber\":0}").seat_number);
    LONGS_EQUAL(-4, concert::parse_hold_request("{\"concertId\":3,\"date\":\"2027-01-02\",\"seatNumber\":-4}").seat_number);
}

TEST(Holds, NumbersWithAFractionOrExponentAreNotIntegers) {
    for (const char* seat : {"7.0", "7e0", "0.7E1", "70e-1", "7.00"}) {
        STRCMP_EQUAL("seatNumber must be an integer",
                     parse_error(std::string("{\"concertId\":3,\"date\":\"2027-01-02\",\"seatNumber\":") + seat + "}")
                         .c_str());
    }
}

TEST_GROUP(Cancel){};

TEST(Cancel, OnlyALiveHoldOfTheCallerIsCancelledEndedOnesAreNothingToDo) {
    CHECK_TRUE(concert::must_cancel({true, "TEMPORARILY_RESERVED", false}));
    CHECK_FALSE(concert::must_cancel({true, "TEMPORARILY_RESERVED", true}));  // lapsed: 204, nothing to do
    CHECK_FALSE(concert::must_cancel({true, "EXPIRED", true}));
    CHECK_FALSE(concert::must_cancel({true, "CANCELLED", false}));
}

TEST(Cancel, AnotherUsersOrUnknownIs404AndPaidIs409) {
    STRCMP_EQUAL("404 Reservation not found",
                 unit::error_of([] { concert::must_cancel({false, "TEMPORARILY_RESERVED", false}); }).c_str());
    STRCMP_EQUAL("404 Reservation not found", unit::error_of([] { concert::must_cancel({false, "PAID", false}); }).c_str());
    STRCMP_EQUAL("409 Reservation is already paid",
                 unit::error_of([] { concert::must_cancel({true, "PAID", false}); }).c_str());
}

TEST(Cancel, TheIdComesFromThePath) {
    STRCMP_EQUAL("01a205b4-376c-7510-adb7-2d373dc1d7c1",
                 concert::reservation_id_from_path("/api/v1/reservations/01a205b4-376c-7510-adb7-2d373dc1d7c1").c_str());
    STRCMP_EQUAL("400 reservationId must be a UUID in lower-case canonical form",
                 unit::error_of([] { concert::reservation_id_from_path("/api/v1/reservations/x"); }).c_str());
}

TEST(Cancel, ListLimitIsOneToAHundredAndAHundredWhenAbsent) {
    LONGS_EQUAL(100, concert::reservations_limit(""));
    LONGS_EQUAL(7, concert::reservations_limit("limit=7"));
    for (const char* bad : {"limit=0", "limit=101", "limit=-1", "limit=1.5", "limit=", "limit=x"}) {
        STRCMP_EQUAL_TEXT("400 limit must be between 1 and 100",
                          unit::error_of([&] { concert::reservations_limit(bad); }).c_str(), bad);
    }
}
