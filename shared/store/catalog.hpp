#pragma once
// The catalogue's reads: whether a concert exists, and the free seats of one
// date (GET /concerts/{id}/available-seats). The handlers keep the token,
// the path and the JSON;
// `build/bench/engine sql-seats` runs this very function with no HTTP in
// front, so the route and its engine's figure measure the same statements.

#include <cstdint>
#include <string>
#include <vector>

#include "store/db.hpp"

namespace concert {

struct FreeSeat {
    std::int64_t number = 0;
    std::int64_t price = 0;
};

// One date's seats as read.
struct DateSeats {
    std::int64_t total_seats = 0;
    bool past = false;            // the date is before today (UTC, database clock)
    std::vector<FreeSeat> free;   // ascending seat number
};

// The free seats of the concert's date 'date' (YYYY-MM-DD): one indexed
// query (the date row joined to its free seats), and only when it finds no
// free seat a second one that tells a sold-out date from a missing one.
// Throws HttpError 404 "Concert not found" or "Concert date not found", and
// Unavailable. A past date is returned as such (past = true): refusing it
// is the caller's.
DateSeats free_seats(Db& db, std::int64_t concert_id, const std::string& date);

// True if the concert 'concert_id' exists (one read by primary key).
bool concert_exists(Db& db, std::int64_t concert_id);

}  // namespace concert
