// The waiting queue through nginx: order, capacity, leaving, idle tickets,
// pause, settings, and every token error. The room's rules in detail, on a
// controlled clock, are tests/room/; here the whole stack, the keeper
// moving the rooms, and the processes' copies of the room's counters (at
// most a second old: what changes shows within about a second).

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "base/crypto.hpp"
#include "base/text.hpp"
#include "client.hpp"
#include "rules/queue.hpp"
#include "rules/token.hpp"
#include "store/settings.hpp"

#include <CppUTest/TestHarness.h>

namespace {

struct Place {
    long http = 0;
    std::string token;
    std::string status;
    long position = -1;
    long wait = -1;
    long poll = -1;  // pollAfterSeconds
};

Place read_place(const itest::Reply& r) {
    Place p;
    p.http = r.status;
    concert::JsonPtr obj = r.json();
    if (!obj) return p;
    p.token = itest::text_field(obj.get(), "token");
    p.status = itest::text_field(obj.get(), "status");
    const cJSON* pos = cJSON_GetObjectItemCaseSensitive(obj.get(), "queuePosition");
    const cJSON* wait = cJSON_GetObjectItemCaseSensitive(obj.get(), "estimatedWaitTime");
    if (cJSON_IsNumber(pos)) p.position = static_cast<long>(pos->valuedouble);
    if (cJSON_IsNumber(wait)) p.wait = static_cast<long>(wait->valuedouble);
    const cJSON* poll = cJSON_GetObjectItemCaseSensitive(obj.get(), "pollAfterSeconds");
    if (cJSON_IsNumber(poll)) p.poll = static_cast<long>(poll->valuedouble);
    return p;
}

// A place in the room these tests share (itest::any_room(), emptied before
// each test), or in another concert's room.
Place take(const std::string& user_id, long concert = itest::any_room()) {
    return read_place(itest::request("POST", "/api/v1/queue/token", itest::token_request(user_id, concert)));
}

Place status(const std::string& token) {
    return read_place(itest::request("GET", "/api/v1/queue/status", "", {"Authorization: Bearer " + token}));
}

long leave(const std::string& token) {
    return itest::request("DELETE", "/api/v1/queue/token", "", {"Authorization: Bearer " + token}).status;
}

// The ticket number inside a token (read, not verified: the server verifies).
long ticket_of(const std::string& token) {
    std::string ticket = itest::ticket_of(token);
    return ticket.empty() ? -1 : std::stol(ticket);
}

// A setting of the room these tests share (its own override: the room's
// scripts read it at once, where a global change takes up to a second).
void set(const char* name, long value) {
    concert::store_setting(itest::redis(), name, std::to_string(value), itest::any_room());
}

// The ticket's status once it reads 'want', asking every 100 ms for up to
// 3 s (a call or an expiry shows within about a second: the keeper steps
// every 250 ms, and a process's copy of the room is at most 1 s old).
Place eventually(const std::string& token, const std::string& want) {
    Place now = status(token);
    for (int i = 0; i < 30 && now.status != want; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        now = status(token);
    }
    return now;
}

// The position once it is 'want', likewise.
Place eventually_at(const std::string& token, long want) {
    Place now = status(token);
    for (int i = 0; i < 30 && now.position != want; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        now = status(token);
    }
    return now;
}

std::string secret() {
    std::ifstream in(itest::state_dir() + "/token-secret");
    std::string s;
    in >> s;
    return s;
}

}  // namespace

TEST_GROUP(Queue) {
    void setup() override { itest::redis().command({"FLUSHDB"}); }
    void teardown() override { itest::redis().command({"FLUSHDB"}); }
};

TEST(Queue, FirstUserIsActiveAtOnce) {
    Place p = take(itest::new_user());
    LONGS_EQUAL(200, p.http);
    STRCMP_EQUAL("ACTIVE", p.status.c_str());
    LONGS_EQUAL(0, p.position);
    LONGS_EQUAL(0, p.wait);
    STRCMP_EQUAL("ACTIVE", status(p.token).status.c_str());
}

TEST(Queue, IssueOrderIsKeptUnderConcurrency) {
    set("queue.capacity", 5);
    std::vector<std::string> users;
    for (int i = 0; i < 200; ++i) users.push_back(itest::new_user());
    // 20 processes take 10 places each, all at once.
    std::vector<std::string> out = itest::in_processes(20, [&](int p) {
        std::ostringstream lines;
        for (int i = 0; i < 10; ++i) {
            Place place = take(users[static_cast<std::size_t>(p * 10 + i)]);
            lines << ticket_of(place.token) << ' ' << place.status << ' ' << place.position << ' '
                  << place.token << '\n';
        }
        return lines.str();
    });
    std::set<long> tickets;
    std::vector<std::pair<long, std::string>> by_ticket;
    for (const std::string& chunk : out) {
        std::istringstream in(chunk);
        long ticket, position;
        std::string st, token;
        while (in >> ticket >> st >> position >> token) {
            tickets.insert(ticket);
            // At issue, nobody has left: the first 5 tickets are admitted and
            // ticket t waits at place t - 5.
            if (ticket <= 5) {
                STRCMP_EQUAL("ACTIVE", st.c_str());
            } else {
                STRCMP_EQUAL("WAITING", st.c_str());
                LONGS_EQUAL(ticket - 5, position);
            }
            by_ticket.emplace_back(ticket, token);
        }
    }
    LONGS_EQUAL(200, tickets.size());
    LONGS_EQUAL(1, *tickets.begin());
    LONGS_EQUAL(200, *tickets.rbegin());
    for (const auto& [ticket, token] : by_ticket) {
        Place now = status(token);
        if (ticket <= 5) {
            STRCMP_EQUAL("ACTIVE", now.status.c_str());
        } else {
            LONGS_EQUAL(ticket - 5, now.position);
            CHECK(now.wait > 0);
        }
    }
}

