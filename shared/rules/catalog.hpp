#pragma once
// Concerts, dates and seats: the pure rules (path and date parsing) that
// the catalogue routes, holds and concertctl share. What "free" means in
// SQL is rules/sql_rules.def's.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/json.hpp"

namespace concert {

constexpr int kMaxSeatsPerDate = 1000;
constexpr int kDefaultSeatsPerDate = 50;
constexpr std::int64_t kDefaultPrice = 100000;
constexpr std::int64_t kMaxPrice = 1000000000000;  // the balance ceiling

struct Date {
    int year;
    int month;
    int day;
};

// A real calendar date written exactly YYYY-MM-DD (years 1000..9999, as
// MySQL's DATE), or nullopt.
std::optional<Date> parse_date(std::string_view text);
std::string format_date(const Date& date);

// "2026-11-22T12:34:56Z" or "2026-11-22T12:34:56.789Z" (ISO 8601, UTC, a
// real calendar date) as Unix milliseconds; nullopt for anything else.
std::optional<std::int64_t> parse_iso_instant(std::string_view text);

// "2026-11-22 12:34:56.789000" (MySQL DATETIME text, UTC) as ISO 8601 with
// milliseconds: "2026-11-22T12:34:56.789Z". Shorter input is padded.
std::string iso_instant(const std::string& sql_datetime);

// A concert id as the contract has it: a positive integer in canonical
// decimal (no sign, no leading zeros), at most 18 digits; or nullopt.
std::optional<std::int64_t> parse_concert_id(std::string_view text);

// The {concertId} segment of /api/v1/concerts/{concertId}/...; throws
// HttpError 400 "concertId must be a positive integer".
std::int64_t concert_id_from_path(std::string_view path);

// The "concertId" field of a request body: a positive integer. Throws
// HttpError 400 ("concertId is required", "concertId must be an integer",
// "concertId must be a positive integer").
std::int64_t require_concert_id(const cJSON* body);

// The date query parameter of available-seats; throws HttpError 400
// ("date is required", "date must be a real calendar date (YYYY-MM-DD)").
Date date_from_query(std::string_view query);

// The --dates list of `concertctl concert add`: comma-separated, each a real
// date, none repeated, at least one. Throws std::invalid_argument naming the
// bad entry.
std::vector<Date> parse_date_list(std::string_view text);

}  // namespace concert
