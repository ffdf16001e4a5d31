// The waiting room's rules against a real Redis, with a controlled clock
// (store/queue.hpp: queue_clock_for_tests): no sleeps. This binary starts
// its own redis-server (port TEST_ROOM_REDIS_PORT, default 18479; no disk),
// points the store at it, runs the tests and stops it by its pid.

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>

#include <hiredis/hiredis.h>

#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

namespace {

bool answers(int port) {
    redisContext* c = redisConnect("127.0.0.1", port);
    bool ok = c != nullptr && c->err == 0;
    if (ok) {
        auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
        ok = r != nullptr && r->type == REDIS_REPLY_STATUS;
        if (r != nullptr) freeReplyObject(r);
    }
    if (c != nullptr) redisFree(c);
    return ok;
}

}  // namespace

int main(int argc, char** argv) {
    const char* env = std::getenv("TEST_ROOM_REDIS_PORT");
    int port = env != nullptr ? std::atoi(env) : 18479;
    if (answers(port)) {
        std::fprintf(stderr, "room tests: something already answers on port %d\n", port);
        return 2;
    }
    std::string port_text = std::to_string(port);
    pid_t redis = fork();
    if (redis == 0) {
        freopen("/dev/null", "w", stdout);  // never holds the caller's pipe open
        execlp("redis-server", "redis-server", "--port", port_text.c_str(), "--bind", "127.0.0.1", "--save", "",
               "--appendonly", "no", "--dir", "/tmp", "--loglevel", "warning", static_cast<char*>(nullptr));
        std::_Exit(127);
    }
    bool up = false;
    for (int i = 0; i < 100 && !up; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the server starting, not a rule's time
        up = answers(port);
    }
    int rc = 2;
    if (up) {
        setenv("CONCERT_REDIS_HOST", "127.0.0.1", 1);
        setenv("CONCERT_REDIS_PORT", port_text.c_str(), 1);
        unsetenv("CONCERT_REDIS_SOCKET");
        unsetenv("CONCERT_REDIS_SENTINELS");
        MemoryLeakWarningPlugin::turnOffNewDeleteOverloads();  // LeakSanitizer checks leaks
        rc = CommandLineTestRunner::RunAllTests(argc, argv);
    } else {
        std::fprintf(stderr, "room tests: redis-server did not start on port %d\n", port);
    }
    kill(redis, SIGTERM);
    waitpid(redis, nullptr, 0);
    return rc;
}
