// POST /api/v1/reservations through both instances: races from many
// processes, the hold cap, expiry, and concertctl sweep.

#include <algorithm>
#include <memory>
#include <chrono>
#include <numeric>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "client.hpp"

#include <CppUTest/TestHarness.h>

namespace {

std::string hold_body(long concert, const std::string& date, long seat) {
    return "{\"concertId\":" + std::to_string(concert) + ",\"date\":\"" + date +
           "\",\"seatNumber\":" + std::to_string(seat) + "}";
}

itest::Reply hold(const std::string& token, long concert, const std::string& date, long seat, int instance = 0) {
    return itest::request_on(instance, "POST", "/api/v1/reservations", hold_body(concert, date, seat),
                             {"Authorization: Bearer " + token});
}

std::vector<std::string> active_tokens(int n, long concert) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back(itest::active_token(concert));
    return out;
}

std::string count_sql(const std::string& where) { return itest::scalar("SELECT COUNT(*) FROM " + where); }

std::string seats_of(long concert, const std::string& condition) {
    return count_sql("seats s JOIN concert_dates d ON d.id = s.concert_date_id WHERE d.concert_id = " +
                     std::to_string(concert) + " AND " + condition);
}

}  // namespace

TEST_GROUP(Holds) {
    std::unique_ptr<itest::QueueFixture> queue;
    void setup() override { queue = std::make_unique<itest::QueueFixture>(); }
    void teardown() override { queue.reset(); }
    void set(const char* name, long value) { queue->set(name, value); }
};

TEST(Holds, FreeSeatIsHeldWithExpiryAndPrice) {
    long concert = itest::add_concert("--name Hold --dates " + itest::day(3) + " --seats 5 --price 77000");
    std::string token = itest::active_token(concert);
    itest::Reply r = hold(token, concert, itest::day(3), 4);
    LONGS_EQUAL(201, r.status);
    concert::JsonPtr obj = r.json();
    STRCMP_EQUAL("TEMPORARILY_RESERVED", itest::text_field(obj.get(), "status").c_str());
    STRCMP_EQUAL(itest::day(3).c_str(), itest::text_field(obj.get(), "date").c_str());
    LONGS_EQUAL(36, itest::text_field(obj.get(), "reservationId").size());
    CHECK_EQUAL(77000, cJSON_GetObjectItemCaseSensitive(obj.get(), "price")->valuedouble);
    CHECK_EQUAL(4, cJSON_GetObjectItemCaseSensitive(obj.get(), "seatNumber")->valuedouble);
    CHECK_EQUAL(concert, cJSON_GetObjectItemCaseSensitive(obj.get(), "concertId")->valuedouble);
    std::string expires = itest::text_field(obj.get(), "expiresAt");
    LONGS_EQUAL(24, expires.size());
    CHECK_EQUAL('Z', expires.back());
    // expiresAt is the database clock plus hold.seconds (300 by default).
    std::string seconds_left = itest::scalar("SELECT TIMESTAMPDIFF(SECOND, NOW(3), STR_TO_DATE('" + expires +
                                             "', '%Y-%m-%dT%H:%i:%s.%fZ'))");
    CHECK(std::stol(seconds_left) >= 298 && std::stol(seconds_left) <= 300);
    STRCMP_EQUAL("1", seats_of(concert, "s.seat_number = 4 AND s.status = 'HELD'").c_str());
    STRCMP_EQUAL("", itest::error_problem(hold(itest::active_token(concert), concert, itest::day(3), 4), 409,
                                          "Seat is already reserved").c_str());
}

TEST(Holds, FiftyClientsOnTwoInstancesRaceForOneSeatAndOneWins) {
    std::string date = itest::day(2);
    long concert = itest::add_concert("--name Race1 --dates " + date);
    std::vector<std::string> tokens = active_tokens(50, concert);
    std::vector<std::string> out = itest::in_processes(50, [&](int i) {
        itest::Reply r = hold(tokens[static_cast<std::size_t>(i)], concert, date, 7, i % 2);
        return std::to_string(r.status) + " " + itest::text_field(r.json().get(), "message");
    });
    LONGS_EQUAL(1, std::count(out.begin(), out.end(), "201 "));
    LONGS_EQUAL(49, std::count(out.begin(), out.end(), "409 Seat is already reserved"));
    STRCMP_EQUAL("", itest::check_problem().c_str());
    STRCMP_EQUAL("1", count_sql("reservations r JOIN seats s ON s.id = r.seat_id JOIN concert_dates d ON "
                                "d.id = s.concert_date_id WHERE d.concert_id = " + std::to_string(concert)).c_str());
}

