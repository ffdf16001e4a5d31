// libFuzzer target: dates, ids, UUIDs and the paths and queries they come from.

#include <cstdint>
#include <stdexcept>
#include <string>

#include "base/http.hpp"
#include "base/json.hpp"
#include "base/text.hpp"
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
    if (concert::is_user_secret(text) && (text.size() != 46 || text.compare(0, 3, "us_") != 0)) __builtin_trap();
    if (concert::secret_matches(concert::hex_encode(concert::secret_hash(text)), text) != concert::is_user_secret(text)) {
        __builtin_trap();  // a secret matches its own hash, and only a well-formed one does
    }
    if (concert::is_json_media_type(text) && text.find_first_of("Jj") == std::string::npos) __builtin_trap();
    if (auto v = concert::parse_decimal(text)) {
        if (text.size() > 18 || text.find_first_not_of("-0123456789") != std::string::npos) __builtin_trap();
    }
    if (concert::is_valid_utf8(text) && concert::utf8_code_points(text).size() != concert::utf8_length(text)) {
        __builtin_trap();
    }
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
