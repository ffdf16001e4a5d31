#include "base/uuid.hpp"

#include <set>
#include <string>

#include <CppUTest/TestHarness.h>

TEST_GROUP(Uuid){};

TEST(Uuid, V7LayoutHasTimeVersionAndVariant) {
    std::array<std::uint8_t, 10> random{};
    random.fill(0xff);
    std::string text = concert::format_uuid(concert::uuid_v7_bytes(0x0123456789ab, random));
    STRCMP_EQUAL("01234567-89ab-7fff-bfff-ffffffffffff", text.c_str());
}

TEST(Uuid, NewUuidsAreCanonicalAndDistinct) {
    std::set<std::string> seen;
    for (int i = 0; i < 1000; ++i) {
        std::string id = concert::new_uuid();
        CHECK_TRUE(concert::is_canonical_uuid(id));
        CHECK_EQUAL('7', id[14]);
        seen.insert(id);
    }
    LONGS_EQUAL(1000, seen.size());
}

TEST(Uuid, CanonicalFormIsLowerCaseWithDashes) {
    CHECK_TRUE(concert::is_canonical_uuid("01a205b4-376c-7510-adb7-2d373dc1d7c1"));
    CHECK_FALSE(concert::is_canonical_uuid("01A205B4-376C-7510-ADB7-2D373DC1D7C1"));
    CHECK_FALSE(concert::is_canonical_uuid("01a205b4376c7510adb72d373dc1d7c1"));
    CHECK_FALSE(concert::is_canonical_uuid("01a205b4-376c-7510-adb7-2d373dc1d7c"));
    CHECK_FALSE(concert::is_canonical_uuid("01a205b4-376c-7510-adb7_2d373dc1d7c1"));
    CHECK_FALSE(concert::is_canonical_uuid(""));
}
