#pragma once
// Tidying lapsed holds. Correctness never waits for this (a lapsed hold is
// free by kSeatIsFree the moment it lapses); the sweep only marks the
// reservations EXPIRED and resets their seats to FREE.

#include <cstdint>

#include "db.hpp"

namespace concert {

// Marks every reservation whose hold has lapsed EXPIRED and frees its seat
// if nobody took it since, each in its own small transaction guarded by the
// rows' versions. Safe to run on any number of hosts at once: a row another
// sweeper (or a payment, or a new hold) got to first is skipped. Returns
// how many reservations this call expired.
std::int64_t sweep_lapsed_holds(Db& db);

}  // namespace concert
