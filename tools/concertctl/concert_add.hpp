#pragma once
// `concertctl concert add`: a concert, its dates and every date's seats,
// written in one transaction or not at all.

#include <cstdint>
#include <string>
#include <vector>

#include "rules/catalog.hpp"
#include "store/db.hpp"

namespace concert {

struct NewConcert {
    std::string name;
    std::vector<Date> dates;
    int seats = kDefaultSeatsPerDate;
    std::int64_t price = kDefaultPrice;
};

// Parses the command's options (--name, --dates, --seats, --price). Throws
// std::invalid_argument with a message naming the bad option.
NewConcert parse_concert_add(const std::vector<std::string>& options);

// Writes the concert; returns its id. Throws std::invalid_argument (and
// writes nothing) if a date is before today by the database clock.
std::int64_t add_concert(Db& db, const NewConcert& concert);

}  // namespace concert
