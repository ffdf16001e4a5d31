#include "store/settings.hpp"

#include <chrono>

namespace concert {

std::map<std::string, std::int64_t> load_settings(Redis& redis) {
    std::map<std::string, std::int64_t> out;
    for (const SettingSpec& s : kSettings) out[s.name] = s.default_value;
    ReplyPtr reply = redis.command({"HGETALL", kSettingsKey});
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

void store_setting(Redis& redis, std::string_view name, std::string_view value) {
    const SettingSpec* spec = find_setting(name);
    if (spec == nullptr) throw SettingError("unknown setting: " + std::string(name));
    std::int64_t v = parse_setting_value(*spec, value);
    redis.command({"HSET", kSettingsKey, spec->name, std::to_string(v)});
}

}  // namespace concert
