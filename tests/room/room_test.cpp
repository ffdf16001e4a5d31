// The waiting room's rules (contract, "Waiting rooms", v3) against a real
// Redis, the clock set by each test: calls in place order, claims, lapses
// and rejoins, idle and timed-out ACTIVE tickets, leaving, resets, the
// opening draw and its window, pause, capacity, and what a waiting poll
// costs Redis (nothing).

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "base/config.hpp"
#include "rules/draw.hpp"
#include "store/queue.hpp"
#include "store/redis.hpp"
#include "store/settings.hpp"

#include <CppUTest/TestHarness.h>

namespace {

using concert::QueueStatus;

concert::Redis& redis() {
    static concert::Config config = concert::config_from_env();
    static concert::Redis r(config);
    return r;
}

std::string user(int n) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-7000-8000-%012x", n);
    return id;
}

// Commands Redis has processed so far (INFO stats).
std::int64_t commands_processed() {
    concert::ReplyPtr info = redis().command({"INFO", "stats"});
    std::string text(info->str, info->len);
    return std::stoll(text.substr(text.find("total_commands_processed:") + 25));
}

// One room of its own per test (a new concert id), on a clock the test moves.
struct Room {
    static std::int64_t next_id() {
        static std::int64_t id = 1000;
        return ++id;
    }
    std::int64_t id = next_id();
    std::int64_t now = 1795350896000;
    std::map<int, concert::Ticket> tickets;

    Room() { concert::queue_clock_for_tests(now); }
    void at(std::int64_t ms) {
        now = ms;
        concert::queue_clock_for_tests(now);
    }
    void pass_seconds(double s) { at(now + static_cast<std::int64_t>(s * 1000)); }
    void set(const char* name, std::int64_t v) {
        redis().command({"HSET", concert::room_settings_key(id), name, std::to_string(v)});
    }
    concert::QueueView issue(int u) {
        concert::QueueView v = concert::queue_issue(redis(), id, user(u));
        tickets[u] = concert::Ticket{id, v.ticket, user(u), v.epoch};
        return v;
    }
    concert::QueueView status(int u) { return concert::queue_status(redis(), tickets.at(u)); }
    QueueStatus touch(int u) { return concert::queue_touch(redis(), tickets.at(u)); }
    void leave(int u) { concert::queue_expire(redis(), tickets.at(u)); }
    void keep() { concert::queue_keep(redis(), id); }
    concert::RoomView view() { return concert::queue_room(redis(), id); }
};

}  // namespace

TEST_GROUP(Room) {
    void teardown() override { concert::queue_clock_for_tests(std::nullopt); }
};

TEST(Room, TheFirstTicketOfAnOpenRoomIsCalledAndClaimedByItsOwnRequest) {
    Room room;
    concert::QueueView v = room.issue(1);
    CHECK(v.status == QueueStatus::Active);
    LONGS_EQUAL(1, v.ticket);
    LONGS_EQUAL(0, v.position);
    concert::RoomView r = room.view();
    LONGS_EQUAL(1, r.called);
    LONGS_EQUAL(1, r.claims);
    LONGS_EQUAL(1, r.active);
}

TEST(Room, PlacesAreCalledInOrderOnlyAsSlotsFree) {
    Room room;
    room.set("queue.capacity", 2);
    for (int u = 1; u <= 5; ++u) room.issue(u);
    CHECK(room.status(1).status == QueueStatus::Active);
    CHECK(room.status(2).status == QueueStatus::Active);
    for (int u = 3; u <= 5; ++u) {
        concert::QueueView v = room.status(u);
        CHECK(v.status == QueueStatus::Waiting);
        LONGS_EQUAL(u - 2, v.position);
    }
    room.leave(1);  // its slot goes to place 3 at once
    concert::RoomView r = room.view();
    LONGS_EQUAL(3, r.called);
    LONGS_EQUAL(1, r.calls_open);
    CHECK(room.status(3).status == QueueStatus::Active);  // the claim
    CHECK(room.status(4).status == QueueStatus::Waiting);
    LONGS_EQUAL(1, room.status(4).position);
    LONGS_EQUAL(2, room.view().slots_in_use());
}

