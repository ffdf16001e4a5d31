#include "rules/queue.hpp"

#include "base/text.hpp"

#include <algorithm>
#include <string>
#include <vector>

#include <CppUTest/TestHarness.h>

namespace {

constexpr std::int64_t kNow = 1795350896789;  // 2026-11-22T12:34:56.789Z

// A room open for a while, calling 2 places a second (120 in the last
// minute), with the contract's default settings.
concert::RoomView moving_room() {
    concert::RoomView r;
    r.concert_id = 7;
    r.now_ms = kNow;
    r.seq = 100000;
    r.called = 1000;
    r.capacity = 100;
    r.mark_called = 880;
    r.mark_ms = kNow - 60000;
    return r;
}

}  // namespace

TEST_GROUP(QueueAnswers){};

TEST(QueueAnswers, StatusNamesAreTheContracts) {
    STRCMP_EQUAL("WAITING", concert::status_name(concert::QueueStatus::Waiting));
    STRCMP_EQUAL("ACTIVE", concert::status_name(concert::QueueStatus::Active));
    STRCMP_EQUAL("EXPIRED", concert::status_name(concert::QueueStatus::Expired));
}

TEST(QueueAnswers, PositionIsThePlacesNotCalledUpToItsOwnPlusTheRejoiners) {
    concert::RoomView r = moving_room();
    LONGS_EQUAL(10, concert::waiting_answer(r, 1010, 1010, 0).position);
    r.rejoiners = 3;
    LONGS_EQUAL(13, concert::waiting_answer(r, 1010, 1010, 0).position);
}

TEST(QueueAnswers, TheWaitIsAtTheLastMinutesPaceOfPlaces) {
    concert::RoomView r = moving_room();  // 2 places a second
    LONGS_EQUAL(5, concert::waiting_answer(r, 1010, 1010, 0).wait_seconds);
    LONGS_EQUAL(50000, concert::waiting_answer(r, 101000, 101000, 0).wait_seconds);
}

TEST(QueueAnswers, WithNoPaceKnownTheEstimateIsTheFastestTheRoomIsPlannedFor) {
    concert::RoomView r = moving_room();
    r.mark_ms = 0;  // no history yet: every slot (100) turning over in claim_seconds (30)
    LONGS_EQUAL(300, concert::waiting_answer(r, 2000, 2000, 0).wait_seconds);
    r.mark_ms = kNow - 3000;  // under 5 s of history: not a pace yet
    LONGS_EQUAL(300, concert::waiting_answer(r, 2000, 2000, 0).wait_seconds);
}

// Right after an opening the minute's oldest mark is from before calling
// started: the pace counts from callsFrom, and a faster last ten seconds win.
TEST(QueueAnswers, ThePaceCountsFromCallingsStartAndSeesALineThatSpedUp) {
    concert::RoomView r = moving_room();
    r.opens_ms = kNow - 20000;
    r.calls_from_ms = kNow - 10000;
    r.mark_called = 0;
    r.mark_ms = kNow - 60000;
    r.called = 500;  // 500 places in the 10 s since calling started, not in 60
    DOUBLES_EQUAL(50.0, concert::places_per_second(r), 0.001);
    r.opens_ms = 0;
    r.calls_from_ms = 0;
    r.mark_called = 0;    // 500 over the minute...
    r.recent_called = 300;
    r.recent_ms = kNow - 10000;  // ...200 of them in the last 10 s
    DOUBLES_EQUAL(20.0, concert::places_per_second(r), 0.001);
}

