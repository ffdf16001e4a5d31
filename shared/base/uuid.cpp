#include "base/uuid.hpp"

#include <chrono>

#include "base/crypto.hpp"
#include "base/text.hpp"

namespace concert {

std::array<std::uint8_t, 16> uuid_v7_bytes(std::uint64_t unix_ms, const std::array<std::uint8_t, 10>& random) {
    std::array<std::uint8_t, 16> b{};
    for (int i = 0; i < 6; ++i) b[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(unix_ms >> (40 - 8 * i));
    for (std::size_t i = 0; i < 10; ++i) b[6 + i] = random[i];
    b[6] = static_cast<std::uint8_t>(0x70 | (b[6] & 0x0F));  // version 7
    b[8] = static_cast<std::uint8_t>(0x80 | (b[8] & 0x3F));  // RFC 9562 variant
    return b;
}

std::string format_uuid(const std::array<std::uint8_t, 16>& bytes) {
    std::string hex = hex_encode({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
    return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
           hex.substr(20);
}

std::string new_uuid() {
    std::array<std::uint8_t, 10> random{};
    std::string bytes = random_bytes(random.size());
    for (std::size_t i = 0; i < random.size(); ++i) random[i] = static_cast<std::uint8_t>(bytes[i]);
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                  std::chrono::system_clock::now().time_since_epoch()).count();
    return format_uuid(uuid_v7_bytes(static_cast<std::uint64_t>(ms), random));
}

bool is_canonical_uuid(std::string_view text) {
    if (text.size() != 36) return false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return false;
        } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) {
            return false;
        }
    }
    return true;
}

}  // namespace concert
