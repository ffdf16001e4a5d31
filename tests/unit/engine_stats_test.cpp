#include "engine_stats.hpp"

#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include <CppUTest/TestHarness.h>

TEST_GROUP(EngineStats){};

TEST(EngineStats, WorkersTakeEveryItemOnceAndNeverTheSame) {
    std::set<std::int64_t> taken;
    std::int64_t had = 0;
    for (int w = 0; w < 8; ++w) {
        had += engine::share(101, w, 8);
        for (std::int64_t i = 0; auto item = engine::nth_item(101, w, 8, i); ++i) CHECK(taken.insert(*item).second);
    }
    LONGS_EQUAL(101, taken.size());
    LONGS_EQUAL(101, had);
    LONGS_EQUAL(100, *taken.rbegin());
}

TEST(EngineStats, AShareIsWhatTheWorkerCanTake) {
    LONGS_EQUAL(13, engine::share(101, 4, 8));  // 4, 12, ..., 100
    LONGS_EQUAL(12, engine::share(101, 5, 8));  // 5, 13, ..., 93
    LONGS_EQUAL(0, engine::share(3, 5, 8));
    LONGS_EQUAL(0, engine::share(10, 8, 8));
}

TEST(EngineStats, AWorkerPastItsShareGetsNothingInsteadOfWrappingAround) {
    CHECK(engine::nth_item(10, 2, 4, 1).has_value());   // item 6
    CHECK(!engine::nth_item(10, 2, 4, 2).has_value());  // item 10: past the end
    CHECK(!engine::nth_item(10, 0, 4, -1).has_value());
}

TEST(EngineStats, PercentilesAreNearestRankInMilliseconds) {
    std::vector<std::uint32_t> micros;
    for (std::uint32_t v = 100; v >= 1; --v) micros.push_back(v * 1000);  // 1..100 ms, in reverse
    DOUBLES_EQUAL(51.0, engine::percentile_ms(micros, 50), 1e-9);  // index 49.5 + 0.5 -> 50
    DOUBLES_EQUAL(99.0, engine::percentile_ms(micros, 99), 1e-9);
    DOUBLES_EQUAL(1.0, engine::percentile_ms(micros, 0), 1e-9);
    DOUBLES_EQUAL(0.0, engine::percentile_ms({}, 99), 1e-9);
    DOUBLES_EQUAL(0.25, engine::percentile_ms({250}, 50), 1e-9);
}

TEST(EngineStats, DaysCountFromTheFirstDateAcrossMonthsAndLeapYears) {
    STRCMP_EQUAL("2030-01-01", engine::add_days("2030-01-01", 0)->c_str());
    STRCMP_EQUAL("2030-02-01", engine::add_days("2030-01-01", 31)->c_str());
    STRCMP_EQUAL("2028-02-29", engine::add_days("2028-02-28", 1)->c_str());
    STRCMP_EQUAL("2031-01-01", engine::add_days("2030-12-31", 1)->c_str());
    CHECK(!engine::add_days("tomorrow", 1).has_value());
    CHECK(!engine::add_days("2030-01-01x", 1).has_value());
}
