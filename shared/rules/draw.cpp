#include "rules/draw.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>

#include "base/crypto.hpp"

namespace concert {

namespace {

// A ticket's digest, ordered by its first 8 bytes (as a big-endian number)
// and, on a tie, by the rest.
struct Key {
    std::uint64_t head;
    unsigned char digest[20];
    std::uint32_t ticket;
};

bool before(const Key& a, const Key& b) {
    if (a.head != b.head) return a.head < b.head;
    return std::memcmp(a.digest + 8, b.digest + 8, 12) < 0;
}

}  // namespace

DrawOrder::DrawOrder(const std::string& seed, std::int64_t n) {
    std::vector<Key> keys(static_cast<std::size_t>(std::max<std::int64_t>(0, n)));
    std::string text = seed + ':';
    std::size_t head = text.size();
    text.reserve(head + 20);
    char number[24];
    for (std::size_t i = 0; i < keys.size(); ++i) {
        int len = std::snprintf(number, sizeof number, "%zu", i + 1);
        text.resize(head);
        text.append(number, static_cast<std::size_t>(len));
        Key& k = keys[i];
        sha1_into(text, k.digest);
        k.head = 0;
        for (int b = 0; b < 8; ++b) k.head = (k.head << 8) | k.digest[b];
        k.ticket = static_cast<std::uint32_t>(i + 1);
    }
    std::sort(keys.begin(), keys.end(), before);
    ticket_at_.resize(keys.size());
    place_of_.resize(keys.size());
    for (std::size_t p = 0; p < keys.size(); ++p) {
        ticket_at_[p] = keys[p].ticket;
        place_of_[keys[p].ticket - 1] = static_cast<std::uint32_t>(p + 1);
    }
}

}  // namespace concert
