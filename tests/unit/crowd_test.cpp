// The crowd simulator's pure parts (bench/crowd/): reading answers, the
// draw recomputed from a seed, and the verdicts.
#include "crowd/fields.hpp"
#include "crowd/http.hpp"
#include "crowd/judge.hpp"
#include "crowd/population.hpp"
#include "crowd/stats.hpp"

#include <string>
#include <vector>

#include <CppUTest/TestHarness.h>

TEST_GROUP(CrowdAnswers){};

TEST(CrowdAnswers, AWholeAnswerIsReadByItsContentLength) {
    crowd::Parsed p;
    std::string in = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}";
    CHECK(crowd::parse_answer(in, p));
    LONGS_EQUAL(200, p.status);
    STRCMP_EQUAL("{}", p.body.c_str());
    LONGS_EQUAL(in.size(), p.length);
    CHECK_FALSE(p.close);
}

TEST(CrowdAnswers, AnAnswerCutShortIsNotYetAnAnswer) {
    crowd::Parsed p;
    CHECK_FALSE(crowd::parse_answer("HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n{}", p));
    CHECK_FALSE(crowd::parse_answer("HTTP/1.1 200 OK\r\nContent-Len", p));
}

TEST(CrowdAnswers, AChunkedAnswerIsJoinedAndCloseIsSeen) {
    crowd::Parsed p;
    CHECK(crowd::parse_answer("HTTP/1.1 503 x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n2\r\n{}\r\n0\r\n\r\n", p));
    LONGS_EQUAL(503, p.status);
    STRCMP_EQUAL("{}", p.body.c_str());
    CHECK(p.close);
}

TEST(CrowdAnswers, FieldsAreReadByName) {
    std::string body = R"({"status":"WAITING","pollAfterSeconds":17,"availableDates":["2030-01-01","2030-01-02"],)"
                       R"("seats":[{"seatNumber":3},{"seatNumber":9}]})";
    STRCMP_EQUAL("WAITING", std::string(crowd::json_string(body, "status")).c_str());
    LONGS_EQUAL(17, crowd::json_int(body, "pollAfterSeconds"));
    LONGS_EQUAL(-1, crowd::json_int(body, "queuePosition"));
    LONGS_EQUAL(2, crowd::json_strings(body, "availableDates").size());
    STRCMP_EQUAL("2030-01-02", crowd::json_strings(body, "availableDates")[1].c_str());
    CHECK(std::vector<std::int64_t>({3, 9}) == crowd::json_ints(body, "seatNumber"));
}

TEST_GROUP(CrowdDraw){};

// printf '%s:%d' "$seed" T | sha1sum, sorted: tickets 6, 4, 1, 5, 2, 3.
TEST(CrowdDraw, PlacesAreTheRanksOfTheSha1HexOfSeedAndTicket) {
    std::vector<std::uint32_t> place = crowd::draw_places(std::string(64, 'a'), 6);
    CHECK(std::vector<std::uint32_t>({0, 3, 5, 6, 2, 4, 1}) == place);
}

TEST(CrowdDraw, AClientsIdAndSecretAreTheBenchsOwn) {
    STRCMP_EQUAL("00000000-0000-7000-c000-00000000000a", crowd::user_id(9).c_str());
    STRCMP_EQUAL("us_0000000000007000c00000000000000aAAAAAAAAAAA", crowd::user_secret(9).c_str());
}

TEST_GROUP(CrowdJudge) {
    // Clients 0..n-1, all followers with places 1..n, who claimed 0.5 s
    // after the instrument saw their place called; samples every 100 ms
    // calling one place each.
    crowd::Shares shares;
    std::vector<crowd::Client> clients;
    crowd::JudgeInput in;

    void setup() override {
        shares.no_show = shares.leaver = shares.late = 0;
        for (std::uint32_t i = 0; i < 100; ++i) {
            crowd::Client c;
            c.ticket = c.place = i + 1;
            c.phase = crowd::Phase::Done;
            c.claim_ms = static_cast<std::uint32_t>((i + 1) * 100 + 500);
            clients.push_back(c);
        }
        for (int k = 0; k <= 400; ++k) {
            crowd::RoomSample s;
            s.sent = k * 0.1;
            s.called = std::min(k, 100);
            s.slots = 10;
            in.samples.push_back(s);
        }
        in.clients = clients.data();
        in.layout.count = 100;
        in.layout.bulk = 100;
        in.shares = shares;
        in.end = 40;
        in.capacity = 10;
        in.claim_seconds = 5;
        in.places_known = true;
        in.status_capacity = 1000;
    }
};

TEST(CrowdJudge, FollowersCalledInOrderAndClaimedAtOncePassEveryRule) {
    crowd::Verdict v = crowd::judge(in);
    for (const crowd::Check& c : v.checks) CHECK_TEXT(!c.rule || c.pass, c.name.c_str());
    LONGS_EQUAL(100, v.followers_judged);
    CHECK(v.lateness_p99 > 0.4 && v.lateness_p99 < 0.7);
}

TEST(CrowdJudge, AClaimBeforeItsPlaceWasCalledIsAnOrderViolation) {
    clients[50].claim_ms = 1000;  // place 51 claimed when the room had called 10
    crowd::Verdict v = crowd::judge(in);
    LONGS_EQUAL(1, v.order_violations);
    CHECK_FALSE(v.passed());
}

TEST(CrowdJudge, AFollowerNeverCalledAmongCalledPlacesIsLost) {
    clients[20].claim_ms = 0;
    clients[21].phase = crowd::Phase::Expired;
    LONGS_EQUAL(2, crowd::judge(in).lost);
}

TEST(CrowdJudge, AClientThatLeftWhileWaitingIsNotLost) {
    clients[20].claim_ms = 0;
    clients[20].phase = crowd::Phase::Left;
    LONGS_EQUAL(0, crowd::judge(in).lost);
}

TEST(CrowdJudge, SlotsAboveCapacityFailUnlessTheCapacityWasDoubled) {
    in.samples[300].slots = 15;
    LONGS_EQUAL(1, crowd::judge(in).samples_over_capacity);
    in.doubled = 20;
    LONGS_EQUAL(0, crowd::judge(in).samples_over_capacity);
}

TEST(CrowdJudge, ARejoinersClaimIsNotAnOrderViolation) {
    clients[50].claim_ms = 1000;
    clients[50].flags = crowd::kLapsed | crowd::kRejoined;
    LONGS_EQUAL(0, crowd::judge(in).order_violations);
}

TEST_GROUP(CrowdStats){};

TEST(CrowdStats, QuantilesAreWithinABucketOfTheTruth) {
    crowd::Histogram h;
    for (int i = 1; i <= 1000; ++i) h.add(i * 0.001);
    DOUBLES_EQUAL(0.5, h.quantile(0.5), 0.02);
    DOUBLES_EQUAL(0.99, h.quantile(0.99), 0.04);
}