TEST(Queue, CapacityIsNeverExceededUnderConcurrency) {
    set("queue.capacity", 5);
    std::vector<std::string> users;
    for (int i = 0; i < 50; ++i) users.push_back(itest::new_user());
    std::vector<std::string> out = itest::in_processes(50, [&](int i) {
        Place p = take(users[static_cast<std::size_t>(i)]);
        return p.status + " " + p.token;
    });
    int active = 0;
    for (const std::string& line : out) {
        std::string token = line.substr(line.find(' ') + 1);
        if (status(token).status == "ACTIVE") ++active;
    }
    LONGS_EQUAL(5, active);
    std::string stats = itest::concertctl("queue stats --concert " + std::to_string(itest::any_room()));
    STRCMP_CONTAINS("\"active\":5", stats.c_str());
    STRCMP_CONTAINS("\"waiting\":45", stats.c_str());
    STRCMP_CONTAINS("\"issued\":50", stats.c_str());
}

TEST(Queue, AskingAgainReturnsTheSameTokenAndPlace) {
    set("queue.capacity", 1);
    std::string a = itest::new_user(), b = itest::new_user();
    Place first_a = take(a);
    Place first_b = take(b);
    Place again_a = take(a);
    Place again_b = take(b);
    STRCMP_EQUAL(first_a.token.c_str(), again_a.token.c_str());
    STRCMP_EQUAL(first_b.token.c_str(), again_b.token.c_str());
    STRCMP_EQUAL("WAITING", again_b.status.c_str());
    LONGS_EQUAL(1, again_b.position);
}

TEST(Queue, FreedSlotGoesToTheEarliestWaitingTicket) {
    set("queue.capacity", 2);
    Place a = take(itest::new_user()), b = take(itest::new_user());
    Place c = take(itest::new_user()), d = take(itest::new_user());
    STRCMP_EQUAL("WAITING", c.status.c_str());
    LONGS_EQUAL(2, d.position);
    LONGS_EQUAL(204, leave(a.token));
    STRCMP_EQUAL("EXPIRED", status(a.token).status.c_str());
    STRCMP_EQUAL("ACTIVE", eventually(c.token, "ACTIVE").status.c_str());
    Place dn = eventually_at(d.token, 1);
    STRCMP_EQUAL("WAITING", dn.status.c_str());
    LONGS_EQUAL(1, dn.position);
    STRCMP_EQUAL("ACTIVE", status(b.token).status.c_str());
}

TEST(Queue, LeavingTwiceIsFine) {
    Place a = take(itest::new_user());
    LONGS_EQUAL(204, leave(a.token));
    LONGS_EQUAL(204, leave(a.token));
}

TEST(Queue, AfterExpiredANewTokenGoesToTheBack) {
    set("queue.capacity", 1);
    std::string user_a = itest::new_user();
    Place a = take(user_a), b = take(itest::new_user()), c = take(itest::new_user());
    LONGS_EQUAL(204, leave(a.token));
    Place again = take(user_a);
    CHECK(again.token != a.token);
    STRCMP_EQUAL("WAITING", again.status.c_str());
    LONGS_EQUAL(2, again.position);  // behind c; b is ACTIVE now
    STRCMP_EQUAL("ACTIVE", eventually(b.token, "ACTIVE").status.c_str());
    STRCMP_EQUAL("EXPIRED", status(a.token).status.c_str());
}

TEST(Queue, ActiveTimeRunsOut) {
    set("queue.capacity", 1);
    set("queue.active_seconds", 1);
    Place a = take(itest::new_user()), b = take(itest::new_user());
    STRCMP_EQUAL("WAITING", b.status.c_str());
    std::this_thread::sleep_for(std::chrono::milliseconds(1000));
    STRCMP_EQUAL("ACTIVE", eventually(b.token, "ACTIVE").status.c_str());
    STRCMP_EQUAL("EXPIRED", status(a.token).status.c_str());
}

// v3: waiting needs no heartbeat. A ticket that never asks keeps its place
// (idle_seconds is for ACTIVE tickets only) and is called in its turn.
TEST(Queue, AWaitingTicketThatNeverAsksKeepsItsPlace) {
    set("queue.capacity", 1);
    set("queue.idle_seconds", 2);
    Place a = take(itest::new_user());
    Place silent = take(itest::new_user());
    Place polling = take(itest::new_user());
    LONGS_EQUAL(2, polling.position);
    for (int i = 0; i < 6; ++i) {  // 3 s: a (ACTIVE) and the poller ask, the silent one does not
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        status(a.token);
        status(polling.token);
    }
    LONGS_EQUAL(204, leave(a.token));
    STRCMP_EQUAL("ACTIVE", eventually(silent.token, "ACTIVE").status.c_str());
    Place p = eventually_at(polling.token, 1);
    STRCMP_EQUAL("WAITING", p.status.c_str());
    LONGS_EQUAL(1, p.position);
}

