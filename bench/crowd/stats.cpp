#include "crowd/stats.hpp"

#include <cmath>

namespace crowd {

const char* route_name(Route r) {
    switch (r) {
        case kToken: return "POST /queue/token";
        case kStatus: return "GET /queue/status";
        case kLeave: return "DELETE /queue/token";
        case kDates: return "GET /available-dates";
        case kSeats: return "GET /available-seats";
        case kHold: return "POST /reservations";
        case kPay: return "POST /payments";
        case kRoom: return "GET /room";
        case kRoutes: break;
    }
    return "?";
}

bool expected_status(Route r, int status) {
    switch (r) {
        case kLeave: return status == 204;
        case kHold: return status == 201 || status == 409;  // another buyer took the seat first
        default: return status == 200;
    }
}

std::size_t Histogram::bucket(std::uint64_t us) {
    if (us < 64) return static_cast<std::size_t>(us);
    int msb = 63 - __builtin_clzll(us);
    std::size_t sub = static_cast<std::size_t>((us >> (msb - 5)) & 31);
    std::size_t b = 64 + static_cast<std::size_t>(msb - 6) * 32 + sub;
    return b < 64 + 40 * 32 ? b : 64 + 40 * 32 - 1;
}

double Histogram::upper(std::size_t b) {
    if (b < 64) return static_cast<double>(b + 1) * 1e-6;
    std::size_t msb = (b - 64) / 32 + 6, sub = (b - 64) % 32;
    return std::ldexp(static_cast<double>(32 + sub + 1), static_cast<int>(msb) - 5) * 1e-6;
}

void Histogram::add(double seconds) {
    double us = seconds * 1e6;
    ++buckets_[bucket(us <= 0 ? 0 : static_cast<std::uint64_t>(us))];
    ++count_;
}

double Histogram::quantile(double q) const {
    if (count_ == 0) return 0;
    std::uint64_t want = static_cast<std::uint64_t>(std::ceil(q * static_cast<double>(count_)));
    if (want == 0) want = 1;
    std::uint64_t seen = 0;
    for (std::size_t b = 0; b < buckets_.size(); ++b) {
        seen += buckets_[b];
        if (seen >= want) return upper(b);
    }
    return upper(buckets_.size() - 1);
}

void Histogram::merge(const Histogram& o) {
    for (std::size_t b = 0; b < buckets_.size(); ++b) buckets_[b] += o.buckets_[b];
    count_ += o.count_;
}

void Histogram::clear() {
    std::fill(buckets_.begin(), buckets_.end(), 0);
    count_ = 0;
}

void Second::clear() {
    for (auto& m : statuses) m.clear();
    latency.clear();
    claims = rejoin_claims = lapses_seen = 0;
}

std::string statuses_json(const std::array<std::map<int, std::uint64_t>, kRoutes>& statuses) {
    std::string out = "{";
    bool first_route = true;
    for (std::size_t r = 0; r < kRoutes; ++r) {
        if (statuses[r].empty()) continue;
        out += first_route ? "\"" : ",\"";
        out += route_name(static_cast<Route>(r));
        out += "\":{";
        bool first = true;
        for (const auto& [status, n] : statuses[r]) {
            out += (first ? "\"" : ",\"") + std::to_string(status) + "\":" + std::to_string(n);
            first = false;
        }
        out += "}";
        first_route = false;
    }
    return out + "}";
}

}  // namespace crowd
