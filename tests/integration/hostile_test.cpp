// Hostile HTTP through nginx: oversized and malformed requests, slow
// bodies, huge numbers, NUL bytes, header tricks, SQL in every string field.
// Every answer is a 4xx with the contract's body, never a 5xx, and no
// handler worker dies of it.

#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "client.hpp"

#include <CppUTest/TestHarness.h>

namespace {

int status_of(const std::string& response) {
    return response.size() > 12 ? std::atoi(response.substr(9, 3).c_str()) : 0;
}

std::string body_of(const std::string& response) {
    std::size_t at = response.find("\r\n\r\n");
    return at == std::string::npos ? "" : response.substr(at + 4);
}

// "" if a raw response is a 4xx with the contract's error body.
std::string raw_problem(const std::string& response) {
    int status = status_of(response);
    if (status < 400 || status > 499) return "status " + std::to_string(status) + ": " + response.substr(0, 200);
    std::string body = body_of(response);
    if (body.find("\"statusCode\":" + std::to_string(status)) == std::string::npos) return "body: " + body;
    return "";
}

std::vector<int> workers_of(const std::string& handler) {
    std::ifstream pidfile(itest::state_dir() + "/run/" + handler + ".pid");
    int master = 0;
    pidfile >> master;
    std::ifstream in("/proc/" + std::to_string(master) + "/task/" + std::to_string(master) + "/children");
    std::vector<int> out;
    int pid;
    while (in >> pid) out.push_back(pid);
    return out;
}

const char* const kPools[] = {"users_create", "queue_token_create", "reservations_create", "users_charge",
                              "payments_create", "concerts_seats"};

}  // namespace

TEST_GROUP(Hostile) {
    std::vector<std::vector<int>> before;
    std::unique_ptr<itest::QueueFixture> queue;
    void setup() override {
        queue = std::make_unique<itest::QueueFixture>();
        for (const char* pool : kPools) before.push_back(workers_of(pool));
    }
    void teardown() override {
        // Every worker that was there before is still there: none crashed.
        for (std::size_t i = 0; i < before.size(); ++i) CHECK_TEXT(before[i] == workers_of(kPools[i]), kPools[i]);
        queue.reset();
    }
};

TEST(Hostile, OversizedHeaderIsA4xxJson) {
    std::string big(20000, 'a');
    std::string r = itest::raw("GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + big + "\r\nConnection: close\r\n\r\n");
    STRCMP_EQUAL("", raw_problem(r).c_str());
}

TEST(Hostile, MalformedRequestLinesAre400Json) {
    STRCMP_EQUAL("", raw_problem(itest::raw("GARBAGE\r\n\r\n")).c_str());
    STRCMP_EQUAL("", raw_problem(itest::raw("GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n")).c_str());
    STRCMP_EQUAL("", raw_problem(itest::raw("GET /%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")).c_str());
    STRCMP_EQUAL("", raw_problem(itest::raw("POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n{}")).c_str());
}

TEST(Hostile, FoldedOrInjectedHeadersAreRefusedOrInert) {
    std::string r = itest::raw("POST /api/v1/users HTTP/1.1\r\nHost: x\r\nIdempotency-Key: a\r\n X-Evil: 1\r\n"
                        "Content-Length: 14\r\nConnection: close\r\n\r\n{\"name\":\"kim\"}");
    CHECK_TEXT(status_of(r) == 201 || raw_problem(r).empty(), r.c_str());
    CHECK(r.find("X-Evil") == std::string::npos);
}

TEST(Hostile, SlowBodyDoesNotHoldAWorker) {
    int slow = itest::connect_raw();
    std::string head = "POST /api/v1/users HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"na";
    send(slow, head.data(), head.size(), MSG_NOSIGNAL);
    auto started = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) LONGS_EQUAL(201, itest::request("POST", "/api/v1/users", "{\"name\":\"fast\"}").status);
    CHECK(std::chrono::steady_clock::now() - started < std::chrono::seconds(3));
    close(slow);
}

TEST(Hostile, HugeNumbersAndNulBytesAre400) {
    std::string token = itest::active_token(itest::any_room());
    for (const std::string& body : {std::string("{\"concertId\":1e999999,\"date\":\"2030-01-01\",\"seatNumber\":1}"),
                                    std::string("{\"concertId\":99999999999999999999999,\"date\":\"2030-01-01\",\"seatNumber\":1}"),
                                    std::string("{\"concertId\":1,\"date\":\"2030-01-01\",\"seatNumber\":-1e308}"),
                                    std::string("{\"concertId\":1,\"date\":\"2030-01-01\0\",\"seatNumber\":1}", 51)}) {
        STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/reservations", body,
                                                             {"Authorization: Bearer " + token}), 400).c_str());
    }
}

