// GET /metrics on the internal listener: Prometheus accepts it, a journey
// moves the right counters by the right amounts, a store that is down moves
// its error counter, and the public site does not serve it.

#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "client.hpp"

#include <CppUTest/TestHarness.h>

namespace {

// One scrape: "name{labels}" (labels as the exposition writes them) -> value.
std::map<std::string, double> scrape() {
    itest::Reply r = itest::get_url(itest::metrics_url() + "/metrics");
    std::map<std::string, double> out;
    if (r.status != 200) return out;
    std::istringstream lines(r.body);
    std::string line;
    while (std::getline(lines, line)) {
        if (line.empty() || line[0] == '#') continue;
        std::size_t space = line.rfind(' ');
        out[line.substr(0, space)] = std::stod(line.substr(space + 1));
    }
    return out;
}

double at(const std::map<std::string, double>& m, const std::string& key) {
    auto it = m.find(key);
    return it == m.end() ? 0 : it->second;
}

// How much 'key' went up from 'before' to 'after'.
double moved(const std::map<std::string, double>& before, const std::map<std::string, double>& after,
             const std::string& key) {
    return at(after, key) - at(before, key);
}

std::string requests(const char* handler, int status) {
    return std::string("concert_http_requests_total{handler=\"") + handler + "\",status=\"" + std::to_string(status) +
           "\"}";
}

}  // namespace

TEST_GROUP(Metrics){};

TEST(Metrics, PromtoolAcceptsTheExposition) {
    itest::Reply r = itest::get_url(itest::metrics_url() + "/metrics");
    LONGS_EQUAL(200, r.status);
    STRCMP_EQUAL("text/plain; version=0.0.4; charset=utf-8", r.headers["content-type"].c_str());
    std::string file = itest::state_dir() + "/metrics.txt";
    std::ofstream(file) << r.body;
    LONGS_EQUAL(0, itest::shell("promtool check metrics <" + file + " >" + file + ".out 2>&1"));
    // Every family has HELP and TYPE, and every pool of the stack is there.
    for (const char* family : {"concert_http_requests_total", "concert_http_request_duration_seconds",
                               "concert_optimistic_retries_total", "concert_db_errors_total", "concert_redis_errors_total",
                               "concert_live_holds", "concert_seats_sold_total", "concert_paid_krw_total",
                               "concert_charged_krw_total", "concert_room_waiting", "concert_room_admitted_total",
                               "concert_room_paused"}) {
        STRCMP_CONTAINS((std::string("# HELP ") + family + " ").c_str(), r.body.c_str());
        STRCMP_CONTAINS((std::string("# TYPE ") + family + " ").c_str(), r.body.c_str());
    }
    for (const char* pool : {"payments_create", "queue_status", "users_create", "healthz", "metrics"}) {
        auto m = scrape();
        DOUBLES_EQUAL(2, at(m, std::string("concert_pool_workers_alive{handler=\"") + pool + "\"}"), 0);
    }
}

