#pragma once
// The database work of POST /reservations: one optimistic transaction that
// holds a free seat, with its retry loop. The handler keeps the token, the
// body and the settings; `build/bench/engine sql-holds` runs this very
// function with no HTTP in front, so the route and its engine's figure
// always measure the same statements.

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

}  // namespace concert
