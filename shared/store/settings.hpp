#pragma once
// The runtime settings' values, stored in Redis so every process on every
// host sees a change on its next read. Names, defaults and ranges:
// rules/settings.hpp. The global values are one hash ({q}:settings); a
// concert's waiting room may override queue.* in a hash of its own
// ({q:N}:settings), which the room's scripts read directly.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "rules/settings.hpp"
#include "store/redis.hpp"

namespace concert {

constexpr const char* kSettingsKey = "{q}:settings";  // the global values, a slot of their own

// The hash of one room's overrides.
std::string room_settings_key(std::int64_t concert_id);

// Global values from Redis; a setting that is unset (or was stored outside
// its range by hand) reads as its default.
std::map<std::string, std::int64_t> load_settings(Redis& redis);

// The room's overrides only (queue.* that were set for it).
std::map<std::string, std::int64_t> load_room_overrides(Redis& redis, std::int64_t concert_id);

// The global settings as this process last read them: re-read from Redis
// when the copy is more than a second old, so a change reaches every process
// within a second without a Redis round trip on every request.
const std::map<std::string, std::int64_t>& cached_settings(Redis& redis);

// Validates and stores one setting, globally or, with a concert, as that
// room's override (queue.* only: hold.* are global). Throws SettingError for
// an unknown name, a bad value, or a hold.* setting for a room.
void store_setting(Redis& redis, std::string_view name, std::string_view value,
                   std::optional<std::int64_t> concert_id = std::nullopt);

// Drops a room's override: the global value applies again.
void unset_room_setting(Redis& redis, std::string_view name, std::int64_t concert_id);

}  // namespace concert
