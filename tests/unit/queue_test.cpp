#include "rules/queue.hpp"

#include <CppUTest/TestHarness.h>

TEST_GROUP(QueueEstimate){};

TEST(QueueEstimate, ActiveOrExpiredWaitsZero) { LONGS_EQUAL(0, concert::estimate_wait_seconds(0, 100, 100, 600)); }

TEST(QueueEstimate, UsesTheLastMinutesAdmissionRate) {
    // 120 admitted in the last minute = 2 per second; 10th in line waits 5 s.
    LONGS_EQUAL(5, concert::estimate_wait_seconds(10, 120, 100, 600));
}

TEST(QueueEstimate, RoundsUpToWholeSeconds) {
    LONGS_EQUAL(9, concert::estimate_wait_seconds(1, 7, 100, 600));  // 60 / 7 = 8.6
}

TEST(QueueEstimate, FallsBackToCapacityOverActiveTime) {
    // No admissions in the last minute: 100 slots turn over every 600 s.
    LONGS_EQUAL(60, concert::estimate_wait_seconds(10, 0, 100, 600));
}

TEST(QueueEstimate, StatusNamesAreTheContracts) {
    STRCMP_EQUAL("WAITING", concert::status_name(concert::QueueStatus::Waiting));
    STRCMP_EQUAL("ACTIVE", concert::status_name(concert::QueueStatus::Active));
    STRCMP_EQUAL("EXPIRED", concert::status_name(concert::QueueStatus::Expired));
}
