#include "rules/queue.hpp"

#include "base/text.hpp"

#include <algorithm>
#include <string>

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

TEST_GROUP(QueuePacing){};

TEST(QueuePacing, NeverMoreThanAThirdOfTheIdleTimeSoAFollowerNeverGoesIdle) {
    LONGS_EQUAL(40, concert::poll_after_seconds(concert::QueueStatus::Waiting, 6000000, 120));
    LONGS_EQUAL(40, concert::poll_after_seconds(concert::QueueStatus::Active, 0, 120));
    LONGS_EQUAL(1, concert::poll_after_seconds(concert::QueueStatus::Active, 0, 2));
}

TEST(QueuePacing, AWaitingTicketAsksAtLeastTenTimesBeforeItsTurn) {
    LONGS_EQUAL(1, concert::poll_after_seconds(concert::QueueStatus::Waiting, 0, 120));
    LONGS_EQUAL(1, concert::poll_after_seconds(concert::QueueStatus::Waiting, 19, 120));
    LONGS_EQUAL(6, concert::poll_after_seconds(concert::QueueStatus::Waiting, 60, 120));
    LONGS_EQUAL(39, concert::poll_after_seconds(concert::QueueStatus::Waiting, 399, 120));
}

// The head, the middle and the end of a room of 100,000 under the default
// settings (capacity 100 over 600 s: 1 admission every 6 s).
TEST(QueuePacing, BoundsHoldAtTheHeadTheMiddleAndTheEndOfALongLine) {
    for (std::int64_t position : {1, 2, 10, 50, 66, 67, 1000, 50000, 100000}) {
        std::int64_t wait = concert::estimate_wait_seconds(position, 0, 100, 600);
        std::int64_t poll = concert::poll_after_seconds(concert::QueueStatus::Waiting, wait, 120);
        CHECK_TEXT(poll >= 1, std::to_string(position).c_str());
        CHECK_TEXT(poll <= 40, std::to_string(position).c_str());
        CHECK_TEXT(poll <= std::max<std::int64_t>(1, wait / 10), std::to_string(position).c_str());
    }
    LONGS_EQUAL(40, concert::poll_after_seconds(concert::QueueStatus::Waiting,
                                                concert::estimate_wait_seconds(100000, 0, 100, 600), 120));
}

TEST_GROUP(RoomFacts){};

TEST(RoomFacts, APendingOpeningShowsItsCommitmentButNoSeed) {
    concert::RoomFacts f;
    f.concert_id = 7;
    f.open = false;
    f.opens_at_ms = 1795350896789;
    f.capacity = 100;
    f.waiting = 3;
    f.seed_commitment = "ab";
    STRCMP_EQUAL("{\"concertId\":7,\"open\":false,\"opensAt\":\"2026-11-22T12:34:56.789Z\",\"paused\":false,"
                 "\"capacity\":100,\"waiting\":3,\"active\":0,\"admittedLastMinute\":0,\"seedCommitment\":\"ab\","
                 "\"seed\":null,\"preQueueTickets\":null}",
                 concert::room_facts_json(f).c_str());
}

TEST(RoomFacts, AfterTheOpeningTheSeedAndThePreQueueArePublished) {
    concert::RoomFacts f;
    f.concert_id = 7;
    f.seed_commitment = "ab";
    f.seed = "cd";
    f.pre_queue_tickets = 60;
    STRCMP_CONTAINS("\"open\":true,\"opensAt\":null", concert::room_facts_json(f).c_str());
    STRCMP_CONTAINS("\"seed\":\"cd\",\"preQueueTickets\":60", concert::room_facts_json(f).c_str());
}

TEST_GROUP(CompactUserId){};

TEST(CompactUserId, AUuidBecomesItsSixteenBytesInAnyCase) {
    std::string lower = concert::compact_user_id("0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b");
    LONGS_EQUAL(16, lower.size());
    STRCMP_EQUAL("0190a1b2c3d47e5f8a9b0c1d2e3f4a5b", concert::hex_encode(lower).c_str());
    CHECK(lower == concert::compact_user_id("0190A1B2-C3D4-7E5F-8A9B-0C1D2E3F4A5B"));
}

TEST(CompactUserId, AnythingElseStaysAsItIs) {
    for (const char* id : {"", "alice", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5bb",
                           "0190a1b2xc3d4-7e5f-8a9b-0c1d2e3f4a5b", "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5g"}) {
        STRCMP_EQUAL(id, concert::compact_user_id(id).c_str());
    }
}
