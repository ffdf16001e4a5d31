// Concerts, dates and seats through nginx, and `concertctl concert add`.

#include <map>
#include <string>
#include <vector>

#include "client.hpp"

#include <CppUTest/TestHarness.h>

namespace {

itest::Reply get(const std::string& path, const std::string& token) {
    return itest::request("GET", path, "", {"Authorization: Bearer " + token});
}

std::string dates_of(long concert, const std::string& token) {
    concert::JsonPtr obj = get("/api/v1/concerts/" + std::to_string(concert) + "/available-dates", token).json();
    return obj ? concert::to_text(cJSON_GetObjectItemCaseSensitive(obj.get(), "availableDates")) : "no body";
}

std::string seats_path(long concert, const std::string& date) {
    return "/api/v1/concerts/" + std::to_string(concert) + "/available-seats?date=" + date;
}

// The seat numbers in an available-seats answer, "1,2,3".
std::string seat_numbers(const itest::Reply& r) {
    concert::JsonPtr obj = r.json();
    std::string out;
    const cJSON* seats = cJSON_GetObjectItemCaseSensitive(obj.get(), "seats");
    const cJSON* seat = nullptr;
    cJSON_ArrayForEach(seat, seats) {
        if (!out.empty()) out += ",";
        out += std::to_string(static_cast<long>(cJSON_GetObjectItemCaseSensitive(seat, "seatNumber")->valuedouble));
    }
    return out;
}

// Marks seats of a concert date held or sold by a fresh user, directly in
// the database (the holds route does this for real in its own tests).
void set_seats(long concert, const std::string& date, const std::string& numbers, const std::string& status,
               const std::string& expiry_sql) {
    std::string user = itest::new_user("holder");
    itest::exec("UPDATE seats s JOIN concert_dates d ON d.id = s.concert_date_id SET s.status = '" + status +
                "', s.holder_id = '" + user + "', s.hold_expires_at = " + expiry_sql +
                ", s.version = s.version + 1 WHERE d.concert_id = " + std::to_string(concert) +
                " AND d.play_date = '" + date + "' AND s.seat_number IN (" + numbers + ")");
}

}  // namespace

TEST_GROUP(Catalog) {
    std::map<long, std::string> tokens;
    void setup() override { itest::redis().command({"FLUSHDB"}); }
    // An ACTIVE token of the concert's room (one per concert and test).
    std::string token_for(long concert) {
        std::string& token = tokens[concert];
        if (token.empty()) token = itest::active_token(concert);
        CHECK(!token.empty());
        return token;
    }
    void teardown() override {
        itest::redis().command({"FLUSHDB"});
        // Seats these tests held or sold by hand have no reservation or
        // payment behind them: free them again, so that later invariant
        // checks (concertctl check) see only what the service itself wrote.
        itest::exec("UPDATE seats s SET s.status = 'FREE', s.holder_id = NULL, s.hold_expires_at = NULL, "
                    "s.version = s.version + 1 WHERE s.status <> 'FREE' AND NOT EXISTS "
                    "(SELECT 1 FROM reservations r WHERE r.seat_id = s.id)");
    }
};

TEST(Catalog, ConcertListNeedsNoToken) {
    long id = itest::add_concert("--name 'Catalog list' --dates " + itest::day(5));
    itest::Reply r = itest::request("GET", "/api/v1/concerts");
    LONGS_EQUAL(200, r.status);
    STRCMP_CONTAINS(("{\"concertId\":" + std::to_string(id) + ",\"name\":\"Catalog list\"}").c_str(), r.body.c_str());
}

TEST(Catalog, DatesAreTodayOnwardAscending) {
    long id = itest::add_concert("--name Dates --dates " + itest::day(3) + "," + itest::day(0) + "," + itest::day(1) + " --seats 2");
    // A past date, written directly (concertctl refuses to add one).
    itest::exec("INSERT INTO concert_dates (concert_id, play_date, total_seats) VALUES (" + std::to_string(id) +
                ", CURRENT_DATE() - INTERVAL 1 DAY, 1)");
    itest::exec("INSERT INTO seats (concert_date_id, seat_number, price) SELECT id, 1, 5 FROM concert_dates "
                "WHERE concert_id = " + std::to_string(id) + " AND play_date < CURRENT_DATE()");
    STRCMP_EQUAL(("[\"" + itest::day(0) + "\",\"" + itest::day(1) + "\",\"" + itest::day(3) + "\"]").c_str(), dates_of(id, token_for(id)).c_str());
}

