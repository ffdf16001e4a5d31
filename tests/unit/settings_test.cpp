#include "rules/settings.hpp"

#include <CppUTest/TestHarness.h>

TEST_GROUP(Settings){};

TEST(Settings, EveryContractSettingExistsWithItsDefault) {
    LONGS_EQUAL(100, concert::find_setting("queue.capacity")->default_value);
    LONGS_EQUAL(600, concert::find_setting("queue.active_seconds")->default_value);
    LONGS_EQUAL(120, concert::find_setting("queue.idle_seconds")->default_value);
    LONGS_EQUAL(0, concert::find_setting("queue.paused")->default_value);
    LONGS_EQUAL(300, concert::find_setting("hold.seconds")->default_value);
    LONGS_EQUAL(4, concert::find_setting("hold.max_per_user")->default_value);
}

TEST(Settings, UnknownNameIsNotFound) { POINTERS_EQUAL(nullptr, concert::find_setting("queue.size")); }

TEST(Settings, ValueInRangeIsParsed) {
    LONGS_EQUAL(250, concert::parse_setting_value(*concert::find_setting("queue.capacity"), "250"));
    LONGS_EQUAL(1, concert::parse_setting_value(*concert::find_setting("queue.paused"), "1"));
}

TEST(Settings, ValueOutOfRangeOrMalformedIsRefused) {
    const concert::SettingSpec& paused = *concert::find_setting("queue.paused");
    CHECK_THROWS(concert::SettingError, concert::parse_setting_value(paused, "2"));
    CHECK_THROWS(concert::SettingError, concert::parse_setting_value(paused, "-1"));
    CHECK_THROWS(concert::SettingError, concert::parse_setting_value(paused, "1x"));
    CHECK_THROWS(concert::SettingError, concert::parse_setting_value(paused, ""));
    CHECK_THROWS(concert::SettingError, concert::parse_setting_value(paused, "-"));
    CHECK_THROWS(concert::SettingError, concert::parse_setting_value(paused, "99999999999999999999"));
}

TEST(Settings, MaxPollMustStayBelowHalfOfRejoin) {
    std::map<std::string, std::int64_t> values{{"queue.max_poll_seconds", 1200}, {"queue.rejoin_seconds", 3600}};
    CHECK_FALSE(concert::settings_conflict(values).has_value());
    values["queue.max_poll_seconds"] = 1800;
    STRCMP_EQUAL("queue.max_poll_seconds (1800) must stay below half of queue.rejoin_seconds (3600)",
                 concert::settings_conflict(values).value_or("").c_str());
}
