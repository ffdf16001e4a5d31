// libFuzzer target: dates, ids, UUIDs and the paths and queries they come from.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "base/http.hpp"
#include "base/uuid.hpp"
#include "rules/catalog.hpp"
#include "rules/money.hpp"
#include "rules/users.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    if (auto d = concert::parse_date(text)) {
        if (concert::format_date(*d) != text) __builtin_trap();  // only canonical dates parse
    }
    if (auto id = concert::parse_concert_id(text)) {
        if (std::to_string(*id) != text) __builtin_trap();
    }
    concert::is_canonical_uuid(text);
    try {
        concert::concert_id_from_path(text);
    } catch (const concert::HttpError&) {
    }
    try {
        concert::date_from_query(text);
    } catch (const concert::HttpError&) {
    }
    try {
        concert::user_id_from_path(text);
    } catch (const concert::HttpError&) {
    }
    try {
        concert::parse_date_list(text);
    } catch (const std::invalid_argument&) {
    }
    return 0;
}
