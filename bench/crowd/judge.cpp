#include "crowd/judge.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace crowd {

namespace {

std::string fixed(double v, int digits = 1) {
    char text[64];
    std::snprintf(text, sizeof text, "%.*f", digits, v);
    return text;
}

// When place p was called, at the latest: the send time of the last sample
// that still saw calledThrough < p (the call came after it), or -1 if no
// sample ever saw p called.
double called_at(const std::vector<RoomSample>& samples, std::int64_t p) {
    auto first = std::lower_bound(samples.begin(), samples.end(), p,
                                  [](const RoomSample& s, std::int64_t v) { return s.called < v; });
    if (first == samples.end()) return -1;
    return first == samples.begin() ? first->sent : std::prev(first)->sent;
}

double quantile(std::vector<double> v, double q) {
    if (v.empty()) return 0;
    std::sort(v.begin(), v.end());
    std::size_t i = static_cast<std::size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::min(v.size() - 1, i == 0 ? 0 : i - 1)];
}

void check_clients(const JudgeInput& in, Verdict& v, std::vector<double>& lateness, std::vector<double>& lapsed_calls) {
    const RoomSample* judged = nullptr;
    for (const RoomSample& s : in.samples) {
        if (s.sent <= in.end - in.claim_seconds - 2) judged = &s;
    }
    v.judged_through = judged ? judged->called : 0;
    for (std::uint32_t i = 0; i < in.layout.count; ++i) {
        const Client& c = in.clients[i];
        if (c.place == 0) continue;
        bool called = static_cast<std::int64_t>(c.place) <= v.judged_through;
        if ((c.phase == Phase::Absent || (c.flags & kLapsed)) && called) lapsed_calls.push_back(called_at(in.samples, c.place));
        if (!is_follower(i, in.shares) || c.phase == Phase::Left) continue;
        if (c.flags & kLapsed) {
            ++v.follower_lapses;
            double call = called_at(in.samples, c.place);
            if (in.doubled < 0 || call < in.doubled) ++v.opening_lapses;
        }
        if (!called && c.phase != Phase::Expired) continue;
        ++v.followers_judged;
        if (c.phase == Phase::Expired || c.claim_ms == 0) {
            ++v.lost;
            continue;
        }
        if (c.flags & kLapsed) continue;  // its claim is a rejoin's: out of order by design
        double claim = c.claim_ms / 1000.0;
        const RoomSample* after = sample_after(in.samples, claim);
        if (c.flags & kViolation || (after != nullptr && after->called < c.place)) ++v.order_violations;
        double call = called_at(in.samples, c.place);
        if (call >= 0) lateness.push_back(std::max(0.0, claim - call));
    }
}

void check_slots(const JudgeInput& in, Verdict& v) {
    for (const RoomSample& s : in.samples) {
        std::int64_t limit = in.doubled >= 0 && s.sent >= in.doubled ? 2 * in.capacity : in.capacity;
        if (s.slots > limit) {
            ++v.samples_over_capacity;
            v.worst_excess = std::max(v.worst_excess, s.slots - limit);
        }
    }
}

// The k-th lapse (the first sample that counted k) against the k-th call
// that lapsed (no-shows' and others' whose call the crowd saw lapse), in
// call order: how long each such call held its slot, at most.
void check_noshow_cost(const JudgeInput& in, Verdict& v, std::vector<double> calls) {
    std::sort(calls.begin(), calls.end());
    std::vector<double> costs;
    std::size_t k = 0;
    for (const RoomSample& s : in.samples) {
        while (k < calls.size() && static_cast<std::int64_t>(k) < s.lapses) {
            if (calls[k] >= 0) costs.push_back(s.sent - calls[k]);
            ++k;
        }
    }
    v.noshow_cost_count = costs.size();
    if (!costs.empty()) {
        v.noshow_cost_max = *std::max_element(costs.begin(), costs.end());
        v.noshow_cost_p99 = quantile(costs, 0.99);
    }
}

void check_polls(const JudgeInput& in, Verdict& v) {
    double opening_end = std::max(in.opens, in.calls_from) + in.opening_window - in.opens;
    for (std::size_t k = 0; k < in.polls.size(); ++k) {
        if (static_cast<double>(k) < opening_end) v.opening_peak_polls = std::max(v.opening_peak_polls, in.polls[k]);
    }
    // After the opening minute: the busiest 10 s, averaged.
    for (std::size_t k = static_cast<std::size_t>(std::ceil(opening_end)); k + 10 <= in.polls.size(); ++k) {
        double sum = 0;
        for (std::size_t j = k; j < k + 10; ++j) sum += in.polls[j];
        v.after_peak_polls = std::max(v.after_peak_polls, sum / 10);
    }
}

