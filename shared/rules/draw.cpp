#include "rules/draw.hpp"

#include <algorithm>
#include <cstring>

#include "base/crypto.hpp"

namespace concert {

namespace {

struct Key {
    unsigned char digest[20];
    std::uint32_t ticket;
};

}  // namespace

DrawOrder::DrawOrder(const std::string& seed, std::int64_t n) {
    std::vector<Key> keys(static_cast<std::size_t>(std::max<std::int64_t>(0, n)));
    std::string text = seed + ':';
    std::size_t head = text.size();
    for (std::size_t i = 0; i < keys.size(); ++i) {
        text.resize(head);
        text += std::to_string(i + 1);
        std::string d = sha1(text);
        std::memcpy(keys[i].digest, d.data(), sizeof keys[i].digest);
        keys[i].ticket = static_cast<std::uint32_t>(i + 1);
    }
    std::sort(keys.begin(), keys.end(),
              [](const Key& a, const Key& b) { return std::memcmp(a.digest, b.digest, sizeof a.digest) < 0; });
    ticket_at_.resize(keys.size());
    place_of_.resize(keys.size());
    for (std::size_t p = 0; p < keys.size(); ++p) {
        ticket_at_[p] = keys[p].ticket;
        place_of_[keys[p].ticket - 1] = static_cast<std::uint32_t>(p + 1);
    }
}

}  // namespace concert