TEST(Room, SlotsInUseNeverExceedTheCapacityAndACapacityRaiseCallsMore) {
    Room room;
    room.set("queue.capacity", 3);
    for (int u = 1; u <= 20; ++u) room.issue(u);
    for (int u = 1; u <= 3; ++u) room.leave(u);
    room.keep();
    LONGS_EQUAL(3, room.view().slots_in_use());  // three calls, none claimed
    room.set("queue.capacity", 6);
    room.keep();
    concert::RoomView r = room.view();
    LONGS_EQUAL(6, r.slots_in_use());
    LONGS_EQUAL(9, r.called);
}

TEST(Room, AWaitingTicketIsNeverDroppedForNotPolling) {
    Room room;
    room.set("queue.capacity", 1);
    room.set("queue.active_seconds", 86400 * 30);
    room.set("queue.idle_seconds", 86400 * 30);
    room.issue(1);
    room.issue(2);
    room.pass_seconds(7 * 86400);  // a week without a poll
    room.keep();
    concert::QueueView v = room.status(2);
    CHECK(v.status == QueueStatus::Waiting);
    LONGS_EQUAL(1, v.position);
}

TEST(Room, ACallNotClaimedInTimeLapsesAndTheSlotGoesToTheNextPlace) {
    Room room;
    room.set("queue.capacity", 1);
    room.set("queue.claim_seconds", 30);
    for (int u = 1; u <= 3; ++u) room.issue(u);
    room.leave(1);  // place 2 called now
    room.pass_seconds(31);
    room.keep();  // 2 lapses, 3 is called
    concert::RoomView r = room.view();
    LONGS_EQUAL(1, r.lapses);
    LONGS_EQUAL(1, r.lapsed_minute);
    LONGS_EQUAL(3, r.called);
    CHECK(room.status(3).status == QueueStatus::Active);
}

TEST(Room, AClaimWithinClaimSecondsIsOnTime) {
    Room room;
    room.set("queue.capacity", 1);
    room.issue(1);
    room.issue(2);
    room.leave(1);
    room.pass_seconds(30);
    room.keep();
    CHECK(room.status(2).status == QueueStatus::Active);
    LONGS_EQUAL(0, room.view().lapses);
}

TEST(Room, AHolderWhoseCallLapsedComesBackNextAndIsCalledBeforeAnyNewPlace) {
    Room room;
    room.set("queue.capacity", 1);
    for (int u = 1; u <= 5; ++u) room.issue(u);
    room.leave(1);
    room.pass_seconds(31);
    room.keep();  // 2 lapsed; 3 called
    CHECK(room.status(3).status == QueueStatus::Active);
    room.pass_seconds(600);
    concert::QueueView back = room.status(2);  // back within rejoin_seconds of its call
    CHECK(back.status == QueueStatus::Waiting);
    LONGS_EQUAL(1, back.position);
    LONGS_EQUAL(1, room.view().rejoins);
    LONGS_EQUAL(2, room.status(4).position);  // behind the rejoiner
    room.leave(3);  // the slot goes to the rejoiner, not to place 4
    CHECK(room.status(4).status == QueueStatus::Waiting);
    CHECK(room.status(2).status == QueueStatus::Active);
    LONGS_EQUAL(3, room.view().called);  // a rejoiner's call is not a new place
}

TEST(Room, ASecondLapseEndsTheTicket) {
    Room room;
    room.set("queue.capacity", 1);
    for (int u = 1; u <= 4; ++u) room.issue(u);
    room.leave(1);
    room.pass_seconds(31);
    room.keep();  // 2 lapsed, 3 called
    room.status(2);  // 2 rejoins
    room.leave(3);  // 2 called again
    room.pass_seconds(31);
    room.keep();  // and lapses again: over; 4 is called
    CHECK(room.status(2).status == QueueStatus::Expired);
    CHECK(room.status(4).status == QueueStatus::Active);
}