TEST(Holds, HundredClientsTakeFiftySeatsEachExactlyOnce) {
    std::string date = itest::day(2);
    long concert = itest::add_concert("--name Race50 --dates " + date);
    std::vector<std::string> tokens = active_tokens(100, concert);
    std::vector<std::string> out = itest::in_processes(100, [&](int i) {
        std::vector<long> order(50);
        std::iota(order.begin(), order.end(), 1);
        std::shuffle(order.begin(), order.end(), std::mt19937(static_cast<unsigned>(i)));
        std::ostringstream won;
        for (long seat : order) {
            itest::Reply r = hold(tokens[static_cast<std::size_t>(i)], concert, date, seat, i % 2);
            if (r.status == 201) won << seat << ' ';
            if (r.status == 409 && r.body.find("Hold limit") != std::string::npos) break;
        }
        return won.str();
    });
    std::multiset<long> seats;
    for (const std::string& s : out) {
        std::istringstream in(s);
        long seat;
        while (in >> seat) seats.insert(seat);
    }
    LONGS_EQUAL(50, seats.size());
    LONGS_EQUAL(50, std::set<long>(seats.begin(), seats.end()).size());
    STRCMP_EQUAL("50", seats_of(concert, "s.status = 'HELD'").c_str());
    STRCMP_EQUAL("50", count_sql("reservations r JOIN seats s ON s.id = r.seat_id JOIN concert_dates d ON "
                                 "d.id = s.concert_date_id WHERE r.status = 'TEMPORARILY_RESERVED' AND d.concert_id = " +
                                 std::to_string(concert)).c_str());
    // No one holds more than the cap.
    STRCMP_EQUAL("0", count_sql("(SELECT holder_id FROM seats WHERE status = 'HELD' AND hold_expires_at > NOW(3) "
                                "GROUP BY holder_id HAVING COUNT(*) > 4) over_cap").c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Holds, UserAtTheCapGets409) {
    set("hold.max_per_user", 2);
    long concert = itest::add_concert("--name Cap --dates " + itest::day(2));
    std::string token = itest::active_token(concert);
    LONGS_EQUAL(201, hold(token, concert, itest::day(2), 1).status);
    LONGS_EQUAL(201, hold(token, concert, itest::day(2), 2).status);
    STRCMP_EQUAL("", itest::error_problem(hold(token, concert, itest::day(2), 3), 409, "Hold limit reached").c_str());
}

TEST(Holds, TenSimultaneousHoldsOfOneUserStopAtTheCap) {
    std::string date = itest::day(2);
    long concert = itest::add_concert("--name Cap10 --dates " + date);
    std::string token = itest::active_token(concert);
    std::vector<std::string> out = itest::in_processes(10, [&](int i) {
        return std::to_string(hold(token, concert, date, i + 1, i % 2).status);
    });
    long created = std::count(out.begin(), out.end(), "201");
    CHECK(created >= 1 && created <= 4);
    LONGS_EQUAL(10 - created, std::count(out.begin(), out.end(), "409") + std::count(out.begin(), out.end(), "503"));
    STRCMP_EQUAL(std::to_string(created).c_str(), seats_of(concert, "s.status = 'HELD'").c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Holds, LapsedHoldFreesTheSeatForAnotherUser) {
    set("hold.seconds", 1);
    long concert = itest::add_concert("--name Lapse --dates " + itest::day(2));
    itest::Reply first = hold(itest::active_token(concert), concert, itest::day(2), 9);
    LONGS_EQUAL(201, first.status);
    std::string other = itest::active_token(concert);
    LONGS_EQUAL(409, hold(other, concert, itest::day(2), 9).status);
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    LONGS_EQUAL(201, hold(other, concert, itest::day(2), 9).status);
    std::string first_id = itest::text_field(first.json().get(), "reservationId");
    STRCMP_EQUAL("EXPIRED", itest::scalar("SELECT status FROM reservations WHERE id = '" + first_id + "'").c_str());
}

TEST(Holds, SweepIsIdempotentAndConcurrentSweepsShareTheWork) {
    set("hold.seconds", 1);
    long concert = itest::add_concert("--name Sweep --dates " + itest::day(2));
    for (int user = 0; user < 3; ++user) {
        std::string token = itest::active_token(concert);
        LONGS_EQUAL(201, hold(token, concert, itest::day(2), 2 * user + 1).status);
        LONGS_EQUAL(201, hold(token, concert, itest::day(2), 2 * user + 2).status);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1200));
    long lapsed = std::stol(count_sql("reservations WHERE status = 'TEMPORARILY_RESERVED' AND expires_at <= NOW(3)"));
    CHECK(lapsed >= 6);
    std::vector<std::string> out = itest::in_processes(4, [](int) { return itest::concertctl("sweep"); });
    long total = 0;
    for (const std::string& o : out) {
        concert::JsonPtr obj(cJSON_Parse(o.c_str()));
        CHECK_TEXT(obj != nullptr, o.c_str());
        total += static_cast<long>(cJSON_GetObjectItemCaseSensitive(obj.get(), "expired")->valuedouble);
    }
    LONGS_EQUAL(lapsed, total);
    STRCMP_EQUAL("{\"expired\":0}\n", itest::concertctl("sweep").c_str());
    STRCMP_EQUAL("6", seats_of(concert, "s.status = 'FREE' AND s.seat_number <= 6").c_str());
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

TEST(Holds, BadBodiesAre400) {
    long concert = itest::add_concert("--name Bad --dates " + itest::day(2) + " --seats 50");
    std::string token = itest::active_token(concert);
    auto post = [&](const std::string& body) {
        return itest::request("POST", "/api/v1/reservations", body, {"Authorization: Bearer " + token});
    };
    std::string c = std::to_string(concert);
    STRCMP_EQUAL("", itest::error_problem(post("{\"date\":\"" + itest::day(2) + "\",\"seatNumber\":1}"), 400,
                                          "concertId is required").c_str());
    STRCMP_EQUAL("", itest::error_problem(post("{\"concertId\":\"" + c + "\",\"date\":\"" + itest::day(2) +
                                               "\",\"seatNumber\":1}"), 400, "concertId must be an integer").c_str());
    // The range named is the date's own: seat 0 and seat 51 of a 50-seat date.
    STRCMP_EQUAL("", itest::error_problem(post(hold_body(concert, itest::day(2), 0)), 400,
                                          "seatNumber must be between 1 and 50").c_str());
    STRCMP_EQUAL("", itest::error_problem(post(hold_body(0, itest::day(2), 1)), 400,
                                          "concertId must be a positive integer").c_str());
    STRCMP_EQUAL("", itest::error_problem(post(hold_body(concert, itest::day(2), 51)), 400,
                                          "seatNumber must be between 1 and 50").c_str());
    STRCMP_EQUAL("", itest::error_problem(post("{\"concertId\":" + c + ",\"date\":\"" + itest::day(2) +
                                               "\",\"seatNumber\":1.5}"), 400, "seatNumber must be an integer").c_str());
    // Numbers are plain integers: a fraction or an exponent is refused even
    // where its value is whole.
    for (const char* seat : {"1.0", "1e0", "1E0", "0.1e1", "10e-1"}) {
        STRCMP_EQUAL("", itest::error_problem(post("{\"concertId\":" + c + ",\"date\":\"" + itest::day(2) +
                                                   "\",\"seatNumber\":" + seat + "}"), 400,
                                              "seatNumber must be an integer").c_str());
    }
    STRCMP_EQUAL("", itest::error_problem(post("{\"concertId\":" + c + ".0,\"date\":\"" + itest::day(2) +
                                               "\",\"seatNumber\":1}"), 400, "concertId must be an integer").c_str());
    STRCMP_EQUAL("", itest::error_problem(post(hold_body(concert, "2027-02-30", 1)), 400,
                                          "date must be a real calendar date (YYYY-MM-DD)").c_str());
    STRCMP_EQUAL("", itest::error_problem(post("[]"), 400, "Body must be a JSON object").c_str());
}

TEST(Holds, OtherConcertIs403UnknownDate404AndPastDate400) {
    long concert = itest::add_concert("--name Missing --dates " + itest::day(2));
    std::string token = itest::active_token(concert);
    // No room issues tokens for a concert that does not exist.
    STRCMP_EQUAL("", itest::error_problem(hold(token, 99999999, itest::day(2), 1), 403,
                                          "Queue token is for another concert").c_str());
    STRCMP_EQUAL("", itest::error_problem(hold(token, concert, itest::day(3), 1), 404, "Concert date not found").c_str());
    itest::exec("INSERT INTO concert_dates (concert_id, play_date, total_seats) VALUES (" + std::to_string(concert) +
                ", CURRENT_DATE() - INTERVAL 2 DAY, 1)");
    STRCMP_EQUAL("", itest::error_problem(hold(token, concert, itest::day(-2), 1), 400, "date has already passed").c_str());
}

TEST(Holds, TokenMustBeActive) {
    long concert = itest::add_concert("--name Active --dates " + itest::day(2));
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/reservations", hold_body(concert, itest::day(2), 1)),
                                          401).c_str());
    std::string token = itest::active_token(concert);
    itest::request("DELETE", "/api/v1/queue/token", "", {"Authorization: Bearer " + token});
    STRCMP_EQUAL("", itest::error_problem(hold(token, concert, itest::day(2), 1), 403, "Queue token is not active").c_str());
}
