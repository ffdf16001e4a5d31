// Integration tests: real MariaDB, Redis, nginx and handler pools, started by
// tests/run.sh through scripts/stack.sh; every request goes through nginx.

#include <csignal>

#include <curl/curl.h>

#include <CppUTest/CommandLineTestRunner.h>
#include <CppUTest/MemoryLeakWarningPlugin.h>

int main(int argc, char** argv) {
    std::signal(SIGPIPE, SIG_IGN);
    // CppUTest's leak detector is not thread-safe and the tests use threads.
    MemoryLeakWarningPlugin::turnOffNewDeleteOverloads();
    curl_global_init(CURL_GLOBAL_ALL);
    int failures = CommandLineTestRunner::RunAllTests(argc, argv);
    curl_global_cleanup();
    return failures;
}
