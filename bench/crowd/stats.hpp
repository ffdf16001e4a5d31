#pragma once
// What the crowd counts: requests by route and status, latency histograms
// (log-linear, about 3% wide), and the per-second record it writes as one
// JSON line.

#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace crowd {

enum Route : std::uint8_t { kToken, kStatus, kLeave, kDates, kSeats, kHold, kPay, kRoom, kRoutes };
const char* route_name(Route r);          // "POST /queue/token", ...
bool expected_status(Route r, int status);  // what the contract lets this crowd's requests get

class Histogram {
public:
    void add(double seconds);
    double quantile(double q) const;  // seconds; 0 when empty
    std::uint64_t count() const { return count_; }
    void merge(const Histogram& other);
    void clear();

private:
    static std::size_t bucket(std::uint64_t micros);
    static double upper(std::size_t bucket);  // seconds
    std::vector<std::uint64_t> buckets_ = std::vector<std::uint64_t>(64 + 40 * 32, 0);
    std::uint64_t count_ = 0;
};

// One second of the crowd.
struct Second {
    std::array<std::map<int, std::uint64_t>, kRoutes> statuses;
    Histogram latency;
    std::uint64_t claims = 0, rejoin_claims = 0, lapses_seen = 0;
    void clear();
};

// Routes × statuses as {"GET /queue/status":{"200":n},...}.
std::string statuses_json(const std::array<std::map<int, std::uint64_t>, kRoutes>& statuses);

}  // namespace crowd
