#pragma once
// What the crowd sees besides its own requests: the room's counters read
// straight from Redis (its only side channel, documented in docs/BENCH.md),
// and the CPU each part of the stack used, from /proc.
//
// The room's sample is one MULTI/EXEC, so the slots it counts are one
// moment's: GET {q:N}:3:called (places called so far), GET
// {q:N}:admitted_total (what a v2 room has instead), HGETALL {q:N}:3:counts
// (calls, claims, lapses, rejoins), ZCARD {q:N}:3:active + ZCARD {q:N}:3:calls
// (slots in use). Every read is O(1).

#include <hiredis/hiredis.h>
#include <sys/types.h>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace crowd {

struct RoomSample {
    double sent = 0;            // when the MULTI was sent (monotonic seconds)
    std::int64_t called = 0;    // calledThrough (v2 room: admitted_total)
    std::int64_t calls = 0, claims = 0, lapses = 0, rejoins = 0;
    std::int64_t slots = 0;     // ACTIVE + called and not yet claimed
    bool v3 = false;            // the room has {q:N}:3:called
};

class RoomProbe {
public:
    explicit RoomProbe(std::int64_t concert_id);  // CONCERT_REDIS_SOCKET or _HOST/_PORT
    ~RoomProbe();
    RoomProbe(const RoomProbe&) = delete;
    RoomProbe& operator=(const RoomProbe&) = delete;

    RoomSample sample();
    std::int64_t used_memory();  // INFO memory's used_memory

private:
    redisReply* command(const std::vector<std::string>& args);
    redisContext* ctx_ = nullptr;
    std::string prefix_;
};

// CPU ticks by part of the stack since the last call: nginx, each handler
// pool ("pool:<name>"), redis, mariadb, keeper, other (the stack's scripts),
// and the crowd itself. Processes are the descendants of the roots (the
// stack script, and Redis, which runs as a daemon).
class CpuProbe {
public:
    CpuProbe(std::vector<pid_t> roots, std::vector<std::string> pool_names);
    // Per part, the share of one core used since the previous call
    // (1.0 = one core busy all the time).
    std::map<std::string, double> sample(double now);

private:
    std::vector<pid_t> roots_;
    std::vector<std::string> pools_;  // comm names (at most 15 characters)
    std::map<std::string, std::uint64_t> last_;  // "pid:start" -> ticks
    double last_at_ = 0;
};

}  // namespace crowd