TEST(Catalog, SeatsAreListedWithTotalAndPrice) {
    long id = itest::add_concert("--name Seats --dates " + itest::day(2) + " --seats 3 --price 70000");
    itest::Reply r = get(seats_path(id, itest::day(2)), token_for(id));
    LONGS_EQUAL(200, r.status);
    STRCMP_EQUAL(("{\"concertId\":" + std::to_string(id) + ",\"date\":\"" + itest::day(2) +
                  "\",\"totalSeats\":3,\"seats\":[{\"seatNumber\":1,\"price\":70000},"
                  "{\"seatNumber\":2,\"price\":70000},{\"seatNumber\":3,\"price\":70000}]}").c_str(),
                 r.body.c_str());
}

TEST(Catalog, DefaultsAreFiftySeatsAtOneHundredThousand) {
    long id = itest::add_concert("--name Defaults --dates " + itest::day(2));
    itest::Reply r = get(seats_path(id, itest::day(2)), token_for(id));
    STRCMP_CONTAINS("\"totalSeats\":50", r.body.c_str());
    STRCMP_CONTAINS("{\"seatNumber\":50,\"price\":100000}", r.body.c_str());
}

TEST(Catalog, HeldSeatIsTakenUntilItsHoldExpires) {
    long id = itest::add_concert("--name Holds --dates " + itest::day(2) + " --seats 4");
    set_seats(id, itest::day(2), "1", "HELD", "NOW(3) + INTERVAL 1 HOUR");
    set_seats(id, itest::day(2), "2", "HELD", "NOW(3) - INTERVAL 1 SECOND");
    set_seats(id, itest::day(2), "3", "SOLD", "NULL");
    STRCMP_EQUAL("2,4", seat_numbers(get(seats_path(id, itest::day(2)), token_for(id))).c_str());
}

TEST(Catalog, SoldOutOrFullyHeldDatesAreNotListed) {
    long id = itest::add_concert("--name Full --dates " + itest::day(1) + "," + itest::day(2) + "," + itest::day(3) + " --seats 2");
    set_seats(id, itest::day(1), "1,2", "SOLD", "NULL");
    set_seats(id, itest::day(2), "1", "SOLD", "NULL");
    set_seats(id, itest::day(2), "2", "HELD", "NOW(3) + INTERVAL 1 HOUR");
    STRCMP_EQUAL(("[\"" + itest::day(3) + "\"]").c_str(), dates_of(id, token_for(id)).c_str());
    itest::Reply r = get(seats_path(id, itest::day(1)), token_for(id));
    LONGS_EQUAL(200, r.status);
    STRCMP_CONTAINS("\"totalSeats\":2,\"seats\":[]", r.body.c_str());
}

TEST(Catalog, ConcertWithNoDatesLeftIsAnEmptyList) {
    long id = itest::add_concert("--name Gone --dates " + itest::day(1) + " --seats 1");
    set_seats(id, itest::day(1), "1", "SOLD", "NULL");
    STRCMP_EQUAL("[]", dates_of(id, token_for(id)).c_str());
}

TEST(Catalog, TokenIsRequiredAndMustBeActive) {
    long id = itest::add_concert("--name Tokens --dates " + itest::day(1));
    std::string dates = "/api/v1/concerts/" + std::to_string(id) + "/available-dates";
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", dates), 401).c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", seats_path(id, itest::day(1))), 401).c_str());
    std::string token = token_for(id);
    // The room's own capacity (read by its scripts at once): 1, taken.
    itest::redis().command({"HSET", "{q:" + std::to_string(id) + "}:settings", "queue.capacity", "1"});
    itest::Reply waiting =
        itest::request("POST", "/api/v1/queue/token", itest::token_request(itest::new_user(), id));
    std::string waiting_token = itest::text_field(waiting.json().get(), "token");
    STRCMP_EQUAL("", itest::error_problem(get(dates, waiting_token), 403, "Queue token is not active").c_str());
    STRCMP_EQUAL("", itest::error_problem(get(seats_path(id, itest::day(1)), waiting_token), 403).c_str());
    itest::request("DELETE", "/api/v1/queue/token", "", {"Authorization: Bearer " + token});
    STRCMP_EQUAL("", itest::error_problem(get(dates, token), 403, "Queue token is not active").c_str());
}

