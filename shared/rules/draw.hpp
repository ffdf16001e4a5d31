#pragma once
// The opening draw's order (contract, "Opening draw"): the pre-queue's
// tickets 1..n in ascending SHA-1 hex of "<seed>:<ticket>", which is the
// order of the raw digests. Computed where it is needed (the keeper that
// calls the places, each process that answers a pre-queue ticket's polls),
// never inside Redis: ranking ten million is seconds of CPU, and Redis must
// not stop for it.

#include <cstdint>
#include <string>
#include <vector>

namespace concert {

class DrawOrder {
public:
    DrawOrder(const std::string& seed, std::int64_t n);

    std::int64_t size() const { return static_cast<std::int64_t>(ticket_at_.size()); }
    // The ticket at place p (1..n), and the place of ticket t (1..n).
    std::int64_t ticket_at(std::int64_t place) const { return ticket_at_[static_cast<std::size_t>(place - 1)]; }
    std::int64_t place_of(std::int64_t ticket) const { return place_of_[static_cast<std::size_t>(ticket - 1)]; }

private:
    std::vector<std::uint32_t> ticket_at_;
    std::vector<std::uint32_t> place_of_;
};

}  // namespace concert
