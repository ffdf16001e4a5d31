// A room of a million, for the bench (issue: "one two-core machine carries
// a room of a million following clients").
//
//   room fill CONCERT N PROCS SAMPLE OUT
//       Issues N tickets in CONCERT's room through the very code
//       POST /queue/token runs (queue_issue: the same script, every key a
//       ticket has), PROCS processes at once, for users
//       00000000-0000-7000-c000-<n in hex>. Signs a token (as the route does,
//       CONCERT_TOKEN_SECRET) for SAMPLE of them, spread evenly over the
//       room, and writes "userId token" lines to OUT. Prints one JSON line:
//       tickets, seconds, Redis's used_memory before and after, bytes per
//       ticket.
//   room pacing WAITING CAPACITY PLACES_PER_SECOND MAX_POLL_SECONDS
//       The poll rate that server pacing implies for a room of WAITING
//       waiting tickets and CAPACITY active ones: the sum over every ticket
//       of 1 / pollAfterSeconds, with pollAfterSeconds computed by the code
//       the routes use (waiting_answer) for a room calling
//       PLACES_PER_SECOND. Prints one JSON line.
//
// Connection settings from the handlers' variables (CONCERT_REDIS_*).

#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "base/config.hpp"
#include "rules/queue.hpp"
#include "rules/token.hpp"
#include "store/queue.hpp"
#include "store/redis.hpp"
#include "processes.hpp"

namespace {

long long arg(char** argv, int i) { return std::atoll(argv[i]); }

std::string user_of(long long n) {
    char id[40];
    std::snprintf(id, sizeof id, "00000000-0000-7000-c000-%012llx", n);
    return id;
}

long long used_memory(concert::Redis& redis) {
    concert::ReplyPtr info = redis.command({"INFO", "memory"});
    std::string text(info->str, info->len);
    std::size_t at = text.find("used_memory:");
    return at == std::string::npos ? -1 : std::atoll(text.c_str() + at + 12);
}

int fill(long long concert_id, long long n, int procs, long long sample, const std::string& out) {
    concert::Config config = concert::config_from_env();
    long long before;
    {
        concert::Redis redis(config);
        before = used_memory(redis);
    }
    long long every = sample > 0 ? std::max(1LL, n / sample) : 0;
    auto started = std::chrono::steady_clock::now();
    bool ok = bench::in_processes(procs, [&](int p) {
        concert::Redis redis(config);
        std::ofstream lines(out + "." + std::to_string(p));
        for (long long i = p; i < n; i += procs) {
            std::string user = user_of(i + 1);
            concert::QueueView view = concert::queue_issue(redis, concert_id, user);
            if (every > 0 && view.ticket % every == 0) {
                lines << user << ' '
                      << concert::sign_token({user, concert_id, view.ticket, view.epoch}, config.token_secret)
                      << '\n';
            }
        }
        lines.close();  // _Exit flushes nothing
        return lines ? 0 : 1;
    });
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
    std::ofstream all(out);
    long long tokens = 0;
    for (int p = 0; p < procs; ++p) {
        std::ifstream part(out + "." + std::to_string(p));
        for (std::string line; std::getline(part, line);) {
            all << line << '\n';
            ++tokens;
        }
        std::remove((out + "." + std::to_string(p)).c_str());
    }
    concert::Redis redis(config);
    long long after = used_memory(redis);
    std::printf("{\"tickets\":%lld,\"seconds\":%.1f,\"tokens\":%lld,\"used_memory_before\":%lld,"
                "\"used_memory_after\":%lld,\"bytes_per_ticket\":%.1f}\n",
                n, seconds, tokens, before, after, static_cast<double>(after - before) / static_cast<double>(n));
    return ok ? 0 : 1;
}

// The poll rate server pacing asks of a room of WAITING tickets calling
// RATE places a second (v3: waiting tickets only; ACTIVE ones poll at
// their own pace, added), each polling as the routes' own answer says
// (waiting_answer, no jitter: the slowest it may ask).
int pacing(long long waiting, long long capacity, double rate, long long max_poll) {
    concert::RoomView room;
    room.now_ms = 1000000000000;
    room.capacity = capacity;
    room.max_poll_seconds = max_poll;
    room.mark_ms = room.now_ms - 60000;
    room.called = 1000000000;
    room.mark_called = room.called - static_cast<long long>(rate * 60);
    double polls = 0;
    long long fastest = 0, slowest = 0;
    for (long long p = 1; p <= waiting; ++p) {
        concert::QueueView v = concert::waiting_answer(room, p, room.called + p, 0.0);
        polls += 1.0 / static_cast<double>(v.poll_after_seconds);
        if (p == 1) fastest = v.poll_after_seconds;
        if (p == waiting) slowest = v.poll_after_seconds;
    }
    long long active_poll = concert::settled_answer(room, 0, concert::QueueStatus::Active).poll_after_seconds;
    polls += static_cast<double>(capacity) / static_cast<double>(active_poll);
    std::printf("{\"waiting\":%lld,\"capacity\":%lld,\"places_per_second\":%.1f,\"max_poll_seconds\":%lld,"
                "\"poll_first\":%lld,\"poll_last\":%lld,\"poll_active\":%lld,\"implied_rps\":%.1f}\n",
                waiting, capacity, rate, max_poll, fastest, slowest, active_poll, polls);
    return 0;
}

}  // namespace

int main(int argc, char** argv) {
    std::string mode = argc > 1 ? argv[1] : "";
    try {
        if (mode == "fill" && argc == 7) return fill(arg(argv, 2), arg(argv, 3), static_cast<int>(arg(argv, 4)), arg(argv, 5), argv[6]);
        if (mode == "pacing" && argc == 6) return pacing(arg(argv, 2), arg(argv, 3), std::atof(argv[4]), arg(argv, 5));
    } catch (const std::exception& e) {
        std::fprintf(stderr, "room: %s\n", e.what());
        return 1;
    }
    std::fprintf(stderr, "usage: see the comment at the top of bench/room.cpp\n");
    return 2;
}