void add(Verdict& v, std::string name, std::string measured, std::string limit, bool pass, bool rule) {
    v.checks.push_back({std::move(name), std::move(measured), std::move(limit), pass, rule});
}

}  // namespace

bool is_follower(std::uint32_t index, const Shares& shares) {
    Kind k = kind_of(index, shares);
    return k == Kind::Follower || k == Kind::Leaver;
}

const RoomSample* sample_after(const std::vector<RoomSample>& samples, double when) {
    auto it = std::lower_bound(samples.begin(), samples.end(), when,
                               [](const RoomSample& s, double t) { return s.sent < t; });
    return it == samples.end() ? nullptr : &*it;
}

bool Verdict::passed() const {
    return std::all_of(checks.begin(), checks.end(), [](const Check& c) { return c.pass; });
}

Verdict judge(const JudgeInput& in) {
    Verdict v;
    std::vector<double> lateness, lapsed_calls;
    if (in.places_known) check_clients(in, v, lateness, lapsed_calls);
    check_slots(in, v);
    check_noshow_cost(in, v, lapsed_calls);
    check_polls(in, v);
    v.lateness_count = lateness.size();
    v.lateness_p50 = quantile(lateness, 0.5);
    v.lateness_p99 = quantile(lateness, 0.99);
    v.lateness_max = lateness.empty() ? 0 : *std::max_element(lateness.begin(), lateness.end());

    std::string cap = std::to_string(in.capacity) + (in.doubled >= 0 ? ", then " + std::to_string(2 * in.capacity) : "");
    add(v, "places known (seed published, draw recomputed)", in.places_known ? "yes" : "no", "yes", in.places_known, true);
    add(v, "ACTIVE + unclaimed calls within capacity", std::to_string(v.samples_over_capacity) + " samples over (worst +" +
        std::to_string(v.worst_excess) + ")", "0 (capacity " + cap + ")", v.samples_over_capacity == 0, true);
    add(v, "lost followers", std::to_string(v.lost) + " of " + std::to_string(v.followers_judged) + " judged", "0",
        v.lost == 0, true);
    add(v, "order violations among followers", std::to_string(v.order_violations), "0", v.order_violations == 0, true);
    add(v, "unexpected statuses and socket errors", std::to_string(in.unexpected), "0", in.unexpected == 0, true);
    add(v, "followers called at all", std::to_string(v.lateness_count), "> 0", v.lateness_count > 0, true);
    add(v, "p99 lateness, call to claim (followers, calls that did not lapse)", fixed(v.lateness_p99, 2) + " s",
        "≤ 3 s", v.lateness_p99 <= 3.0, false);
    add(v, "follower lapses before the capacity doubled (the opening never lapses)", std::to_string(v.opening_lapses),
        "0", v.opening_lapses == 0, false);
    if (v.noshow_cost_max >= 0) {
        add(v, "slot held by a lapsed call, max (k-th lapse vs k-th lapsed call)", fixed(v.noshow_cost_max, 1) + " s",
            "≤ claim_seconds + 1 = " + fixed(in.claim_seconds + 1, 0) + " s", v.noshow_cost_max <= in.claim_seconds + 1, false);
    } else {
        add(v, "slot held by a lapsed call", "no lapse counted", "lapses measured", false, false);
    }
    if (in.status_capacity > 0) {
        add(v, "status polls/s, opening window's peak second (first call + " + fixed(in.opening_window, 0) + " s)", fixed(v.opening_peak_polls, 0) + " (" +
            fixed(v.opening_peak_polls / in.status_capacity, 2) + "×)", "≤ 0.8 × " + fixed(in.status_capacity, 0),
            v.opening_peak_polls <= 0.8 * in.status_capacity, false);
        if (v.after_peak_polls >= 0) {
            add(v, "status polls/s after it, busiest 10 s", fixed(v.after_peak_polls, 0) + " (" +
                fixed(v.after_peak_polls / in.status_capacity, 2) + "×)", "≤ " + fixed(in.after_factor, 1) + " × " +
                fixed(in.status_capacity, 0), v.after_peak_polls <= in.after_factor * in.status_capacity, false);
        } else {
            add(v, "status polls/s after the opening minute", "the run ended within it", "10 s after it", false, false);
        }
    } else {
        add(v, "status capacity measured", "no", "yes", false, false);
    }
    if (in.redis_limit_per_ticket > 0 && in.layout.count > 0) {
        double per = static_cast<double>(in.redis_bytes) / static_cast<double>(in.layout.count);
        add(v, "Redis bytes per ticket", fixed(per, 1), "≤ " + fixed(in.redis_limit_per_ticket, 1),
            in.redis_bytes >= 0 && per <= in.redis_limit_per_ticket, false);
    }
    return v;
}

}  // namespace crowd
