#include "store/retry.hpp"

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>

#include "base/log.hpp"
#include "base/metrics.hpp"

namespace concert {

void pause_before_retry(int attempt) {
    metrics::retry();
    static std::minstd_rand rng(std::random_device{}());
    std::uniform_int_distribution<int> jitter(1, 5 << std::min(attempt, 5));
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter(rng)));
}

void log_retries(const char* what, int retries) {
    log_line(std::string(what) + ": settled after " + std::to_string(retries) + " retries");
}

}  // namespace concert