// v3: the room keeps itself moving. Nobody asks anything while an ACTIVE
// ticket goes idle: the keeper ends it and calls the next place, which the
// room facts show (calledThrough) before that ticket's holder asks.
TEST(Queue, ARoomNobodyAsksStillMoves) {
    set("queue.capacity", 1);
    set("queue.idle_seconds", 1);
    Place a = take(itest::new_user());
    Place b = take(itest::new_user());
    std::string facts_path = "/api/v1/concerts/" + std::to_string(itest::any_room()) + "/room";
    std::string facts;
    for (int i = 0; i < 40; ++i) {  // up to 4 s: 1 s idle, a keeper step, the facts' second
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        facts = itest::request("GET", facts_path).body;
        if (facts.find("\"calledThrough\":2") != std::string::npos) break;
    }
    STRCMP_CONTAINS("\"calledThrough\":2", facts.c_str());
    STRCMP_EQUAL("EXPIRED", status(a.token).status.c_str());
    STRCMP_EQUAL("ACTIVE", status(b.token).status.c_str());  // its first request claims the call
}

// A waiting token that left, or whose user's secret was reset, answers
// EXPIRED within a second although its poll reads no Redis.
TEST(Queue, AWaitingTokenThatLeftOrWasResetIsExpiredWithinASecond) {
    set("queue.capacity", 1);
    take(itest::new_user());
    Place left = take(itest::new_user());
    std::string reset_user = itest::new_user();
    Place reset = take(reset_user);
    STRCMP_EQUAL("WAITING", status(left.token).status.c_str());  // each process has a copy now
    STRCMP_EQUAL("WAITING", status(reset.token).status.c_str());
    LONGS_EQUAL(204, leave(left.token));
    int rc = -1;
    itest::concertctl("user reset-secret --user " + reset_user, &rc);
    LONGS_EQUAL(0, rc);
    std::this_thread::sleep_for(std::chrono::milliseconds(1050));
    for (int i = 0; i < 10; ++i) {  // every process (each poll may meet another worker)
        STRCMP_EQUAL("EXPIRED", status(left.token).status.c_str());
        STRCMP_EQUAL("EXPIRED", status(reset.token).status.c_str());
    }
}

// Server-paced polling: every answer says when to ask again, within the
// contract's bounds, and a client that waits exactly that long between polls
// keeps its place however long it waits.
TEST(Queue, AClientThatFollowsPollAfterSecondsIsNeverExpiredAsIdle) {
    set("queue.capacity", 1);
    set("queue.idle_seconds", 3);
    set("queue.claim_seconds", 3);  // no pace yet: the fastest is a call every 3 s
    Place a = take(itest::new_user());
    Place follower = take(itest::new_user());
    LONGS_EQUAL(1, a.poll);  // max(1, 3 / 3)
    STRCMP_EQUAL("WAITING", follower.status.c_str());
    CHECK(follower.poll >= 1 && follower.poll <= 1 && follower.poll <= std::max(1L, follower.wait / 10));
    Place now = follower;
    for (int i = 0; i < 5; ++i) {  // 5 s: longer than the idle time, in steps of pollAfterSeconds
        std::this_thread::sleep_for(std::chrono::seconds(now.poll));
        now = status(follower.token);
        STRCMP_EQUAL("WAITING", now.status.c_str());
        status(a.token);
    }
    LONGS_EQUAL(204, leave(a.token));
    STRCMP_EQUAL("ACTIVE", eventually(follower.token, "ACTIVE").status.c_str());
}

TEST(Queue, PollAfterSecondsStaysWithinItsBoundsAlongTheLine) {
    set("queue.capacity", 1);
    take(itest::new_user());
    std::vector<Place> line;
    for (int i = 0; i < 30; ++i) line.push_back(take(itest::new_user()));
    for (const Place& p : line) {
        CHECK(p.poll >= 1);
        CHECK(p.poll <= 1200);  // queue.max_poll_seconds
        CHECK(p.poll <= std::max(1L, p.wait / 10));
    }
    // Far back it asks less often than at the head.
    CHECK(line.back().poll > line.front().poll);
}

TEST(Queue, IdleActiveTicketLosesItsSlot) {
    set("queue.capacity", 1);
    set("queue.idle_seconds", 2);
    Place idle = take(itest::new_user());
    Place next = take(itest::new_user());
    STRCMP_EQUAL("WAITING", next.status.c_str());
    Place now;
    for (int i = 0; i < 14 && now.status != "ACTIVE"; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        now = status(next.token);
    }
    STRCMP_EQUAL("ACTIVE", now.status.c_str());
    STRCMP_EQUAL("EXPIRED", status(idle.token).status.c_str());
}

