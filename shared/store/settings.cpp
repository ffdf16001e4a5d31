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

std::map<std::string, std::int64_t> read_hash(Redis& redis, const std::string& key) {
    std::map<std::string, std::int64_t> out;
    read_values(redis.command({"HGETALL", key}).get(), out);
    return out;
}

// Refuses a value that cannot hold together with the others in force for
// a room it affects: the room's own (with its overrides), or, for a global
// value, the global ones and those of every room with overrides (by SCAN:
// an operator's command, never a request).
void check_relations(Redis& redis, const std::string& name, std::int64_t value, std::optional<std::int64_t> concert_id) {
    std::map<std::string, std::int64_t> global;
    for (const SettingSpec& s : kSettings) global[s.name] = s.default_value;
    for (const auto& [k, v] : read_hash(redis, kSettingsKey)) global[k] = v;
    // The values in force where 'overrides_key' (a room's own, or none)
    // applies after the change.
    auto check = [&](const std::string& overrides_key, const std::string& where) {
        std::map<std::string, std::int64_t> values = global;
        if (!concert_id) values[name] = value;
        if (!overrides_key.empty()) {
            for (const auto& [k, v] : read_hash(redis, overrides_key)) values[k] = v;
        }
        if (concert_id) values[name] = value;
        if (std::optional<std::string> conflict = settings_conflict(values)) throw SettingError(*conflict + where);
    };
    if (concert_id) {
        check(room_settings_key(*concert_id), " for concert " + std::to_string(*concert_id));
        return;
    }
    check("", "");
    std::string cursor = "0";
    do {
        ReplyPtr reply = redis.command({"SCAN", cursor, "MATCH", "{q:*}:settings", "COUNT", "1000"});
        cursor.assign(reply->element[0]->str, reply->element[0]->len);
        for (std::size_t i = 0; i < reply->element[1]->elements; ++i) {
            std::string key(reply->element[1]->element[i]->str, reply->element[1]->element[i]->len);
            check(key, " for concert " + key.substr(3, key.find('}') - 3) + " (its own values)");
        }
    } while (cursor != "0");
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
    check_relations(redis, spec->name, v, concert_id);
    redis.command({"HSET", concert_id ? room_settings_key(*concert_id) : kSettingsKey, spec->name, std::to_string(v)});
}

void unset_room_setting(Redis& redis, std::string_view name, std::int64_t concert_id) {
    const SettingSpec& spec = room_setting(name);
    // The global value applies again: it must hold with the room's others.
    check_relations(redis, spec.name, load_settings(redis).at(spec.name), concert_id);
    redis.command({"HDEL", room_settings_key(concert_id), spec.name});
}

}  // namespace concert
