#include "base/metrics.hpp"

#include <cstdlib>
#include <string>

#include <sys/wait.h>
#include <unistd.h>

#include "base/prometheus.hpp"

#include <CppUTest/TestHarness.h>

namespace m = concert::metrics;

TEST_GROUP(Exposition){};

TEST(Exposition, FamiliesHaveHelpAndTypeAndLabelValuesAreEscaped) {
    concert::Exposition out;
    out.family("x_total", "counter", "Lines\nand a \\ backslash.");
    out.sample("x_total", {{"a", "q\"uote"}, {"b", "back\\slash\nnew"}}, std::uint64_t{42});
    out.sample("x_total", {}, std::uint64_t{0});
    STRCMP_EQUAL("# HELP x_total Lines\\nand a \\\\ backslash.\n# TYPE x_total counter\n"
                 "x_total{a=\"q\\\"uote\",b=\"back\\\\slash\\nnew\"} 42\nx_total 0\n",
                 out.text().c_str());
}

TEST(Exposition, DoublesArePlainNumbersOrTheFormatsInfinities) {
    concert::Exposition out;
    out.sample("s", {}, 0.25);
    out.sample("s", {}, 1.0 / 0.0);
    out.sample("s", {}, 123456.789);
    STRCMP_EQUAL("s 0.25\ns +Inf\ns 123456.789\n", out.text().c_str());
}

// The pool's file, written by forked workers (one slot each, as the pool
// does) and read back summed; a worker that is gone no longer counts as alive.
TEST_GROUP(PoolCounters) {
    std::string dir;
    void setup() override {
        char tmpl[] = "/tmp/concert-metrics-XXXXXX";
        dir = mkdtemp(tmpl);
    }
    void teardown() override {
        std::string cmd = "rm -rf " + dir;
        CHECK_EQUAL(0, std::system(cmd.c_str()));
    }
};

TEST(PoolCounters, WorkersCountIntoTheirSlotsAndTheReaderSumsThem) {
    m::open_pool(dir, "holds", 2);
    for (int slot = 0; slot < 2; ++slot) {
        pid_t pid = fork();
        if (pid == 0) {
            m::use_slot(slot);
            for (int i = 0; i < 10; ++i) m::request_done(201, 700);    // 1 ms bucket
            m::request_done(409, 3000000);                            // 5 s bucket
            m::request_done(418, 10);                                 // "other", first bucket
            m::retry();
            m::payment(2, 3000);
            m::charge(500);
            _exit(0);
        }
        waitpid(pid, nullptr, 0);
    }
    std::vector<m::Pool> pools = m::read_pools(dir);
    LONGS_EQUAL(1, pools.size());
    const m::Pool& p = pools[0];
    STRCMP_EQUAL("holds", p.name.c_str());
    LONGS_EQUAL(2, p.workers);
    LONGS_EQUAL(0, p.workers_alive);  // both exited
    LONGS_EQUAL(20, p.total.requests[1]);                  // 201
    LONGS_EQUAL(2, p.total.requests[9]);                   // 409
    LONGS_EQUAL(2, p.total.requests[m::kStatusCount]);     // other
    LONGS_EQUAL(22, p.total.buckets[0] + p.total.buckets[1]);
    LONGS_EQUAL(20, p.total.buckets[1]);
    LONGS_EQUAL(2, p.total.buckets[12]);                   // le 5 s
    LONGS_EQUAL(2 * (10 * 700 + 3000000 + 10), p.total.duration_micros);
    LONGS_EQUAL(2, p.total.retries);
    LONGS_EQUAL(2, p.total.payments);
    LONGS_EQUAL(4, p.total.seats_sold);
    LONGS_EQUAL(6000, p.total.paid_amount);
    LONGS_EQUAL(1000, p.total.charged_amount);
}

TEST(PoolCounters, ALiveWorkerIsSeenAliveAndAPoolRestartCountsFromZero) {
    m::open_pool(dir, "status", 1);
    m::use_slot(0);  // this process
    m::request_done(200, 1);
    std::vector<m::Pool> pools = m::read_pools(dir);
    LONGS_EQUAL(1, pools[0].workers_alive);
    LONGS_EQUAL(1, pools[0].total.requests[0]);
    m::open_pool(dir, "status", 3);  // the pool started again: a new file
    pools = m::read_pools(dir);
    LONGS_EQUAL(1, pools.size());
    LONGS_EQUAL(3, pools[0].workers);
    LONGS_EQUAL(0, pools[0].total.requests[0]);
}

TEST(PoolCounters, NoDirectoryMeansNoFileAndNothingToRead) {
    m::open_pool("", "none", 2);
    m::request_done(200, 1);  // counts privately, harmlessly
    LONGS_EQUAL(0, m::read_pools(dir).size());
    LONGS_EQUAL(0, m::read_pools(dir + "/missing").size());
}