TEST(Queue, PauseHoldsAdmissionAndResumeKeepsOrder) {
    set("queue.capacity", 1);
    Place a = take(itest::new_user()), b = take(itest::new_user()), c = take(itest::new_user());
    set("queue.paused", 1);
    LONGS_EQUAL(204, leave(a.token));
    Place bp = status(b.token);
    STRCMP_EQUAL("WAITING", bp.status.c_str());
    LONGS_EQUAL(1, bp.position);
    LONGS_EQUAL(2, status(c.token).position);
    Place late = take(itest::new_user());
    STRCMP_EQUAL("WAITING", late.status.c_str());
    LONGS_EQUAL(3, late.position);
    set("queue.paused", 0);
    STRCMP_EQUAL("ACTIVE", eventually(b.token, "ACTIVE").status.c_str());
    Place cp = eventually_at(c.token, 1);
    STRCMP_EQUAL("WAITING", cp.status.c_str());
    LONGS_EQUAL(1, cp.position);
}

TEST(Queue, SettingChangeTakesEffectWithoutRestart) {
    set("queue.capacity", 1);
    Place a = take(itest::new_user()), b = take(itest::new_user()), c = take(itest::new_user());
    STRCMP_EQUAL("WAITING", c.status.c_str());
    int rc = -1;
    std::string room = std::to_string(itest::any_room());
    std::string out = itest::concertctl("settings set queue.capacity 3 --concert " + room, &rc);
    LONGS_EQUAL(0, rc);
    STRCMP_CONTAINS("\"overridden\":{\"queue.capacity\":3}", out.c_str());
    STRCMP_EQUAL("ACTIVE", eventually(c.token, "ACTIVE").status.c_str());
    STRCMP_EQUAL("ACTIVE", eventually(b.token, "ACTIVE").status.c_str());
    STRCMP_EQUAL("ACTIVE", status(a.token).status.c_str());
}

// A global change reaches every process within a second, no restart.
TEST(Queue, AGlobalSettingChangeReachesEveryProcessWithinASecond) {
    int rc = -1;
    itest::concertctl("settings set queue.paused 1", &rc);
    LONGS_EQUAL(0, rc);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    Place a = take(itest::new_user());
    STRCMP_EQUAL("WAITING", a.status.c_str());
    itest::concertctl("settings set queue.paused 0", &rc);
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    STRCMP_EQUAL("ACTIVE", eventually(a.token, "ACTIVE").status.c_str());
}

TEST(Queue, ConcertctlRefusesUnknownSettingsAndBadValues) {
    int rc = 0;
    std::string out = itest::concertctl("settings set queue.size 3", &rc);
    CHECK(rc != 0);
    STRCMP_CONTAINS("unknown setting", out.c_str());
    out = itest::concertctl("settings set queue.paused 2", &rc);
    CHECK(rc != 0);
    STRCMP_CONTAINS("queue.paused must be an integer from 0 to 1", out.c_str());
    out = itest::concertctl("settings get", &rc);
    LONGS_EQUAL(0, rc);
    STRCMP_CONTAINS("\"queue.paused\":0", out.c_str());
    STRCMP_CONTAINS("\"hold.max_per_user\":4", out.c_str());
    // v3: max_poll_seconds must stay below half of rejoin_seconds, for the
    // global values and for every room that overrides one of them.
    out = itest::concertctl("settings set queue.max_poll_seconds 1800", &rc);
    CHECK(rc != 0);
    STRCMP_CONTAINS("queue.max_poll_seconds (1800) must stay below half of queue.rejoin_seconds (3600)", out.c_str());
    std::string room = std::to_string(itest::any_room());
    out = itest::concertctl("settings set queue.rejoin_seconds 100 --concert " + room, &rc);
    CHECK(rc != 0);
    STRCMP_CONTAINS(("for concert " + room).c_str(), out.c_str());
    itest::concertctl("settings set queue.max_poll_seconds 1240 --concert " + room, &rc);
    LONGS_EQUAL(0, rc);
    // Global 2450 holds with the global 1200, not with the room's own 1240.
    out = itest::concertctl("settings set queue.rejoin_seconds 2450", &rc);
    CHECK(rc != 0);
    STRCMP_CONTAINS("(its own values)", out.c_str());
    itest::concertctl("settings unset queue.max_poll_seconds --concert " + room, &rc);
}

TEST(Queue, StatsCountIssuedAdmittedWaitingActive) {
    set("queue.capacity", 1);
    take(itest::new_user());
    take(itest::new_user());
    Place c = take(itest::new_user());
    leave(c.token);
    std::string room = std::to_string(itest::any_room());
    std::string one = "\"issued\":3,\"admitted\":1,\"waiting\":1,\"active\":1,\"admittedLastMinute\":1,"
                      "\"calledThrough\":1,\"calls\":1,\"lapses\":0,\"rejoins\":0,\"lapsedLastMinute\":0}";
    STRCMP_EQUAL(("{\"concertId\":" + room + "," + one + "\n").c_str(),
                 itest::concertctl("queue stats --concert " + room).c_str());
    // Without --concert: every room with anyone in it, and the totals.
    STRCMP_EQUAL(("{\"rooms\":[{\"concertId\":" + room + "," + one + "],\"total\":{" + one + "}\n").c_str(),
                 itest::concertctl("queue stats").c_str());
}