TEST(Room, ComingBackAfterRejoinSecondsIsExpired) {
    Room room;
    room.set("queue.capacity", 1);
    room.set("queue.rejoin_seconds", 3600);
    for (int u = 1; u <= 3; ++u) room.issue(u);
    room.leave(1);
    room.pass_seconds(31);
    room.keep();
    room.pass_seconds(3600);  // 3631 s after its call
    room.keep();
    CHECK(room.status(2).status == QueueStatus::Expired);
    // and asking again gives a new ticket at the back
    concert::QueueView again = room.issue(2);
    LONGS_EQUAL(4, again.ticket);
}

TEST(Room, AnIdleActiveTicketEndsAndItsSlotGoesOnWithNobodyAsking) {
    Room room;
    room.set("queue.capacity", 1);
    room.set("queue.idle_seconds", 120);
    room.issue(1);
    room.issue(2);
    room.pass_seconds(60);
    CHECK(room.touch(1) == QueueStatus::Active);  // a request keeps it
    room.pass_seconds(119);
    room.keep();
    CHECK(room.touch(1) == QueueStatus::Active);
    room.pass_seconds(121);
    room.keep();  // nobody asked: the keeper ends it and calls 2
    LONGS_EQUAL(2, room.view().called);
    CHECK(room.status(1).status == QueueStatus::Expired);
    CHECK(room.status(2).status == QueueStatus::Active);
}

TEST(Room, ActiveTimeRunsOutThoughTheHolderKeepsAsking) {
    Room room;
    room.set("queue.active_seconds", 100);
    room.issue(1);
    for (int i = 0; i < 3; ++i) {
        room.pass_seconds(30);
        CHECK(room.touch(1) == QueueStatus::Active);
    }
    room.pass_seconds(11);
    CHECK(room.touch(1) == QueueStatus::Expired);
}

TEST(Room, ATicketThatLeftWhileWaitingIsExpiredAndItsPlaceIsPassedOver) {
    Room room;
    room.set("queue.capacity", 1);
    for (int u = 1; u <= 4; ++u) room.issue(u);
    room.leave(3);
    CHECK(room.status(3).status == QueueStatus::Expired);
    room.leave(1);  // 2 called
    room.status(2);
    room.leave(2);  // place 3 is passed over: 4 called
    concert::RoomView r = room.view();
    LONGS_EQUAL(4, r.called);
    LONGS_EQUAL(1, r.skipped);
    LONGS_EQUAL(1, r.left);
    CHECK(room.status(4).status == QueueStatus::Active);
    LONGS_EQUAL(0, r.waiting());
}

TEST(Room, AResetSecretEndsTheUsersWaitingTicket) {
    Room room;
    room.set("queue.capacity", 1);
    room.issue(1);
    room.issue(2);
    concert::queue_forget_user(redis(), user(2));
    CHECK(room.status(2).status == QueueStatus::Expired);
    CHECK(room.touch(2) == QueueStatus::Expired);
}

TEST(Room, AskingAgainGivesTheSameTicketAndATicketNumberOfAnotherUserIsNeverInherited) {
    Room room;
    room.set("queue.capacity", 1);
    room.issue(1);
    concert::QueueView first = room.issue(2);
    concert::QueueView again = room.issue(2);
    LONGS_EQUAL(first.ticket, again.ticket);
    CHECK(first.epoch == again.epoch);
    // Another user presenting user 2's ticket number is nobody's holder.
    concert::Ticket stranger{room.id, first.ticket, user(99), first.epoch};
    CHECK(concert::queue_touch(redis(), stranger) == QueueStatus::Expired);
}

TEST(Room, PauseCallsNobodyAndResumingKeepsTheOrder) {
    Room room;
    room.set("queue.capacity", 1);
    for (int u = 1; u <= 3; ++u) room.issue(u);
    room.set("queue.paused", 1);
    room.leave(1);
    room.keep();
    LONGS_EQUAL(1, room.view().called);
    room.set("queue.paused", 0);
    room.keep();
    LONGS_EQUAL(2, room.view().called);
    CHECK(room.status(2).status == QueueStatus::Active);
}

