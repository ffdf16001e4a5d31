#include "rules/catalog.hpp"

#include <cstdio>
#include <set>
#include <stdexcept>

#include "base/http.hpp"
#include "base/text.hpp"

namespace concert {

namespace {

int days_in_month(int year, int month) {
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

std::optional<Date> parse_date(std::string_view text) {
    if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
    // A sign inside a part reads as a negative number, which the ranges refuse.
    std::optional<std::int64_t> y = parse_decimal(text.substr(0, 4));
    std::optional<std::int64_t> m = parse_decimal(text.substr(5, 2));
    std::optional<std::int64_t> d = parse_decimal(text.substr(8, 2));
    if (!y || !m || !d) return std::nullopt;
    Date date{static_cast<int>(*y), static_cast<int>(*m), static_cast<int>(*d)};
    if (date.year < 1000 || date.month < 1 || date.month > 12) return std::nullopt;
    if (date.day < 1 || date.day > days_in_month(date.year, date.month)) return std::nullopt;
    return date;
}

std::string format_date(const Date& date) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", date.year, date.month, date.day);
    return buf;
}

std::optional<std::int64_t> parse_iso_instant(std::string_view text) {
    if (text.size() != 20 && text.size() != 24) return std::nullopt;
    if (text[10] != 'T' || text[13] != ':' || text[16] != ':' || text.back() != 'Z') return std::nullopt;
    std::optional<Date> date = parse_date(text.substr(0, 10));
    std::optional<std::int64_t> h = parse_decimal(text.substr(11, 2)), m = parse_decimal(text.substr(14, 2)),
                                s = parse_decimal(text.substr(17, 2));
    std::optional<std::int64_t> ms = std::int64_t{0};
    if (text.size() == 24) ms = text[19] == '.' ? parse_decimal(text.substr(20, 3)) : std::nullopt;
    if (!date || !h || !m || !s || !ms || *h < 0 || *h > 23 || *m < 0 || *m > 59 || *s < 0 || *s > 59 || *ms < 0) {
        return std::nullopt;
    }
    // Days since 1970-01-01 (proleptic Gregorian), without the C library's time zone.
    std::int64_t y = date->year - (date->month <= 2 ? 1 : 0);
    std::int64_t era = y / 400;
    std::int64_t yoe = y - era * 400;
    std::int64_t doy = (153 * (date->month + (date->month > 2 ? -3 : 9)) + 2) / 5 + date->day - 1;
    std::int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    std::int64_t days = era * 146097 + doe - 719468;
    return ((days * 24 + *h) * 60 + *m) * 60000 + *s * 1000 + *ms;
}

std::string iso_instant(const std::string& sql_datetime) {
    std::string t = sql_datetime.substr(0, 19);
    std::string fraction = sql_datetime.size() > 20 ? sql_datetime.substr(20, 3) : "";
    fraction.resize(3, '0');
    if (t.size() == 19) t[10] = 'T';
    return t + "." + fraction + "Z";
}

std::optional<std::int64_t> parse_concert_id(std::string_view text) {
    if (text.empty() || text[0] == '0' || text[0] == '-') return std::nullopt;  // canonical and positive only
    return parse_decimal(text);
}

std::int64_t concert_id_from_path(std::string_view path) {
    constexpr std::string_view kPrefix = "/api/v1/concerts/";
    std::optional<std::int64_t> id;
    if (path.substr(0, kPrefix.size()) == kPrefix) {
        std::string_view rest = path.substr(kPrefix.size());
        id = parse_concert_id(rest.substr(0, rest.find('/')));
    }
    if (!id) throw HttpError{400, "concertId must be a positive integer"};
    return *id;
}

std::int64_t require_concert_id(const cJSON* body) {
    std::int64_t id = require_int(body, "concertId", -kMaxJsonInteger, kMaxJsonInteger);
    if (id < 1) throw HttpError{400, "concertId must be a positive integer"};
    return id;
}

Date date_from_query(std::string_view query) {
    auto params = parse_query(query);
    auto it = params.find("date");
    if (it == params.end() || it->second.empty()) throw HttpError{400, "date is required"};
    std::optional<Date> date = parse_date(it->second);
    if (!date) throw HttpError{400, "date must be a real calendar date (YYYY-MM-DD)"};
    return *date;
}

std::vector<Date> parse_date_list(std::string_view text) {
    std::vector<Date> out;
    std::set<std::string> seen;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find(',', start);
        if (end == std::string_view::npos) end = text.size();
        std::string_view item = text.substr(start, end - start);
        std::optional<Date> date = parse_date(item);
        if (!date) throw std::invalid_argument("not a real date (YYYY-MM-DD): '" + std::string(item) + "'");
        if (!seen.insert(format_date(*date)).second) {
            throw std::invalid_argument("date given twice: " + std::string(item));
        }
        out.push_back(*date);
        start = end + 1;
    }
    return out;
}

}  // namespace concert