TEST(Queue, BadTokenRequestsAre400Or401) {
    auto ask = [](const std::string& body) { return itest::request("POST", "/api/v1/queue/token", body); };
    STRCMP_EQUAL("", itest::error_problem(ask("{}"), 400, "userId is required").c_str());
    STRCMP_EQUAL("", itest::error_problem(ask("{\"userId\":7}"), 400).c_str());
    STRCMP_EQUAL("", itest::error_problem(ask("{\"userId\":\"kim\"}"), 400).c_str());
    STRCMP_EQUAL("", itest::error_problem(ask("{\"userId\":\"01A205B4-376C-7510-ADB7-2D373DC1D7C1\"}"), 400).c_str());
    STRCMP_EQUAL("", itest::error_problem(ask("not json"), 400).c_str());
    std::string room = std::to_string(itest::any_room());
    // An unknown user is told exactly what a wrong secret is told.
    STRCMP_EQUAL("", itest::error_problem(ask("{\"userId\":\"01a205b4-376c-7510-adb7-2d373dc1d7c1\",\"concertId\":" +
                                              room + "}"), 401, "Invalid user secret").c_str());
    STRCMP_EQUAL("", itest::error_problem(ask("{\"userId\":\"" + itest::new_user() + "\",\"userSecret\":7}"), 400,
                                          "userSecret must be a string").c_str());
    // The room: required, a positive integer, and a concert that exists.
    std::string user = itest::new_user();
    std::string secret = itest::secret_of(user);
    auto in = [&](const std::string& concert) {
        return ask("{\"userId\":\"" + user + "\",\"userSecret\":\"" + secret + "\"" + concert + "}");
    };
    STRCMP_EQUAL("", itest::error_problem(in(""), 400, "concertId is required").c_str());
    STRCMP_EQUAL("", itest::error_problem(in(",\"concertId\":0"), 400, "concertId must be a positive integer").c_str());
    STRCMP_EQUAL("", itest::error_problem(in(",\"concertId\":\"7\""), 400, "concertId must be an integer").c_str());
    STRCMP_EQUAL("", itest::error_problem(in(",\"concertId\":99999999"), 404, "Concert not found").c_str());
}

TEST(Queue, MissingOrForgedTokensAre401) {
    Place a = take(itest::new_user());
    auto with = [](const std::string& header) {
        return itest::request("GET", "/api/v1/queue/status", "", {header});
    };
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/queue/status"), 401,
                                          "Missing bearer token").c_str());
    STRCMP_EQUAL("", itest::error_problem(with("Authorization: Basic " + a.token), 401).c_str());
    STRCMP_EQUAL("", itest::error_problem(with("Authorization: Bearer garbage"), 401, "Invalid token").c_str());
    STRCMP_EQUAL("", itest::error_problem(with("Authorization: Bearer " + a.token + "x"), 401).c_str());
    // Someone else's ticket number in an otherwise genuine token.
    concert::TokenClaims forged{"01a205b4-376c-7510-adb7-2d373dc1d7c1", itest::any_room(), 1, 1};
    STRCMP_EQUAL("", itest::error_problem(with("Authorization: Bearer " + concert::sign_token(forged, "guess")),
                                          401, "Invalid token").c_str());
    std::string none = concert::base64url_encode("{\"alg\":\"none\"}") + a.token.substr(a.token.find('.'));
    none = none.substr(0, none.rfind('.') + 1);
    STRCMP_EQUAL("", itest::error_problem(with("Authorization: Bearer " + none), 401).c_str());
    LONGS_EQUAL(401, itest::request("DELETE", "/api/v1/queue/token", "", {"Authorization: Bearer x.y.z"}).status);
    // A genuine token signed with the stack's own secret is accepted.
    concert::TokenClaims real{"01a205b4-376c-7510-adb7-2d373dc1d7c1", itest::any_room(), 999999, 1};
    LONGS_EQUAL(200, with("Authorization: Bearer " + concert::sign_token(real, secret())).status);
}

TEST(Queue, TokenThatOutlivedRedisDataNeverInheritsAnotherUsersPlace) {
    set("queue.capacity", 1);
    std::string a_user = itest::new_user();
    Place a = take(a_user);
    LONGS_EQUAL(1, ticket_of(a.token));
    itest::redis().command({"FLUSHDB"});  // Redis lost everything; ticket numbers start again
    set("queue.capacity", 1);
    Place b = take(itest::new_user());
    LONGS_EQUAL(1, ticket_of(b.token));
    STRCMP_EQUAL("ACTIVE", b.status.c_str());
    STRCMP_EQUAL("EXPIRED", status(a.token).status.c_str());
    LONGS_EQUAL(204, leave(a.token));  // A's old token cannot end B's ticket either
    STRCMP_EQUAL("ACTIVE", status(b.token).status.c_str());
    Place again = take(a_user);  // A asks again: a new ticket, behind B
    STRCMP_EQUAL("WAITING", again.status.c_str());
    LONGS_EQUAL(1, again.position);
}

// Contract, "Waiting rooms": every concert has its own room.
TEST_GROUP(Rooms) {
    void setup() override { itest::redis().command({"FLUSHDB"}); }
    void teardown() override { itest::redis().command({"FLUSHDB"}); }
    long room(const std::string& name) { return itest::add_concert("--name " + name + " --dates " + itest::day(4)); }
    void room_setting(long concert, const char* name, long value) {
        concert::store_setting(itest::redis(), name, std::to_string(value), concert);
    }
};

