#include "rules/settings.hpp"

#include <optional>
#include <string>

#include "base/text.hpp"

namespace concert {

const SettingSpec* find_setting(std::string_view name) {
    for (const SettingSpec& s : kSettings) {
        if (name == s.name) return &s;
    }
    return nullptr;
}

std::optional<std::string> settings_conflict(const std::map<std::string, std::int64_t>& values) {
    auto poll = values.find("queue.max_poll_seconds");
    auto rejoin = values.find("queue.rejoin_seconds");
    if (poll == values.end() || rejoin == values.end() || poll->second * 2 < rejoin->second) return std::nullopt;
    return "queue.max_poll_seconds (" + std::to_string(poll->second) + ") must stay below half of queue.rejoin_seconds (" +
           std::to_string(rejoin->second) + ")";
}

std::int64_t parse_setting_value(const SettingSpec& spec, std::string_view text) {
    std::optional<std::int64_t> v = parse_decimal(text);
    if (!v || *v < spec.min || *v > spec.max) {
        throw SettingError(std::string(spec.name) + " must be an integer from " + std::to_string(spec.min) +
                           " to " + std::to_string(spec.max));
    }
    return *v;
}

}  // namespace concert