TEST(Hostile, SqlInEveryStringFieldIsJustText) {
    const std::string sql = "' OR '1'='1'; DROP TABLE users; --";
    std::string me = itest::new_user();
    std::string token = itest::text_field(
        itest::request("POST", "/api/v1/queue/token", itest::token_request(me, itest::any_room())).json().get(), "token");
    std::string auth = "Authorization: Bearer " + token;
    auto reply_ok = [](const itest::Reply& r) { return r.status >= 400 && r.status < 500 && itest::error_problem(r, static_cast<int>(r.status)).empty(); };
    CHECK(reply_ok(itest::request("POST", "/api/v1/queue/token", "{\"userId\":\"" + sql + "\"}")));
    CHECK(reply_ok(itest::request("POST", "/api/v1/reservations",
                                  "{\"concertId\":1,\"date\":\"" + sql + "\",\"seatNumber\":1}", {auth})));
    CHECK(reply_ok(itest::request("POST", "/api/v1/payments", "{\"reservationId\":\"" + sql + "\"}", {auth})));
    CHECK(reply_ok(itest::request("GET", "/api/v1/concerts/1%27%20OR%201=1/available-dates", "", {auth})));
    CHECK(reply_ok(itest::request("GET", "/api/v1/concerts/1/available-seats?date=2030-01-01%27%20OR%201=1", "", {auth})));
    CHECK(reply_ok(itest::request("GET", "/api/v1/users/x%27%20OR%201=1/balance", "", {auth})));
    CHECK(reply_ok(itest::request("GET", "/api/v1/queue/status", "", {"Authorization: Bearer " + sql})));
    // A key made of SQL is a key like any other: stored and replayed as text.
    itest::Reply first = itest::request("POST", "/api/v1/users/" + me + "/charge", "{\"amount\":5}",
                                        {auth, "Idempotency-Key: 'OR'1'='1';--"});
    LONGS_EQUAL(200, first.status);
    itest::Reply again = itest::request("POST", "/api/v1/users/" + me + "/charge", "{\"amount\":5}",
                                        {auth, "Idempotency-Key: 'OR'1'='1';--"});
    STRCMP_EQUAL(first.body.c_str(), again.body.c_str());
    LONGS_EQUAL(201, itest::request("POST", "/api/v1/users", "{\"name\":\"" + std::string("\\\" OR 1=1 --") + "\"}").status);
    CHECK(std::stol(itest::scalar("SELECT COUNT(*) FROM users")) > 1);
}

TEST(Hostile, InvalidUtf8AndControlBytesInHeadersAre4xx) {
    std::string r = itest::raw(std::string("GET /api/v1/queue/status HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \xff\xfe\x01\r\n"
                                    "Connection: close\r\n\r\n"));
    STRCMP_EQUAL("", raw_problem(r).c_str());
}

// The v2 readers under hostile input: no worker dies, every answer is a 4xx
// in the contract's shape.
TEST(Hostile, BodiesWithoutJsonTypeAreRefusedBeforeAnyHandlerReadsThem) {
    for (const char* type : {"", "Content-Type: text/plain\r\n", "Content-Type: application/jsonx\r\n",
                             "Content-Type: ;application/json\r\n", "Content-Type: \xff\xfe\r\n"}) {
        std::string r = itest::raw(std::string("POST /api/v1/users HTTP/1.1\r\nHost: x\r\nConnection: close\r\n") + type +
                            "Content-Length: 14\r\n\r\n{\"name\":\"kim\"}");
        LONGS_EQUAL_TEXT(415, status_of(r), type);
        STRCMP_EQUAL("", raw_problem(r).c_str());
    }
}

TEST(Hostile, NumbersAtTheEdgesOfTheReaderAre400) {
    std::string me = itest::new_user();
    auto charge = [&](const std::string& amount) {
        return itest::request("POST", "/api/v1/users/" + me + "/charge", "{\"amount\":" + amount + "}",
                              {"Authorization: Bearer " + itest::secret_of(me)});
    };
    for (const char* amount : {"1e999999", "-0.0", "1E+2", "9007199254740993", "0x10", "00", "-", "1.", ".5", "1e"}) {
        STRCMP_EQUAL_TEXT("", itest::error_problem(charge(amount), 400).c_str(), amount);
    }
    STRCMP_EQUAL("0", itest::scalar("SELECT balance FROM users WHERE id = '" + me + "'").c_str());
}

TEST(Hostile, SecretShapedGarbageIsJust401) {
    std::string me = itest::new_user();
    for (const std::string& credential :
         {std::string("us_"), "us_" + std::string(43, '/'), "us_" + std::string(43, 'A') + "A",
          "us_" + std::string(4000, 'A'), "US_" + itest::secret_of(me).substr(3),
          itest::secret_of(me).substr(0, 45), "us_" + std::string(42, 'Z') + "A" /* well formed, nobody's */}) {
        itest::Reply r = itest::request("GET", "/api/v1/users/" + me + "/balance", "",
                                        {"Authorization: Bearer " + credential});
        STRCMP_EQUAL_TEXT("", itest::error_problem(r, 401).c_str(), credential.substr(0, 50).c_str());
    }
    LONGS_EQUAL(200, itest::request("GET", "/api/v1/users/" + me + "/balance", "",
                                    {"Authorization: Bearer " + itest::secret_of(me)}).status);
}
