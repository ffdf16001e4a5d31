// The handler pool: a worker that dies is replaced and no request is lost
// to it afterwards.

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <sys/types.h>

#include "client.hpp"

#include <CppUTest/TestHarness.h>

namespace {

pid_t master_pid(const std::string& handler) {
    std::ifstream in(itest::state_dir() + "/run/" + handler + ".pid");
    pid_t pid = 0;
    in >> pid;
    return pid;
}

std::vector<pid_t> workers_of(pid_t master) {
    std::ifstream in("/proc/" + std::to_string(master) + "/task/" + std::to_string(master) + "/children");
    std::vector<pid_t> out;
    pid_t pid;
    while (in >> pid) out.push_back(pid);
    return out;
}

}  // namespace

TEST_GROUP(Pool){};

TEST(Pool, KilledWorkerIsReplaced) {
    pid_t master = master_pid("users_create");
    CHECK(master > 0);
    std::vector<pid_t> before = workers_of(master);
    CHECK(!before.empty());
    kill(before[0], SIGKILL);

    std::vector<pid_t> after;
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    do {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        after = workers_of(master);
    } while ((after.size() != before.size() || after[0] == before[0]) &&
             std::chrono::steady_clock::now() < deadline);
    LONGS_EQUAL(before.size(), after.size());
    for (pid_t pid : after) CHECK(pid != before[0]);
    for (int i = 0; i < 20; ++i) {
        LONGS_EQUAL(201, itest::request("POST", "/api/v1/users", "{\"name\":\"after crash\"}").status);
    }
}