// A token is of one concert's room: another concert's dates and seats are
// 403, and so are concerts that do not exist (no room issues their tokens).
TEST(Catalog, BadConcertIdsAre400AndOtherConcertsOnes403) {
    long id = itest::add_concert("--name Mine --dates " + itest::day(1));
    long other = itest::add_concert("--name Theirs --dates " + itest::day(1));
    for (const char* bad : {"abc", "0", "01", "-1", "1.5", "99999999999999999999"}) {
        STRCMP_EQUAL("", itest::error_problem(get(std::string("/api/v1/concerts/") + bad + "/available-dates", token_for(id)),
                                              400, "concertId must be a positive integer").c_str());
    }
    const char* kOther = "Queue token is for another concert";
    STRCMP_EQUAL("", itest::error_problem(get("/api/v1/concerts/" + std::to_string(other) + "/available-dates",
                                              token_for(id)), 403, kOther).c_str());
    STRCMP_EQUAL("", itest::error_problem(get(seats_path(other, itest::day(1)), token_for(id)), 403, kOther).c_str());
    STRCMP_EQUAL("", itest::error_problem(get("/api/v1/concerts/999999/available-dates", token_for(id)), 403,
                                          kOther).c_str());
}

TEST(Catalog, BadDatesAre400AndUnplayedOnes404) {
    long id = itest::add_concert("--name BadDates --dates " + itest::day(1));
    std::string base = "/api/v1/concerts/" + std::to_string(id) + "/available-seats";
    STRCMP_EQUAL("", itest::error_problem(get(base, token_for(id)), 400, "date is required").c_str());
    STRCMP_EQUAL("", itest::error_problem(get(base + "?date=", token_for(id)), 400, "date is required").c_str());
    for (const char* bad : {"2026-13-01", "2026-2-1", "2027-02-29", "20270101", "2027-01-01x", "%00"}) {
        STRCMP_EQUAL("", itest::error_problem(get(base + "?date=" + bad, token_for(id)), 400,
                                              "date must be a real calendar date (YYYY-MM-DD)").c_str());
    }
    STRCMP_EQUAL("", itest::error_problem(get(base + "?date=" + itest::day(1) + "&date=" + itest::day(1), token_for(id)), 400).c_str());
    STRCMP_EQUAL("", itest::error_problem(get(base + "?date=" + itest::day(2), token_for(id)), 404, "Concert date not found").c_str());
}

TEST(Catalog, PastDateIs400) {
    long id = itest::add_concert("--name Past --dates " + itest::day(1));
    itest::exec("INSERT INTO concert_dates (concert_id, play_date, total_seats) VALUES (" + std::to_string(id) +
                ", CURRENT_DATE() - INTERVAL 3 DAY, 1)");
    STRCMP_EQUAL("", itest::error_problem(get(seats_path(id, itest::day(-3)), token_for(id)), 400, "date has already passed").c_str());
}

TEST(Catalog, ConcertAddRefusesBadInputAndWritesNothing) {
    std::string before = itest::scalar("SELECT COUNT(*) FROM concerts");
    int rc = 0;
    const std::vector<std::string> bad_options = {
         "--name X --dates 2027-02-30", "--name X --dates " + itest::day(1) + "," + itest::day(1), "--name X --dates " + itest::day(1) + " --seats 0",
          "--name X --dates " + itest::day(1) + " --seats 1001", "--name X --dates " + itest::day(1) + " --price -5",
          "--name X --dates " + itest::day(1) + "," + itest::day(-1), "--dates " + itest::day(1), "--name X", "--name '' --dates " + itest::day(1),
          "--name X --dates " + itest::day(1) + " --colour red"};
    for (const std::string& bad : bad_options) {
        std::string out = itest::concertctl("concert add " + bad, &rc);
        CHECK_TEXT(rc != 0, bad.c_str());
        STRCMP_CONTAINS("\"error\"", out.c_str());
    }
    STRCMP_EQUAL(before.c_str(), itest::scalar("SELECT COUNT(*) FROM concerts").c_str());
}

TEST(Catalog, ConcertAddPrintsIdAndDates) {
    int rc = -1;
    std::string out = itest::concertctl("concert add --name Printed --dates " + itest::day(4) + "," + itest::day(3) + " --seats 1000", &rc);
    LONGS_EQUAL(0, rc);
    STRCMP_CONTAINS(("\"dates\":[\"" + itest::day(4) + "\",\"" + itest::day(3) + "\"]").c_str(), out.c_str());
    concert::JsonPtr obj(cJSON_Parse(out.c_str()));
    long id = static_cast<long>(cJSON_GetObjectItemCaseSensitive(obj.get(), "concertId")->valuedouble);
    STRCMP_EQUAL("2000", itest::scalar("SELECT COUNT(*) FROM seats s JOIN concert_dates d ON d.id = s.concert_date_id "
                                       "WHERE d.concert_id = " + std::to_string(id)).c_str());
}
