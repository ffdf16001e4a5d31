#include "settings.hpp"

#include <chrono>

namespace concert {

const SettingSpec kSettings[] = {
    {"queue.capacity", 100, 1, 1000000, "users ACTIVE at once"},
    {"queue.active_seconds", 600, 1, 86400, "seconds a user stays ACTIVE"},
    {"queue.idle_seconds", 120, 1, 86400, "seconds without a request before a ticket expires"},
    {"queue.paused", 0, 0, 1, "1 admits nobody new"},
    {"hold.seconds", 300, 1, 86400, "seconds a seat hold lasts"},
    {"hold.max_per_user", 4, 1, 1000, "unexpired unpaid holds per user"},
};
const std::size_t kSettingCount = sizeof kSettings / sizeof kSettings[0];

const SettingSpec* find_setting(std::string_view name) {
    for (const SettingSpec& s : kSettings) {
        if (name == s.name) return &s;
    }
    return nullptr;
}

std::int64_t parse_setting_value(const SettingSpec& spec, std::string_view text) {
    std::string range = std::string(spec.name) + " must be an integer from " +
                        std::to_string(spec.min) + " to " + std::to_string(spec.max);
    if (text.empty() || text.size() > 18) throw SettingError(range);
    std::size_t i = 0;
    bool negative = text[0] == '-';
    if (negative) i = 1;
    if (i == text.size()) throw SettingError(range);
    std::int64_t v = 0;
    for (; i < text.size(); ++i) {
        if (text[i] < '0' || text[i] > '9') throw SettingError(range);
        v = v * 10 + (text[i] - '0');
    }
    if (negative) v = -v;
    if (v < spec.min || v > spec.max) throw SettingError(range);
    return v;
}

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
