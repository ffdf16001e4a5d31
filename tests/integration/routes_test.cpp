// What every route answers alike: a body too large (413), a body that is not
// JSON (415), no credential (401), and its store down (503 with
// Retry-After). web/openapi.json documents each of these for each route;
// these tests make sure each one is really seen (tests/api/validate.mjs
// counts them).

#include <csignal>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "client.hpp"

#include <CppUTest/TestHarness.h>

namespace {

const std::string kSomeUser = "01a205b4-376c-7510-adb7-2d373dc1d7c1";

struct Route {
    const char* method;
    std::string path;
    std::string body;
};

// A route whose store is down answers 503 with the contract's body and
// Retry-After, naming the store.
std::string unavailable_problem(const itest::Reply& r, const char* store) {
    std::string problem = itest::error_problem(r, 503, std::string(store) + " unavailable");
    if (!problem.empty()) return problem;
    return r.headers.count("retry-after") == 1 ? "" : "no Retry-After";
}

pid_t pid_in(const std::string& file) {
    std::ifstream in(file);
    pid_t pid = 0;
    in >> pid;
    return pid;
}

// A process that is still running (not gone, not a zombie nobody reaped).
bool running(pid_t pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string pid_field, name, state;
    return stat >> pid_field >> name >> state && state != "Z";
}

// Polls /healthz until it answers 200, for up to 'seconds'.
bool healthy_within(int seconds) {
    for (int i = 0; i < seconds * 10; ++i) {
        if (itest::request("GET", "/healthz").status == 200) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
}

}  // namespace

TEST_GROUP(EveryRoute){};

TEST(EveryRoute, ABodyOver16KiBIs413) {
    std::string big = "{\"name\":\"" + std::string(20000, 'a') + "\"}";
    for (const std::string& path : {std::string("/api/v1/users"), std::string("/api/v1/queue/token"),
                                     std::string("/api/v1/reservations"), "/api/v1/users/" + kSomeUser + "/charge",
                                     std::string("/api/v1/payments")}) {
        STRCMP_EQUAL_TEXT("", itest::error_problem(itest::request("POST", path, big), 413).c_str(), path.c_str());
    }
    // nginx reads the body's length before it knows the route takes none.
    STRCMP_EQUAL("", itest::error_problem(itest::request("DELETE", "/api/v1/queue/token", big), 413).c_str());
}

TEST(EveryRoute, ABodyThatIsNotJsonIs415) {
    for (const std::string& path : {std::string("/api/v1/users"), std::string("/api/v1/queue/token"),
                                     std::string("/api/v1/reservations"), "/api/v1/users/" + kSomeUser + "/charge",
                                     std::string("/api/v1/payments")}) {
        itest::Reply r = itest::request("POST", path, "{}", {"Content-Type: text/plain"});
        STRCMP_EQUAL_TEXT("", itest::error_problem(r, 415).c_str(), path.c_str());
    }
    // Any body at all must be JSON, even on a route that takes none.
    itest::Reply r = itest::request("DELETE", "/api/v1/queue/token", "x", {"Content-Type: text/plain"});
    STRCMP_EQUAL("", itest::error_problem(r, 415).c_str());
}

TEST(EveryRoute, NoCredentialIs401) {
    long concert = itest::any_room();
    std::string c = std::to_string(concert);
    std::vector<Route> routes = {
        {"GET", "/api/v1/queue/status", ""},
        {"DELETE", "/api/v1/queue/token", ""},
        {"GET", "/api/v1/concerts/" + c + "/available-dates", ""},
        {"GET", "/api/v1/concerts/" + c + "/available-seats?date=" + itest::day(5), ""},
        {"POST", "/api/v1/reservations", "{\"concertId\":" + c + ",\"date\":\"" + itest::day(5) + "\",\"seatNumber\":1}"},
        {"DELETE", "/api/v1/reservations/" + kSomeUser, ""},
        {"GET", "/api/v1/users/" + kSomeUser + "/reservations", ""},
        {"GET", "/api/v1/users/" + kSomeUser + "/balance", ""},
        {"POST", "/api/v1/users/" + kSomeUser + "/charge", "{\"amount\":1000}"},
        {"POST", "/api/v1/payments", "{\"reservationId\":\"" + kSomeUser + "\"}"},
    };
    for (const Route& route : routes) {
        std::string what = std::string(route.method) + " " + route.path;
        STRCMP_EQUAL_TEXT("", itest::error_problem(itest::request(route.method, route.path, route.body), 401).c_str(),
                          what.c_str());
    }
}

// Redis stopped, then MariaDB stopped: every route that needs the stopped
// store answers 503 "<store> unavailable" with Retry-After, at once (no
// hang), and the stack answers normally again after each restart.
TEST(EveryRoute, ItsStoreDownIs503WithRetryAfter) {
    std::string date = itest::day(5);  // asks the database: before it is stopped
    long concert = itest::add_concert("--name Outage --dates " + date);
    std::string c = std::to_string(concert);
    std::string user = itest::new_user("outage");
    std::string token = itest::text_field(
        itest::request("POST", "/api/v1/queue/token", itest::token_request(user, concert)).json().get(), "token");
    std::string bearer = "Authorization: Bearer " + token;
    std::string secret = "Authorization: Bearer " + itest::secret_of(user);
    std::string hold_body = "{\"concertId\":" + c + ",\"date\":\"" + date + "\",\"seatNumber\":";
    std::string held = itest::text_field(
        itest::request("POST", "/api/v1/reservations", hold_body + "1}", {bearer}).json().get(), "reservationId");
    CHECK(!held.empty());
    std::string me = "/api/v1/users/" + user;
    std::string cli = "redis-cli -p " + std::to_string(itest::redis_port());

    // Everything that reads a ticket or a room, with Redis down.
    CHECK_EQUAL(0, itest::shell(cli + " shutdown nosave >/dev/null 2>&1 || true"));
    std::vector<std::pair<Route, std::string>> without_redis = {
        {{"POST", "/api/v1/queue/token", itest::token_request(user, concert)}, ""},
        {{"GET", "/api/v1/queue/status", ""}, bearer},
        {{"DELETE", "/api/v1/queue/token", ""}, bearer},
        {{"GET", "/api/v1/concerts/" + c + "/room", ""}, ""},
        {{"GET", "/api/v1/concerts/" + c + "/available-dates", ""}, bearer},
        {{"GET", "/api/v1/concerts/" + c + "/available-seats?date=" + date, ""}, bearer},
        {{"POST", "/api/v1/reservations", hold_body + "2}"}, bearer},
        {{"POST", "/api/v1/payments", "{\"reservationId\":\"" + held + "\"}"}, bearer},
        {{"DELETE", "/api/v1/reservations/" + held, ""}, bearer},
        {{"GET", me + "/reservations", ""}, bearer},
        {{"GET", me + "/balance", ""}, bearer},
        {{"POST", me + "/charge", "{\"amount\":1000}"}, bearer},
    };
    for (const auto& [route, auth] : without_redis) {
        std::vector<std::string> headers;
        if (!auth.empty()) headers.push_back(auth);
        itest::Reply r = itest::request(route.method, route.path, route.body, headers, 5000);
        std::string what = std::string(route.method) + " " + route.path;
        STRCMP_EQUAL_TEXT("", unavailable_problem(r, "Redis").c_str(), (what + " " + r.body).c_str());
    }
    itest::shell(itest::stack_script() + " start-redis --state " + itest::state_dir() + " --redis-port " +
                 std::to_string(itest::redis_port()) + " --ephemeral >/dev/null 2>&1");
    CHECK_TEXT(healthy_within(10), "healthy again after Redis came back");
    // The room was emptied with Redis: a new place, ACTIVE again.
    token = itest::text_field(
        itest::request("POST", "/api/v1/queue/token", itest::token_request(user, concert)).json().get(), "token");
    bearer = "Authorization: Bearer " + token;

    // Everything that reads or writes the database, with MariaDB down.
    pid_t mariadb = pid_in(itest::state_dir() + "/mysql-run/mysqld.pid");
    CHECK(mariadb > 0);
    kill(mariadb, SIGTERM);
    for (int i = 0; i < 300 && running(mariadb); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::vector<std::pair<Route, std::string>> without_db = {
        {{"POST", "/api/v1/users", "{\"name\":\"kim\"}"}, ""},
        {{"POST", "/api/v1/queue/token", itest::token_request(user, concert)}, ""},
        {{"GET", "/api/v1/concerts", ""}, ""},
        {{"GET", "/api/v1/concerts/" + c + "/available-dates", ""}, bearer},
        {{"GET", "/api/v1/concerts/" + c + "/available-seats?date=" + date, ""}, bearer},
        {{"POST", "/api/v1/reservations", hold_body + "2}"}, bearer},
        {{"POST", "/api/v1/payments", "{\"reservationId\":\"" + held + "\"}"}, bearer},
        {{"DELETE", "/api/v1/reservations/" + held, ""}, secret},
        {{"GET", me + "/reservations", ""}, secret},
        {{"GET", me + "/balance", ""}, secret},
        {{"POST", me + "/charge", "{\"amount\":1000}"}, secret},
    };
    for (const auto& [route, auth] : without_db) {
        std::vector<std::string> headers;
        if (!auth.empty()) headers.push_back(auth);
        itest::Reply r = itest::request(route.method, route.path, route.body, headers, 5000);
        std::string what = std::string(route.method) + " " + route.path;
        STRCMP_EQUAL_TEXT("", unavailable_problem(r, "Database").c_str(), (what + " " + r.body).c_str());
    }
    itest::shell(itest::stack_script() + " start-mariadb --state " + itest::state_dir() + " --db-port " +
                 std::to_string(itest::db_port()) + " --ephemeral >/dev/null 2>&1");
    CHECK_TEXT(healthy_within(30), "healthy again after MariaDB came back");
    // Nothing was half-written while it was down: the hold is still live.
    LONGS_EQUAL(204, itest::request("DELETE", "/api/v1/reservations/" + held, "", {secret}).status);
    STRCMP_EQUAL("", itest::check_problem().c_str());
}

// Rows an operator removed while a token of them still lives (no tool of
// ours removes users or concerts, but a database is not only ours): the
// routes answer 404, never a 500 or another user's data.
TEST(EveryRoute, ARowRemovedUnderALiveTokenIs404) {
    std::string date = itest::day(5);
    long concert = itest::add_concert("--name Removed --dates " + date + " --seats 2");
    std::string c = std::to_string(concert);
    std::string user = itest::new_user("removed");
    std::string token = itest::text_field(
        itest::request("POST", "/api/v1/queue/token", itest::token_request(user, concert)).json().get(), "token");
    std::string bearer = "Authorization: Bearer " + token;

    itest::exec("DELETE FROM users WHERE id = '" + user + "'");
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/users/" + user + "/balance", "", {bearer}),
                                          404, "User not found").c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/users/" + user + "/charge",
                                                         "{\"amount\":1000}", {bearer}),
                                          404, "User not found").c_str());

    itest::exec("DELETE s FROM seats s JOIN concert_dates d ON d.id = s.concert_date_id WHERE d.concert_id = " + c);
    itest::exec("DELETE FROM concert_dates WHERE concert_id = " + c);
    itest::exec("DELETE FROM concerts WHERE id = " + c);
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/concerts/" + c + "/available-dates", "",
                                                         {bearer}),
                                          404, "Concert not found").c_str());
}
