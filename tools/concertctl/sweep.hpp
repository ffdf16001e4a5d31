#pragma once
// `concertctl sweep`: tidying lapsed holds and old idempotency keys.
// Correctness never waits for this (a lapsed hold is free by kSeatIsFree the
// moment it lapses); the sweep only marks the reservations EXPIRED, resets
// their seats to FREE and deletes keys past their keeping time.

#include <cstdint>

#include "store/db.hpp"

namespace concert {

// Marks every reservation whose hold has lapsed EXPIRED and frees its seat
// if nobody took it since, each in its own small transaction guarded by the
// rows' versions. Safe to run on any number of hosts at once: a row another
// sweeper (or a payment, or a new hold) got to first is skipped. Returns
// how many reservations this call expired.
std::int64_t sweep_lapsed_holds(Db& db);

// Deletes idempotency keys older than 'hours' hours (at most 'limit' rows);
// returns how many.
std::int64_t forget_old_keys(Db& db, int hours, int limit);

}  // namespace concert