TEST(Rooms, AdmissionLeavingPauseAndIdleExpiryInOneRoomNeverMoveAnother) {
    long a = room("RoomA"), b = room("RoomB");
    room_setting(a, "queue.capacity", 1);
    room_setting(b, "queue.capacity", 1);
    Place a1 = take(itest::new_user(), a), a2 = take(itest::new_user(), a);
    Place b1 = take(itest::new_user(), b), b2 = take(itest::new_user(), b);
    STRCMP_EQUAL("ACTIVE", a1.status.c_str());
    STRCMP_EQUAL("ACTIVE", b1.status.c_str());
    LONGS_EQUAL(1, a2.position);
    LONGS_EQUAL(1, b2.position);
    // Tickets are numbered per room.
    LONGS_EQUAL(2, ticket_of(a2.token));
    LONGS_EQUAL(2, ticket_of(b2.token));
    // Leaving A admits A's next, not B's.
    LONGS_EQUAL(204, leave(a1.token));
    STRCMP_EQUAL("ACTIVE", eventually(a2.token, "ACTIVE").status.c_str());
    Place b2_now = status(b2.token);
    STRCMP_EQUAL("WAITING", b2_now.status.c_str());
    LONGS_EQUAL(1, b2_now.position);
    // Pausing B holds B only.
    room_setting(b, "queue.paused", 1);
    LONGS_EQUAL(204, leave(b1.token));
    STRCMP_EQUAL("WAITING", status(b2.token).status.c_str());
    Place a3 = take(itest::new_user(), a);
    LONGS_EQUAL(204, leave(a2.token));
    STRCMP_EQUAL("ACTIVE", eventually(a3.token, "ACTIVE").status.c_str());
    // A short idle time in A expires A's silent ACTIVE ticket; B's waiting
    // one keeps its place.
    room_setting(a, "queue.idle_seconds", 1);
    room_setting(b, "queue.idle_seconds", 1);
    std::this_thread::sleep_for(std::chrono::milliseconds(2000));
    STRCMP_EQUAL("EXPIRED", status(a3.token).status.c_str());
    Place b2_later = status(b2.token);
    STRCMP_EQUAL("WAITING", b2_later.status.c_str());
    LONGS_EQUAL(1, b2_later.position);
}

TEST(Rooms, ATokenOfOneRoomIs403OnAnotherRoomsDatesSeatsHoldsAndPayments) {
    long a = room("Mine"), b = room("Theirs");
    std::string user = itest::new_user();
    Place in_a = take(user, a), in_b = take(user, b);
    STRCMP_EQUAL("ACTIVE", in_a.status.c_str());
    STRCMP_EQUAL("ACTIVE", in_b.status.c_str());
    const std::string with_a = "Authorization: Bearer " + in_a.token;
    const char* kOther = "Queue token is for another concert";
    std::string b_path = "/api/v1/concerts/" + std::to_string(b);
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", b_path + "/available-dates", "", {with_a}), 403,
                                          kOther).c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", b_path + "/available-seats?date=" + itest::day(4), "",
                                                         {with_a}), 403, kOther).c_str());
    std::string hold_b = "{\"concertId\":" + std::to_string(b) + ",\"date\":\"" + itest::day(4) + "\",\"seatNumber\":1}";
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/reservations", hold_b, {with_a}), 403,
                                          kOther).c_str());
    // The user's own hold in B, paid with the token of A: 403, nothing paid.
    itest::Reply held = itest::request("POST", "/api/v1/reservations", hold_b, {"Authorization: Bearer " + in_b.token});
    LONGS_EQUAL(201, held.status);
    std::string reservation = itest::text_field(held.json().get(), "reservationId");
    STRCMP_EQUAL("", itest::error_problem(itest::request("POST", "/api/v1/payments",
                                                         "{\"reservationId\":\"" + reservation + "\"}", {with_a}),
                                          403, kOther).c_str());
    STRCMP_EQUAL("0", itest::scalar("SELECT COUNT(*) FROM payments WHERE reservation_id = '" + reservation + "'").c_str());
    // Its own room's routes answer as ever.
    LONGS_EQUAL(200, itest::request("GET", "/api/v1/concerts/" + std::to_string(a) + "/available-dates", "", {with_a}).status);
}

TEST(Rooms, AUserWaitsInSeveralRoomsAtOnceOnePlaceEachAndAnyOwnTokenReadsTheBalance) {
    long a = room("First"), b = room("Second");
    room_setting(a, "queue.capacity", 1);
    take(itest::new_user(), a);  // A's only slot
    std::string user = itest::new_user();
    Place in_a = take(user, a), in_b = take(user, b);
    STRCMP_EQUAL("WAITING", in_a.status.c_str());
    STRCMP_EQUAL("ACTIVE", in_b.status.c_str());
    CHECK(in_a.token != in_b.token);
    STRCMP_EQUAL(in_a.token.c_str(), take(user, a).token.c_str());  // asking again: the same place
    STRCMP_EQUAL(in_b.token.c_str(), take(user, b).token.c_str());
    for (const std::string& token : {in_a.token, in_b.token}) {
        LONGS_EQUAL(200, itest::request("GET", "/api/v1/users/" + user + "/balance", "",
                                        {"Authorization: Bearer " + token}).status);
    }
    // Leaving B ends B's token only.
    LONGS_EQUAL(204, leave(in_b.token));
    STRCMP_EQUAL("EXPIRED", status(in_b.token).status.c_str());
    STRCMP_EQUAL("WAITING", status(in_a.token).status.c_str());
}