TEST(QueueAnswers, AWaitingTicketAsksATenthOfItsWaitAndNeverLaterThanMaxPoll) {
    concert::RoomView r = moving_room();
    for (std::int64_t place : {1001, 1002, 1010, 1100, 5000, 20000, 100000, 10000000}) {
        for (double jitter : {0.0, 0.5, 0.999}) {
            concert::QueueView v = concert::waiting_answer(r, place, place, jitter);
            std::string at = std::to_string(place) + " jitter " + std::to_string(jitter);
            CHECK_TEXT(v.poll_after_seconds >= 1, at.c_str());
            CHECK_TEXT(v.poll_after_seconds <= std::max<std::int64_t>(1, v.wait_seconds / 10), at.c_str());
            CHECK_TEXT(v.poll_after_seconds <= r.max_poll_seconds, at.c_str());
        }
    }
    LONGS_EQUAL(1200, concert::waiting_answer(r, 10000000, 10000000, 0).poll_after_seconds);
}

TEST(QueueAnswers, JitterSpreadsClientsWhoAskedTogetherOverAQuarterOfTheirPace) {
    concert::RoomView r = moving_room();
    LONGS_EQUAL(1200, concert::waiting_answer(r, 10000000, 10000000, 0.0).poll_after_seconds);
    LONGS_EQUAL(901, concert::waiting_answer(r, 10000000, 10000000, 0.999).poll_after_seconds);
}

TEST(QueueAnswers, ActiveTicketsAskEveryThirdOfTheIdleTime) {
    concert::RoomView r = moving_room();
    concert::QueueView v = concert::settled_answer(r, 5, concert::QueueStatus::Active);
    LONGS_EQUAL(0, v.position);
    LONGS_EQUAL(40, v.poll_after_seconds);
    r.idle_seconds = 2;
    LONGS_EQUAL(1, concert::settled_answer(r, 5, concert::QueueStatus::Active).poll_after_seconds);
}

TEST(QueueAnswers, ARejoinerIsNextButForTheRejoinersAheadOfIt) {
    concert::RoomView r = moving_room();
    concert::QueueView v = concert::rejoin_answer(r, 7, 1, 0);
    LONGS_EQUAL(1, v.position);
    LONGS_EQUAL(1, v.wait_seconds);
    LONGS_EQUAL(1, v.poll_after_seconds);
}

TEST_GROUP(OpeningHerd){};

namespace {

// An opening 600 s away with a pre-queue of 'n'.
concert::RoomView before_opening(std::int64_t n) {
    concert::RoomView r;
    r.concert_id = 9;
    r.now_ms = kNow;
    r.opens_ms = kNow + 600000;
    r.seq = n;
    r.prequeue = n;
    r.capacity = 100;
    return r;
}

}  // namespace

TEST(OpeningHerd, TheWindowGrowsWithThePreQueueUpToTheSpreadSetting) {
    LONGS_EQUAL(0, concert::herd_window_seconds(0, 120));
    LONGS_EQUAL(1, concert::herd_window_seconds(40, 120));
    LONGS_EQUAL(10, concert::herd_window_seconds(20000, 120));
    LONGS_EQUAL(120, concert::herd_window_seconds(1000000, 120));
    LONGS_EQUAL(30, concert::herd_window_seconds(1000000, 30));
}

TEST(OpeningHerd, CallingStartsWhenTheWindowEndsOrAtOnceWithNoLivePreQueue) {
    concert::RoomView r = before_opening(1000000);
    CHECK(r.opens_ms + 120000 == concert::calls_from_ms(r));
    r.prequeue_left = 1000000;
    CHECK(r.opens_ms == concert::calls_from_ms(r));
    r.calls_from_ms = r.opens_ms + 5000;  // once fixed, it stays
    CHECK(r.opens_ms + 5000 == concert::calls_from_ms(r));
}

