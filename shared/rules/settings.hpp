#pragma once
// The runtime settings: one table of names, defaults and ranges, and the
// reader of a value. Pure; store/settings.hpp keeps the values in Redis.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <stdexcept>
#include <string_view>

namespace concert {

struct SettingSpec {
    const char* name;
    std::int64_t default_value;
    std::int64_t min;
    std::int64_t max;
    const char* meaning;
};

// Every setting, in the order `concertctl settings get` prints them.
inline constexpr SettingSpec kSettings[] = {
    {"queue.capacity", 100, 1, 1000000, "users ACTIVE at once"},
    {"queue.active_seconds", 600, 1, 86400, "seconds a user stays ACTIVE"},
    {"queue.idle_seconds", 120, 1, 86400, "seconds without a request before an ACTIVE ticket expires"},
    {"queue.paused", 0, 0, 1, "1 calls nobody new"},
    {"queue.claim_seconds", 30, 1, 3600, "seconds a called ticket has to claim its call"},
    {"queue.rejoin_seconds", 3600, 3, 604800, "seconds after its first call a lapsed ticket may come back"},
    {"queue.max_poll_seconds", 1200, 1, 86400, "longest pollAfterSeconds (below half of rejoin_seconds)"},
    {"queue.opening_spread_seconds", 120, 1, 3600, "longest window the opening herd is spread over"},
    {"hold.seconds", 300, 1, 86400, "seconds a seat hold lasts"},
    {"hold.max_per_user", 4, 1, 1000, "unexpired unpaid holds per user"},
};

// The spec of 'name', or nullptr if there is no such setting.
const SettingSpec* find_setting(std::string_view name);

struct SettingError : std::invalid_argument {
    using std::invalid_argument::invalid_argument;
};

// Why a set of values in force (every setting by name) cannot hold
// together, or nullopt: queue.max_poll_seconds must stay below half of
// queue.rejoin_seconds, so a client that follows the pacing is never lost.
std::optional<std::string> settings_conflict(const std::map<std::string, std::int64_t>& values);

// Parses a decimal integer for 'spec' and checks its range. Throws
// SettingError with a message that names the setting and the range.
std::int64_t parse_setting_value(const SettingSpec& spec, std::string_view text);

}  // namespace concert
