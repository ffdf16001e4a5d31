#pragma once
// The crowd's verdicts, pure: from the clients' records, the instrument's
// samples and the per-second poll counts, what broke a rule of the contract
// (FAIL: slots above capacity, a lost follower, a call out of place order,
// an unexpected status) and which goals were met. No I/O, so it is tested
// without a stack (tests/unit/crowd_judge_test.cpp).

#include <cstdint>
#include <string>
#include <vector>

#include "crowd/instrument.hpp"
#include "crowd/population.hpp"

namespace crowd {

struct JudgeInput {
    const Client* clients = nullptr;
    Layout layout;
    Shares shares;
    std::vector<RoomSample> samples;  // times in seconds after the crowd's epoch
    double end = 0;                   // seconds after the epoch: the run's end
    double opens = 0;                 // the opening
    double calls_from = 0;            // when calling starts (the opening window's end)
    double doubled = -1;              // when the operator doubled the capacity (-1: never)
    std::int64_t capacity = 0;        // before the doubling (after it: twice that)
    double claim_seconds = 30;
    bool places_known = false;
    std::vector<double> polls;        // status polls per second, second k = [opens + k, opens + k + 1)
    double status_capacity = 0;       // GET /queue/status req/s measured before the crowd (0: not measured)
    double after_factor = 0.2;        // the poll-rate goal after the opening minute
    double opening_window = 60;       // the opening "minute": seconds from the first call
    std::uint64_t unexpected = 0;     // statuses outside the route's expected set, and socket errors
    std::int64_t redis_bytes = -1;    // Redis used_memory grown by the tickets (-1: unknown)
    double redis_limit_per_ticket = 0;  // 0: not a goal of this size
};

struct Check {
    std::string name;
    std::string measured;
    std::string limit;
    bool pass = true;
    bool rule = true;  // a rule of the contract (FAIL) rather than a goal
};

struct Verdict {
    std::int64_t judged_through = 0;  // places called early enough to judge
    std::uint64_t followers_judged = 0;
    std::uint64_t lost = 0, order_violations = 0, follower_lapses = 0, opening_lapses = 0;
    std::uint64_t lateness_count = 0;
    double lateness_p50 = 0, lateness_p99 = 0, lateness_max = 0;
    std::uint64_t samples_over_capacity = 0;
    std::int64_t worst_excess = 0;
    double opening_peak_polls = 0, after_peak_polls = -1;  // -1: the run ended within the opening minute
    double noshow_cost_max = -1, noshow_cost_p99 = -1;  // -1: no lapse seen
    std::uint64_t noshow_cost_count = 0;
    std::vector<Check> checks;
    bool passed() const;
};

Verdict judge(const JudgeInput& in);

// The first sample taken (sent) at or after 'when', or nullptr.
const RoomSample* sample_after(const std::vector<RoomSample>& samples, double when);

bool is_follower(std::uint32_t index, const Shares& shares);

}  // namespace crowd
