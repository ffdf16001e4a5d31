#pragma once
// The runtime settings' values, stored as one Redis hash so every process on
// every host sees a change on its next read. Names, defaults and ranges:
// rules/settings.hpp.

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "rules/settings.hpp"
#include "store/redis.hpp"

namespace concert {

constexpr const char* kSettingsKey = "{q}:settings";  // hash tag shared with the queue keys

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
