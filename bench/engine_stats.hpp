#pragma once
// The pure parts of build/bench/engine (bench/engine.cpp): how prepared
// data is split between worker processes, latency percentiles, and the
// dates of the bench's seats. No I/O; unit-tested in
// tests/unit/engine_stats_test.cpp.

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <vector>

namespace engine {

// Items used once (seats to hold, holds to pay, fresh users) are split like
// bench/lua/common.lua's supply(): worker w of W takes w, w + W, w + 2W, ...
// so no two workers ever take the same one. The i-th item of worker w, or
// nullopt once its share of 0..count-1 is used up (never wraps around).
inline std::optional<std::int64_t> nth_item(std::int64_t count, int worker, int workers, std::int64_t i) {
    std::int64_t item = worker + i * workers;
    if (worker < 0 || workers <= 0 || i < 0 || item >= count) return std::nullopt;
    return item;
}

// How many of 0..count-1 worker w of W takes: its share ("had").
inline std::int64_t share(std::int64_t count, int worker, int workers) {
    if (workers <= 0 || worker < 0 || worker >= workers || count <= worker) return 0;
    return (count - worker + workers - 1) / workers;
}

// The p-th percentile (nearest rank, as bench/load.cpp computes it) of
// latencies in microseconds, in milliseconds; 0 for none.
inline double percentile_ms(std::vector<std::uint32_t> micros, double p) {
    if (micros.empty()) return 0;
    std::size_t i = static_cast<std::size_t>(p / 100.0 * static_cast<double>(micros.size() - 1) + 0.5);
    std::nth_element(micros.begin(), micros.begin() + static_cast<std::ptrdiff_t>(i), micros.end());
    return static_cast<double>(micros[i]) / 1000.0;
}

// YYYY-MM-DD 'days' after 'first' (YYYY-MM-DD), as bench/lua/common.lua's
// day(k); nullopt if 'first' is not a date.
inline std::optional<std::string> add_days(const std::string& first, std::int64_t days) {
    int y = 0, m = 0, d = 0;
    char tail = 0;
    if (std::sscanf(first.c_str(), "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3 || m < 1 || m > 12 || d < 1 || d > 31) {
        return std::nullopt;
    }
    std::tm t{};
    t.tm_year = y - 1900;
    t.tm_mon = m - 1;
    t.tm_mday = d;
    t.tm_hour = 12;
    std::time_t at = timegm(&t) + static_cast<std::time_t>(days) * 86400;
    std::tm out{};
    gmtime_r(&at, &out);
    char buf[48];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", out.tm_year + 1900, out.tm_mon + 1, out.tm_mday);
    return std::string(buf);
}

}  // namespace engine
