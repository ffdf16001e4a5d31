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

std::int64_t parse_setting_value(const SettingSpec& spec, std::string_view text) {
    std::optional<std::int64_t> v = parse_decimal(text);
    if (!v || *v < spec.min || *v > spec.max) {
        throw SettingError(std::string(spec.name) + " must be an integer from " + std::to_string(spec.min) +
                           " to " + std::to_string(spec.max));
    }
    return *v;
}

}  // namespace concert