// Every pre-queue client comes back inside the window, spread over it, and
// nothing of it depends on the seed (the answer has no seed to use).
TEST(OpeningHerd, EveryPreQueueClientComesBackInsideTheWindowSpreadOverIt) {
    concert::RoomView r = before_opening(1000000);
    r.seed = "never-used";
    std::vector<int> per_ten_seconds(12, 0);
    for (std::int64_t t = 1; t <= 100000; ++t) {
        concert::RoomView at = r;
        concert::QueueView v = concert::prequeue_answer(at, t);
        // Follow the pacing until the opening.
        while (at.now_ms + v.poll_after_seconds * 1000 < at.opens_ms) {
            at.now_ms += v.poll_after_seconds * 1000;
            v = concert::prequeue_answer(at, t);
        }
        std::int64_t back = at.now_ms + v.poll_after_seconds * 1000;
        CHECK(back >= r.opens_ms);
        CHECK(back <= r.opens_ms + 120000);
        per_ten_seconds[static_cast<std::size_t>(std::min<std::int64_t>(119999, back - r.opens_ms) / 10000)]++;
        LONGS_EQUAL(1000000, v.position);
    }
    // 100,000 over 12 ten-second spans: about 8,333 each.
    for (int s = 0; s < 12; ++s) {
        CHECK_TEXT(per_ten_seconds[s] > 7000 && per_ten_seconds[s] < 9700, std::to_string(per_ten_seconds[s]).c_str());
    }
}

TEST(OpeningHerd, BeforeTheOpeningTheAnswerIsTheSameWhateverTheSeed) {
    concert::RoomView a = before_opening(5000), b = before_opening(5000);
    a.seed = "aaaa";
    b.seed = "bbbb";
    for (std::int64_t t : {1, 77, 5000}) {
        concert::QueueView x = concert::prequeue_answer(a, t), y = concert::prequeue_answer(b, t);
        LONGS_EQUAL(x.position, y.position);
        LONGS_EQUAL(x.wait_seconds, y.wait_seconds);
        LONGS_EQUAL(x.poll_after_seconds, y.poll_after_seconds);
    }
}

TEST_GROUP(RoomFacts){};

TEST(RoomFacts, APendingOpeningShowsItsCommitmentButNoSeed) {
    concert::RoomView r;
    r.concert_id = 7;
    r.now_ms = kNow - 1000;
    r.opens_ms = kNow;
    r.capacity = 100;
    r.seq = 3;
    r.prequeue = 3;
    r.commitment = "ab";
    r.seed = "cd";
    STRCMP_EQUAL("{\"concertId\":7,\"open\":false,\"opensAt\":\"2026-11-22T12:34:56.789Z\",\"paused\":false,"
                 "\"capacity\":100,\"waiting\":3,\"active\":0,\"admittedLastMinute\":0,\"seedCommitment\":\"ab\","
                 "\"seed\":null,\"preQueueTickets\":null,\"calledThrough\":0,\"lapsedLastMinute\":0,"
                 "\"callsFrom\":\"2026-11-22T12:34:57.789Z\"}",
                 concert::room_facts_json(r).c_str());
}

TEST(RoomFacts, AfterTheOpeningTheSeedAndThePreQueueArePublished) {
    concert::RoomView r;
    r.concert_id = 7;
    r.now_ms = kNow + 200000;
    r.opens_ms = kNow;
    r.calls_from_ms = kNow + 30000;
    r.commitment = "ab";
    r.seed = "cd";
    r.prequeue = 60;
    STRCMP_CONTAINS("\"open\":true,\"opensAt\":null", concert::room_facts_json(r).c_str());
    STRCMP_CONTAINS("\"seed\":\"cd\",\"preQueueTickets\":60", concert::room_facts_json(r).c_str());
    STRCMP_CONTAINS("\"callsFrom\":null", concert::room_facts_json(r).c_str());
}

TEST(RoomFacts, ActiveCountsTheSlotsInUseAndWaitingTheTicketsNotCalled) {
    concert::RoomView r = moving_room();
    r.active = 60;
    r.calls_open = 15;
    r.left = 30;
    r.skipped = 10;
    r.rejoiners = 2;
    STRCMP_CONTAINS("\"waiting\":98982,\"active\":75", concert::room_facts_json(r).c_str());
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
