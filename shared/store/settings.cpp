#include "store/settings.hpp"

#include <chrono>

#include "rules/queue.hpp"

namespace concert {

namespace {

// Adds the valid name/value pairs of an HGETALL reply to 'out'.
void read_values(const redisReply* reply, std::map<std::string, std::int64_t>& out) {
    for (std::size_t i = 0; i + 1 < reply->elements; i += 2) {
        std::string_view name(reply->element[i]->str, reply->element[i]->len);
        const SettingSpec* spec = find_setting(name);
        if (spec == nullptr) continue;
        try {
            out[spec->name] = parse_setting_value(*spec, {reply->element[i + 1]->str, reply->element[i + 1]->len});
        } catch (const SettingError&) {
            // keep the default: a hand-edited bad value must not stop the service
        }
    }
}

// The spec of a setting a room may override, or SettingError.
const SettingSpec& room_setting(std::string_view name) {
    const SettingSpec* spec = find_setting(name);
    if (spec == nullptr) throw SettingError("unknown setting: " + std::string(name));
    if (std::string_view(spec->name).rfind("queue.", 0) != 0) {
        throw SettingError(std::string(spec->name) + " is global: only queue.* settings can be set for one concert");
    }
    return *spec;
}

}  // namespace

std::string room_settings_key(std::int64_t concert_id) { return room_prefix(concert_id) + "settings"; }

std::map<std::string, std::int64_t> load_settings(Redis& redis) {
    std::map<std::string, std::int64_t> out;
    for (const SettingSpec& s : kSettings) out[s.name] = s.default_value;
    read_values(redis.command({"HGETALL", kSettingsKey}).get(), out);
    return out;
}

std::map<std::string, std::int64_t> load_room_overrides(Redis& redis, std::int64_t concert_id) {
    std::map<std::string, std::int64_t> out;
    read_values(redis.command({"HGETALL", room_settings_key(concert_id)}).get(), out);
    return out;
}

const std::map<std::string, std::int64_t>& cached_settings(Redis& redis) {
    static std::map<std::string, std::int64_t> copy;
    static std::chrono::steady_clock::time_point read_at;
    auto now = std::chrono::steady_clock::now();
    if (copy.empty() || now - read_at > std::chrono::seconds(1)) {
        copy = load_settings(redis);
        read_at = now;
    }
    return copy;
}

void store_setting(Redis& redis, std::string_view name, std::string_view value,
                   std::optional<std::int64_t> concert_id) {
    const SettingSpec* spec = concert_id ? &room_setting(name) : find_setting(name);
    if (spec == nullptr) throw SettingError("unknown setting: " + std::string(name));
    std::int64_t v = parse_setting_value(*spec, value);
    redis.command({"HSET", concert_id ? room_settings_key(*concert_id) : kSettingsKey, spec->name, std::to_string(v)});
}

void unset_room_setting(Redis& redis, std::string_view name, std::int64_t concert_id) {
    redis.command({"HDEL", room_settings_key(concert_id), room_setting(name).name});
}

}  // namespace concert
