// GET /healthz, with Redis up, stopped and hung.

#include <chrono>
#include <csignal>
#include <fstream>
#include <string>
#include <thread>

#include <sys/types.h>

#include "client.hpp"

#include <CppUTest/TestHarness.h>

namespace {

std::string redis_cli(const std::string& args) {
    return "redis-cli -p " + std::to_string(itest::redis_port()) + " " + args + " >/dev/null 2>&1";
}

bool redis_up() { return itest::shell(redis_cli("ping") + " && [ \"$(" + "redis-cli -p " +
                                      std::to_string(itest::redis_port()) + " ping)\" = PONG ]") == 0; }

void start_redis() {
    itest::shell(itest::stack_script() + " start-redis --state " + itest::state_dir() + " --redis-port " +
                 std::to_string(itest::redis_port()) + " --ephemeral");
}

pid_t redis_pid() {
    std::ifstream in(itest::state_dir() + "/run/redis.pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
}

// Polls /healthz until it answers 'status' or 'seconds' pass.
itest::Reply health_until(long status, int seconds) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(seconds);
    itest::Reply r;
    do {
        r = itest::request("GET", "/healthz");
        if (r.status == status) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    } while (std::chrono::steady_clock::now() < deadline);
    return r;
}

}  // namespace

TEST_GROUP(Health) {
    void teardown() override {
        pid_t pid = redis_pid();
        if (pid > 0) kill(pid, SIGCONT);
        if (!redis_up()) start_redis();
    }
};

TEST(Health, AllPartsUpIs200Ok) {
    itest::Reply r = itest::request("GET", "/healthz");
    LONGS_EQUAL(200, r.status);
    STRCMP_EQUAL("{\"status\":\"ok\",\"db\":\"ok\",\"redis\":\"ok\"}", r.body.c_str());
}

TEST(Health, RedisStoppedIs503NamingRedis) {
    CHECK_EQUAL(0, itest::shell(redis_cli("shutdown nosave")));
    itest::Reply r = health_until(503, 5);
    LONGS_EQUAL(503, r.status);
    concert::JsonPtr obj = r.json();
    STRCMP_EQUAL("unavailable", itest::text_field(obj.get(), "redis").c_str());
    STRCMP_EQUAL("ok", itest::text_field(obj.get(), "db").c_str());
    STRCMP_EQUAL("Redis unavailable", itest::text_field(obj.get(), "message").c_str());
    STRCMP_EQUAL("Service Unavailable", itest::text_field(obj.get(), "error").c_str());
    STRCMP_EQUAL("1", r.headers["retry-after"].c_str());
}

TEST(Health, RestartedRedisIsUsedAgainWithoutAFailedRequest) {
    CHECK_EQUAL(0, itest::shell(redis_cli("shutdown nosave")));
    LONGS_EQUAL(503, health_until(503, 5).status);
    start_redis();
    // Workers hold connections from before the restart: each notices the
    // closed socket on its first command and reconnects within the request.
    LONGS_EQUAL(200, health_until(200, 5).status);
    for (int i = 0; i < 20; ++i) LONGS_EQUAL(200, itest::request("GET", "/healthz").status);
}

TEST(Health, HungRedisIs503WithinTheTimeoutNotAHang) {
    pid_t pid = redis_pid();
    CHECK(pid > 0);
    kill(pid, SIGSTOP);
    auto started = std::chrono::steady_clock::now();
    itest::Reply r = itest::request("GET", "/healthz", "", {}, 8000);
    auto took = std::chrono::steady_clock::now() - started;
    kill(pid, SIGCONT);
    LONGS_EQUAL(503, r.status);
    CHECK(took < std::chrono::seconds(4));
    LONGS_EQUAL(200, health_until(200, 5).status);
}
