#include "rules/draw.hpp"

#include <string>

#include "base/crypto.hpp"
#include "base/text.hpp"

#include <CppUTest/TestHarness.h>

TEST_GROUP(Draw){};

// The contract's rule, recomputed the slow way: ascending SHA-1 hex of
// "<seed>:<ticket>".
TEST(Draw, PlacesAreTheAscendingSha1HexOfSeedColonTicket) {
    const std::string seed = "5d41402abc4b2a76b9719d911017c592aaaabbbbccccddddeeeeffff00001111";
    concert::DrawOrder draw(seed, 500);
    LONGS_EQUAL(500, draw.size());
    std::string previous;
    for (std::int64_t p = 1; p <= 500; ++p) {
        std::int64_t t = draw.ticket_at(p);
        LONGS_EQUAL(p, draw.place_of(t));
        std::string hex = concert::hex_encode(concert::sha1(seed + ":" + std::to_string(t)));
        CHECK(previous < hex);
        previous = hex;
    }
}

TEST(Draw, AnEmptyPreQueueHasNoPlaces) { LONGS_EQUAL(0, concert::DrawOrder("ab", 0).size()); }