TEST(Rooms, ARoomsOverrideBeatsTheGlobalValueAndUnsetRestoresIt) {
    long a = room("Override"), b = room("Plain");
    std::string ra = std::to_string(a);
    int rc = -1;
    std::string out = itest::concertctl("settings set queue.capacity 2 --concert " + ra, &rc);
    LONGS_EQUAL(0, rc);
    STRCMP_CONTAINS(("\"concertId\":" + ra).c_str(), out.c_str());
    STRCMP_CONTAINS("\"effective\":{\"hold.max_per_user\":4", out.c_str());
    STRCMP_CONTAINS("\"queue.capacity\":2", out.c_str());
    STRCMP_CONTAINS("\"overridden\":{\"queue.capacity\":2}", out.c_str());
    Place a1 = take(itest::new_user(), a), a2 = take(itest::new_user(), a), a3 = take(itest::new_user(), a);
    STRCMP_EQUAL("ACTIVE", a2.status.c_str());
    STRCMP_EQUAL("WAITING", a3.status.c_str());
    Place b3;
    for (int i = 0; i < 3; ++i) b3 = take(itest::new_user(), b);
    STRCMP_EQUAL("ACTIVE", b3.status.c_str());  // the global capacity (100 by default) in B
    out = itest::concertctl("settings unset queue.capacity --concert " + ra, &rc);
    LONGS_EQUAL(0, rc);
    STRCMP_CONTAINS("\"overridden\":{}", out.c_str());
    STRCMP_EQUAL("ACTIVE", eventually(a3.token, "ACTIVE").status.c_str());
    // hold.* are global; unknown concerts are refused.
    itest::concertctl("settings set hold.seconds 60 --concert " + ra, &rc);
    CHECK(rc != 0);
    out = itest::concertctl("settings get --concert 99999999", &rc);
    CHECK(rc != 0);
    STRCMP_CONTAINS("no such concert", out.c_str());
    (void)a1;
}

namespace {

itest::Reply room_facts(long concert) {
    return itest::request("GET", "/api/v1/concerts/" + std::to_string(concert) + "/room");
}

// "YYYY-MM-DDThh:mm:ssZ", 'seconds' from now by this host's clock (the
// stack's Redis runs on the same clock).
std::string instant_in(int seconds) {
    std::time_t at = std::time(nullptr) + seconds;
    std::tm utc{};
    gmtime_r(&at, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &utc);
    return text;
}

}  // namespace

TEST(Rooms, RoomFactsArePublicAndNameNoUserAndNoTicket) {
    long a = room("Facts");
    std::string user = itest::new_user();
    Place p = take(user, a);
    itest::Reply r = room_facts(a);
    LONGS_EQUAL(200, r.status);
    concert::JsonPtr obj = r.json();
    std::vector<std::string> keys;
    for (const cJSON* item = obj->child; item != nullptr; item = item->next) keys.emplace_back(item->string);
    std::string all;
    for (const std::string& k : keys) all += k + ",";
    STRCMP_EQUAL("concertId,open,opensAt,paused,capacity,waiting,active,admittedLastMinute,seedCommitment,seed,"
                 "preQueueTickets,calledThrough,lapsedLastMinute,callsFrom,", all.c_str());
    CHECK(r.body.find(user) == std::string::npos);
    CHECK(r.body.find(p.token) == std::string::npos);
    STRCMP_CONTAINS("\"open\":true,\"opensAt\":null", r.body.c_str());
    STRCMP_CONTAINS("\"active\":1", r.body.c_str());
    STRCMP_EQUAL("", itest::error_problem(room_facts(99999999), 404, "Concert not found").c_str());
    STRCMP_EQUAL("", itest::error_problem(itest::request("GET", "/api/v1/concerts/x/room"), 400).c_str());
}

