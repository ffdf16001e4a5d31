// The crowd simulator (make crowd, bench/crowd.sh; tests/crowd/run.sh runs
// a small one): N clients following the waiting room's protocol against a
// running stack over HTTP, in real time. See crowd.hpp for what each client
// does and judge.hpp for the verdicts; docs/BENCH.md for the knobs.
//
//   crowd --concert N --clients N --early N --late N --opens-ms MS [options]
//
// Options (all "--name value"): --host, --port (29080), --connections
// (256), --procs (4, bulk issue processes), --seconds (600, after the
// opening), --double-after (300; -1: never), --capacity (1000),
// --claim-seconds (30), --status-capacity (req/s measured before the crowd),
// --after-factor (0.2), --opening-window (60 s from the first call), --redis-limit (bytes per ticket; 0: not judged),
// --no-show, --leaver, --late-share (the shares of clients), --concertctl,
// --stack-pid (repeatable: roots of the CPU probe), --pool (repeatable:
// handler pool names), --jsonl (output), --claims (every claim, tab-separated). Connection settings and the token
// secret from the handlers' variables (CONCERT_REDIS_*, CONCERT_TOKEN_SECRET).
// Exits 0 when every rule and goal held, 1 on a FAIL, 2 on bad use.

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>

#include "crowd/crowd.hpp"

namespace {

bool parse(int argc, char** argv, crowd::Options& o) {
    std::uint32_t early = 0, late = 0;
    for (int k = 1; k + 1 < argc; k += 2) {
        std::string name = argv[k], v = argv[k + 1];
        double d = std::atof(v.c_str());
        if (name == "--host") o.host = v;
        else if (name == "--port") o.port = std::atoi(v.c_str());
        else if (name == "--connections") o.connections = std::atoi(v.c_str());
        else if (name == "--concert") o.concert_id = std::atoll(v.c_str());
        else if (name == "--clients") o.layout.count = static_cast<std::uint32_t>(std::atoll(v.c_str()));
        else if (name == "--early") early = static_cast<std::uint32_t>(std::atoll(v.c_str()));
        else if (name == "--late") late = static_cast<std::uint32_t>(std::atoll(v.c_str()));
        else if (name == "--procs") o.procs = std::atoi(v.c_str());
        else if (name == "--opens-ms") o.opens_ms = std::atoll(v.c_str());
        else if (name == "--seconds") o.seconds = d;
        else if (name == "--double-after") o.double_after = d;
        else if (name == "--capacity") o.capacity = std::atoll(v.c_str());
        else if (name == "--claim-seconds") o.claim_seconds = d;
        else if (name == "--status-capacity") o.status_capacity = d;
        else if (name == "--after-factor") o.after_factor = d;
        else if (name == "--opening-window") o.opening_window = d;
        else if (name == "--redis-limit") o.redis_limit_per_ticket = d;
        else if (name == "--no-show") o.shares.no_show = d;
        else if (name == "--leaver") o.shares.leaver = d;
        else if (name == "--late-share") o.shares.late = d;
        else if (name == "--concertctl") o.concertctl = v;
        else if (name == "--stack-pid") o.stack_roots.push_back(static_cast<pid_t>(std::atoi(v.c_str())));
        else if (name == "--pool") o.pools.push_back(v);
        else if (name == "--jsonl") o.jsonl = v;
        else if (name == "--claims") o.claims_file = v;
        else {
            std::fprintf(stderr, "crowd: unknown option %s\n", name.c_str());
            return false;
        }
    }
    if ((argc - 1) % 2 != 0 || o.concert_id <= 0 || o.layout.count == 0 || o.opens_ms <= 0 || o.jsonl.empty() ||
        early + late > o.layout.count) {
        return false;
    }
    o.layout.early = early;
    o.layout.bulk = o.layout.count - early - late;
    const char* secret = std::getenv("CONCERT_TOKEN_SECRET");
    o.token_secret = secret ? secret : "";
    return !o.token_secret.empty();
}

}  // namespace

int main(int argc, char** argv) {
    crowd::Options options;
    if (!parse(argc, argv, options)) {
        std::fprintf(stderr, "usage: see the comment at the top of bench/crowd/main.cpp (and CONCERT_TOKEN_SECRET)\n");
        return 2;
    }
    try {
        return crowd::run_crowd(options);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "crowd: %s\n", e.what());
        return 1;
    }
}
