#pragma once
// The database work of holds: POST /reservations (hold_seat) and DELETE
// /reservations/{id} (cancel_hold), each one optimistic transaction with its
// retry loop. The handlers keep the credential, the body and the settings;
// `build/bench/engine sql-holds` runs hold_seat() with no HTTP in front, so
// the route and its engine's figure always measure the same statements.

#include <cstdint>
#include <string>

#include "rules/holds.hpp"
#include "store/db.hpp"

namespace concert {

// A hold that was committed.
struct HoldMade {
    std::string reservation_id;
    std::int64_t price = 0;
    std::string expires_at;  // "YYYY-MM-DD hh:mm:ss.ffffff", database clock
};

// Holds the seat 'hold' names for 'user_id' until the database's now plus
// 'hold_seconds'. Optimistic all the way: one read of the seat (with its
// version) and of the user's holds (with the user's version), then one
// transaction whose UPDATE only succeeds if nothing changed since; a lost
// race rolls back and reads again after a short pause, at most 5 times.
// Throws check_hold()'s HttpError (404 concert or date, 400 past date or
// seat number, 409 seat taken or hold limit), HttpError 401 "Invalid token"
// for an unknown user, and Unavailable when the races never settle or the
// database fails.
HoldMade hold_seat(Db& db, const HoldRequest& hold, const std::string& user_id, std::int64_t hold_seconds,
                   std::int64_t max_per_user);

// Gives the hold 'reservation_id' of 'user_id' back: the reservation
// CANCELLED and its seat free for everyone at once, in one transaction
// guarded by both rows' versions and the hold still running, so a payment,
// a sweep or another cancel that got there first wins and this one reads
// again (at most 5 times). Returns true when it cancelled, false when the
// hold had already ended (expired or cancelled: nothing to do). Throws
// must_cancel()'s HttpError (404 unknown or another user's, 409 paid) and
// Unavailable.
bool cancel_hold(Db& db, const std::string& reservation_id, const std::string& user_id);

}  // namespace concert