// The contract's opening draw, recomputed here from the published values.
TEST(Rooms, TheOpeningDrawOrdersThePreQueueByTheRevealedSeedAndLaterArrivalsFollow) {
    long a = room("Draw");
    std::string ra = std::to_string(a);
    room_setting(a, "queue.capacity", 1);
    std::vector<std::string> early, late;
    for (int i = 0; i < 60; ++i) early.push_back(itest::new_user());
    for (int i = 0; i < 20; ++i) late.push_back(itest::new_user());
    int rc = -1;
    concert::JsonPtr scheduled(cJSON_Parse(itest::concertctl("room open --concert " + ra + " --at " + instant_in(3), &rc).c_str()));
    LONGS_EQUAL(0, rc);
    std::string commitment = itest::text_field(scheduled.get(), "seedCommitment");
    LONGS_EQUAL(64, commitment.size());
    STRCMP_CONTAINS(("\"seedCommitment\":\"" + commitment + "\",\"seed\":null").c_str(), room_facts(a).body.c_str());

    // Before the opening: everyone waits, nobody is admitted, the place is the pre-queue's size.
    std::vector<Place> places;
    for (const std::string& user : early) places.push_back(take(user, a));
    Place last = places.back();
    STRCMP_EQUAL("WAITING", places.front().status.c_str());
    LONGS_EQUAL(60, status(places.front().token).position);
    LONGS_EQUAL(60, last.position);
    STRCMP_CONTAINS("\"opensAt\":\"", itest::request("GET", "/api/v1/queue/status", "",
                                                      {"Authorization: Bearer " + last.token}).body.c_str());
    // Scheduling again is refused once the room has tickets.
    itest::concertctl("room open --concert " + ra + " --now", &rc);
    CHECK(rc != 0);

    std::this_thread::sleep_for(std::chrono::milliseconds(3200));
    for (const std::string& user : late) places.push_back(take(user, a));
    // Calling starts when the opening window ends (1 s for a pre-queue of
    // 60): the first drawn is called, and every process's copy shows it
    // within a second.
    concert::JsonPtr facts;
    for (int i = 0; i < 50; ++i) {
        facts = room_facts(a).json();
        const cJSON* called = cJSON_GetObjectItemCaseSensitive(facts.get(), "calledThrough");
        if (cJSON_IsNumber(called) && called->valuedouble >= 1) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1100));
    std::string seed = itest::text_field(facts.get(), "seed");
    LONGS_EQUAL(64, seed.size());
    STRCMP_EQUAL(commitment.c_str(), concert::hex_encode(concert::sha256(seed)).c_str());
    LONGS_EQUAL(60, static_cast<long>(cJSON_GetObjectItemCaseSensitive(facts.get(), "preQueueTickets")->valuedouble));

    // The expected order: tickets 1..60 by ascending SHA-1 hex of "<seed>:<ticket>", then 61..80.
    std::vector<std::pair<std::string, long>> draw;
    for (long t = 1; t <= 60; ++t) draw.emplace_back(concert::hex_encode(concert::sha1(seed + ":" + std::to_string(t))), t);
    std::sort(draw.begin(), draw.end());
    std::vector<long> expected;
    for (const auto& d : draw) expected.push_back(d.second);
    for (long t = 61; t <= 80; ++t) expected.push_back(t);
    // With capacity 1 the first drawn is ACTIVE; everyone else's place is
    // their rank in that order.
    std::vector<long> seen(80, -1);
    for (const Place& p : places) {
        Place now = status(p.token);  // the first drawn's poll claims its call
        long rank = now.status == "ACTIVE" ? 0 : now.position;
        if (rank >= 0 && rank < 80) seen[static_cast<std::size_t>(rank)] = ticket_of(p.token);
    }
    std::string order;
    for (long t : seen) order += std::to_string(t) + " ";
    std::printf("\ndraw: seed %s\ndraw: commitment %s\ndraw: admission order %s\n", seed.c_str(), commitment.c_str(),
                order.c_str());
    CHECK(seen == expected);
    // Opening again after the opening passed is refused.
    std::string again = itest::concertctl("room open --concert " + ra + " --now", &rc);
    CHECK(rc != 0);
    STRCMP_CONTAINS("cannot schedule the opening", again.c_str());
}

TEST(Rooms, ARoomWithNoTicketsOpensAtOnceWithNow) {
    long a = room("Now");
    int rc = -1;
    std::string out = itest::concertctl("room open --concert " + std::to_string(a) + " --now", &rc);
    LONGS_EQUAL(0, rc);
    STRCMP_CONTAINS("\"seedCommitment\":", out.c_str());
    Place p = take(itest::new_user(), a);
    STRCMP_EQUAL("ACTIVE", p.status.c_str());
    STRCMP_CONTAINS("\"preQueueTickets\":0", room_facts(a).body.c_str());
}

// Server-paced polling in a room of 100,000 waiting tickets (calling paused
// so the places stay put): the bounds hold at the head, in the middle and at
// the end, and far back asks far less often than the head.
TEST(Rooms, PollAfterSecondsBoundsHoldAtTheHeadMiddleAndEndOfA100000TicketRoom) {
    long a = room("Crowd");
    room_setting(a, "queue.paused", 1);
    std::string seq = concert::room_state_prefix(a) + "seq";
    auto crowd = [&](int n) {  // n more tickets: a waiting ticket is only its number (and its user's entry)
        itest::redis().command({"INCRBY", seq, std::to_string(n)});
    };
    Place head = take(itest::new_user(), a);
    crowd(49999);
    Place middle = take(itest::new_user(), a);
    crowd(49999);
    Place end = take(itest::new_user(), a);
    LONGS_EQUAL(1, status(head.token).position);
    LONGS_EQUAL(50001, status(middle.token).position);
    LONGS_EQUAL(100001, status(end.token).position);
    for (const Place& place : {status(head.token), status(middle.token), status(end.token)}) {
        CHECK(place.poll >= 1);
        CHECK(place.poll <= 1200);
        CHECK(place.poll <= std::max(1L, place.wait / 10));
    }
    LONGS_EQUAL(1, status(head.token).poll);
    Place last = status(end.token);  // no pace yet: the fastest (100 per 30 s) gives 30,001 s
    CHECK(last.poll >= 900 && last.poll <= 1200);
}