TEST(Metrics, AJourneyMovesItsCountersByTheRightAmounts) {
    long concert = itest::add_concert("--name Metered --dates " + itest::day(5) + " --price 1500");
    std::string room = "{concert=\"" + std::to_string(concert) + "\"}";
    auto before = scrape();

    std::string user = itest::new_user("metered");
    itest::Reply place = itest::request("POST", "/api/v1/queue/token", itest::token_request(user, concert));
    std::string bearer = "Authorization: Bearer " + itest::text_field(place.json().get(), "token");
    LONGS_EQUAL(200, itest::request("POST", "/api/v1/users/" + user + "/charge", "{\"amount\":7000}", {bearer}).status);
    std::vector<std::string> held;
    for (int seat = 1; seat <= 3; ++seat) {
        itest::Reply r = itest::request("POST", "/api/v1/reservations",
                                        "{\"concertId\":" + std::to_string(concert) + ",\"date\":\"" + itest::day(5) +
                                            "\",\"seatNumber\":" + std::to_string(seat) + "}",
                                        {bearer});
        LONGS_EQUAL(201, r.status);
        held.push_back(itest::text_field(r.json().get(), "reservationId"));
    }
    auto holding = scrape();
    DOUBLES_EQUAL(3, moved(before, holding, "concert_live_holds"), 0);
    DOUBLES_EQUAL(1, at(holding, "concert_room_active" + room), 0);
    DOUBLES_EQUAL(1, at(holding, "concert_room_admitted_total" + room), 0);
    DOUBLES_EQUAL(1, at(holding, "concert_room_issued_total" + room), 0);
    DOUBLES_EQUAL(0, at(holding, "concert_room_paused" + room), 0);

    LONGS_EQUAL(204, itest::request("DELETE", "/api/v1/reservations/" + held[2], "", {bearer}).status);
    LONGS_EQUAL(200, itest::request("POST", "/api/v1/payments",
                                    "{\"reservationIds\":[\"" + held[0] + "\",\"" + held[1] + "\"]}", {bearer})
                         .status);
    LONGS_EQUAL(403, itest::request("POST", "/api/v1/reservations", "{}", {bearer}).status);  // the token ended
    auto after = scrape();

    DOUBLES_EQUAL(1, moved(before, after, requests("users_create", 201)), 0);
    DOUBLES_EQUAL(1, moved(before, after, requests("queue_token_create", 200)), 0);
    DOUBLES_EQUAL(3, moved(before, after, requests("reservations_create", 201)), 0);
    DOUBLES_EQUAL(1, moved(before, after, requests("reservations_create", 403)), 0);
    DOUBLES_EQUAL(1, moved(before, after, requests("reservations_cancel", 204)), 0);
    DOUBLES_EQUAL(1, moved(before, after, requests("payments_create", 200)), 0);
    DOUBLES_EQUAL(1, moved(before, after, requests("users_charge", 200)), 0);
    DOUBLES_EQUAL(4, moved(before, after, "concert_http_request_duration_seconds_count{handler=\"reservations_create\"}"), 0);
    DOUBLES_EQUAL(4, moved(before, after, "concert_http_request_duration_seconds_bucket{handler=\"reservations_create\",le=\"+Inf\"}"), 0);
    CHECK(moved(before, after, "concert_http_request_duration_seconds_sum{handler=\"reservations_create\"}") > 0);
    DOUBLES_EQUAL(3, moved(before, after, "concert_holds_total"), 0);
    DOUBLES_EQUAL(1, moved(before, after, "concert_holds_given_back_total"), 0);
    DOUBLES_EQUAL(1, moved(before, after, "concert_payments_total"), 0);
    DOUBLES_EQUAL(2, moved(before, after, "concert_seats_sold_total"), 0);
    DOUBLES_EQUAL(3000, moved(before, after, "concert_paid_krw_total"), 0);
    DOUBLES_EQUAL(1, moved(before, after, "concert_charges_total"), 0);
    DOUBLES_EQUAL(7000, moved(before, after, "concert_charged_krw_total"), 0);
    DOUBLES_EQUAL(0, moved(before, after, "concert_live_holds"), 0);  // two paid, one given back
    DOUBLES_EQUAL(0, at(after, "concert_room_active" + room), 0);     // paying ended the token
    DOUBLES_EQUAL(1, at(after, "concert_room_admitted_total" + room), 0);
}

TEST(Metrics, RedisDownMovesTheErrorCounterAndThe503s) {
    long concert = itest::any_room();
    std::string user = itest::new_user("metered");
    itest::Reply place = itest::request("POST", "/api/v1/queue/token", itest::token_request(user, concert));
    std::string bearer = "Authorization: Bearer " + itest::text_field(place.json().get(), "token");
    auto before = scrape();
    std::string cli = "redis-cli -p " + std::to_string(itest::redis_port());
    itest::shell(cli + " shutdown nosave >/dev/null 2>&1 || true");
    itest::Reply r = itest::request("GET", "/api/v1/queue/status", "", {bearer}, 5000);
    itest::shell(itest::stack_script() + " start-redis --state " + itest::state_dir() + " --redis-port " +
                 std::to_string(itest::redis_port()) + " --ephemeral >/dev/null 2>&1");
    LONGS_EQUAL(503, r.status);
    auto after = scrape();
    DOUBLES_EQUAL(1, moved(before, after, requests("queue_status", 503)), 0);
    CHECK(moved(before, after, "concert_redis_errors_total{handler=\"queue_status\"}") >= 1);
    DOUBLES_EQUAL(1, at(after, "concert_metrics_source_up{source=\"redis\"}"), 0);  // back
}

TEST(Metrics, ThePublicSiteDoesNotServeThem) {
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/metrics"), 404).c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/metrics"), 404).c_str());
    // The internal listener is loopback only, and refuses anything but GET.
    LONGS_EQUAL(200, itest::get_url(itest::metrics_url() + "/").status);
    STRCMP_CONTAINS("127.0.0.1:", itest::metrics_url().c_str());
}
