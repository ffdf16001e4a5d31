#pragma once
// The crowd: every client's protocol driven in real time from one thread
// (epoll over the HTTP pool, a 100 ms timer wheel), the instrument sampled
// every tick, one JSON line written per second, and the verdict at the end.
//
// Each client follows the contract: takes a ticket (in bulk before the
// crowd starts, or through POST /queue/token), polls GET /queue/status when
// pollAfterSeconds says, and once its poll answers ACTIVE (the claim) looks
// at dates and seats and leaves, or buys (hold and pay), or goes idle.
// No-shows never come back; leavers DELETE their token while waiting; late
// clients poll 2.5× later than told (they may lapse and rejoin).

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "crowd/population.hpp"

namespace crowd {

struct Options {
    std::string host = "127.0.0.1";
    int port = 29080;
    int connections = 256;
    std::int64_t concert_id = 0;
    Layout layout;
    Shares shares;
    int procs = 4;                   // bulk issue processes
    std::int64_t opens_ms = 0;       // the room's opensAt (Unix ms)
    double seconds = 600;            // run length after the opening
    double double_after = 300;       // seconds after the opening the operator doubles capacity (<0: never)
    std::int64_t capacity = 1000;
    double claim_seconds = 30;
    double status_capacity = 0;      // GET /queue/status req/s measured before the crowd
    double after_factor = 0.2;
    double opening_window = 60;      // the opening minute: seconds from the first call
    double redis_limit_per_ticket = 0;
    std::string token_secret;
    std::string concertctl = "bin/concertctl";
    std::vector<pid_t> stack_roots;  // for the CPU probe
    std::vector<std::string> pools;
    std::string jsonl;               // per-second lines and the summary
    std::string claims_file;         // every claim, tab-separated ("": none)
};

// Runs the whole crowd; returns the process's exit code (0: every rule and
// goal held, 1: something FAILed).
int run_crowd(const Options& options);

}  // namespace crowd