TEST(Room, ThePreQueueIsCalledInTheDrawsOrderOnlyAfterTheOpeningWindow) {
    Room room;
    room.set("queue.capacity", 5);
    std::string seed(64, 'a');
    concert::OpenOutcome opened = concert::queue_open_room(redis(), room.id, room.now + 60000, seed, "c");
    CHECK(opened.opened);
    for (int u = 1; u <= 50; ++u) {
        concert::QueueView v = room.issue(u);
        CHECK(v.status == QueueStatus::Waiting);
        LONGS_EQUAL(u, v.position);  // the pre-queue's size, nothing of the draw
    }
    room.keep();
    LONGS_EQUAL(0, room.view().called);
    room.at(opened.opens_at_ms);  // the window for 50 is 1 s: nobody called yet
    room.keep();
    concert::RoomView r = room.view();
    LONGS_EQUAL(0, r.called);
    CHECK(r.calls_from_ms == opened.opens_at_ms + 1000);
    CHECK(room.issue(51).status == QueueStatus::Waiting);  // arrives after: behind the pre-queue
    room.pass_seconds(1);
    room.keep();
    r = room.view();
    LONGS_EQUAL(5, r.called);
    concert::DrawOrder draw(seed, 50);
    for (int place = 1; place <= 50; ++place) {
        int u = static_cast<int>(draw.ticket_at(place));  // user u holds ticket u here
        concert::QueueView v = room.status(u);
        if (place <= 5) {
            CHECK(v.status == QueueStatus::Active);
        } else {
            CHECK(v.status == QueueStatus::Waiting);
            LONGS_EQUAL(place - 5, v.position);
        }
    }
    LONGS_EQUAL(46, room.status(51).position);
}

TEST(Room, APreQueueWithEveryTicketGoneCallsAtOnceAtTheOpening) {
    Room room;
    concert::OpenOutcome opened = concert::queue_open_room(redis(), room.id, room.now + 60000, std::string(64, 'b'), "c");
    room.issue(1);
    room.leave(1);
    room.at(opened.opens_at_ms);
    room.keep();
    CHECK(room.view().calls_from_ms == opened.opens_at_ms);
    CHECK(room.issue(2).status == QueueStatus::Active);
}

// A poll of a waiting ticket reads this process's copy of the room's
// counters: after the first (which reads them), no Redis command at all.
TEST(Room, AWaitingPollCostsRedisNothing) {
    Room room;
    room.set("queue.capacity", 1);
    room.issue(1);
    room.issue(2);
    room.issue(3);
    concert::queue_clock_for_tests(std::nullopt);  // the real clock: copies are kept
    room.status(3);
    std::int64_t before = commands_processed();
    for (int i = 0; i < 1000; ++i) {
        concert::QueueView v = room.status(3);
        CHECK(v.status == QueueStatus::Waiting);
    }
    // The INFO command itself is one; a refresh of the copy (if a second
    // passed meanwhile) one more.
    CHECK(commands_processed() - before <= 2);
}

// Redis lost the room (a restart from an old copy, a failover): the room
// begins again with another epoch, and what this process had followed of
// the old room's leavers must not end the new room's tickets.
TEST(Room, AfterTheRoomBeganAgainTheOldLeaversNoLongerCount) {
    Room room;
    room.set("queue.capacity", 1);
    for (int u = 1; u <= 3; ++u) room.issue(u);
    room.leave(3);
    CHECK(room.status(3).status == QueueStatus::Expired);  // this process follows the leave
    concert::ReplyPtr keys = redis().command({"KEYS", concert::room_state_prefix(room.id) + "*"});
    for (std::size_t i = 0; i < keys->elements; ++i) redis().command({"DEL", keys->element[i]->str});
    room.pass_seconds(1);
    // Before this process looks again, the new room has a leaver of its own
    // (another process's): its log is as long as what was read of the old.
    std::string state = concert::room_state_prefix(room.id);
    redis().command({"SET", state + "epoch", std::to_string(room.now)});
    redis().command({"RPUSH", state + "gonelog", "99"});
    for (int u = 11; u <= 13; ++u) room.issue(u);  // tickets 1..3 again, other people
    concert::QueueView third = room.status(13);
    LONGS_EQUAL(3, third.ticket);
    CHECK(third.status == QueueStatus::Waiting);
    LONGS_EQUAL(2, third.position);
    CHECK(room.status(3).status == QueueStatus::Expired);  // the old token: not its place any more
}
