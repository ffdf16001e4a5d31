#pragma once
// Runtime settings: one table of names, defaults and ranges, stored as one
// Redis hash so every process on every host sees a change on its next read.

#include <cstdint>
#include <map>
#include <stdexcept>
#include <string>
#include <string_view>

#include "redis.hpp"

namespace concert {

constexpr const char* kSettingsKey = "{q}:settings";  // hash tag shared with the queue keys

struct SettingSpec {
    const char* name;
    std::int64_t default_value;
    std::int64_t min;
    std::int64_t max;
    const char* meaning;
};

// Every setting, in the order `concertctl settings get` prints them.
extern const SettingSpec kSettings[];
extern const std::size_t kSettingCount;

// The spec of 'name', or nullptr if there is no such setting.
const SettingSpec* find_setting(std::string_view name);

struct SettingError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Parses a decimal integer for 'spec' and checks its range. Throws
// SettingError with a message that names the setting and the range.
std::int64_t parse_setting_value(const SettingSpec& spec, std::string_view text);

// Current values from Redis; a setting that is unset (or was stored outside
// its range by hand) reads as its default.
std::map<std::string, std::int64_t> load_settings(Redis& redis);

// The current settings as this process last read them: re-read from Redis
// when the copy is more than a second old, so a change reaches every process
// within a second without a Redis round trip on every request.
const std::map<std::string, std::int64_t>& cached_settings(Redis& redis);

// Validates and stores one setting. Throws SettingError for an unknown name
// or a bad value.
void store_setting(Redis& redis, std::string_view name, std::string_view value);

}  // namespace concert
