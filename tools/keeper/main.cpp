// concert-keeper — keeps every waiting room moving (issue 26: "something
// else must now keep every room moving within a second when nobody is
// asking").
//
// Waiting polls read no Redis, so no poll calls anyone: this process does.
// Four times a second it steps every room (store/queue.hpp, queue_keep):
// ACTIVE tickets whose time is up or that went idle end, calls not claimed
// within queue.claim_seconds lapse, and free slots are filled in the
// calling order (rejoiners first, then the pre-queue by the draw, then
// issue order). Rooms are found in the set {rooms}, re-read every 2 s.
//
// One per host (systemd/concert-keeper.service); only the holder of a
// lease in Redis ({keeper}:lease, 3 s, renewed every step) steps, so a
// crowd of hosts costs Redis one keeper's work, and another host takes
// over within 3 s when the holder dies. Correctness never depends on the
// lease: each step is one script, so two keepers stepping at once only do
// the same work twice.
//
// Configuration: the handlers' CONCERT_* variables (shared/base/config.hpp).
// SIGTERM or SIGINT stops it after the current step.

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <thread>

#include "base/config.hpp"
#include "base/error.hpp"
#include "base/log.hpp"
#include "store/queue.hpp"
#include "store/redis.hpp"

namespace {

volatile std::sig_atomic_t stopping = 0;

void on_signal(int) { stopping = 1; }

constexpr auto kStep = std::chrono::milliseconds(250);
constexpr auto kRoomsEvery = std::chrono::seconds(2);
constexpr int kLeaseMs = 3000;

// Takes the lease, or renews it if it is ours: 1 if we hold it now.
const concert::Script& lease_script() {
    static const concert::Script script(R"lua(
if redis.call('SET', KEYS[1], ARGV[1], 'NX', 'PX', ARGV[2]) then return 1 end
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('PEXPIRE', KEYS[1], ARGV[2]) return 1 end
return 0
)lua");
    return script;
}

std::string keeper_id() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    return std::string(host) + ':' + std::to_string(getpid());
}

}  // namespace

int main() {
    std::signal(SIGTERM, on_signal);
    std::signal(SIGINT, on_signal);
    std::signal(SIGPIPE, SIG_IGN);  // a Redis that went away is an error return, not our end
    concert::Config config;
    try {
        config = concert::config_from_env();
    } catch (const std::exception& e) {
        concert::log_line(std::string("keeper: ") + e.what());
        return 2;
    }
    concert::Redis redis(config);
    const std::string id = keeper_id();
    std::vector<std::int64_t> rooms;
    auto rooms_read = std::chrono::steady_clock::time_point{};
    bool holding = false;
    concert::log_line("keeper " + id + ": started");
    while (stopping == 0) {
        auto started = std::chrono::steady_clock::now();
        try {
            redis.begin_request();
            concert::ReplyPtr lease = redis.eval(lease_script(), {"{keeper}:lease"}, {id, std::to_string(kLeaseMs)});
            bool held = lease->type == REDIS_REPLY_INTEGER && lease->integer == 1;
            if (held != holding) concert::log_line("keeper " + id + (held ? ": holds the lease" : ": lost the lease"));
            holding = held;
            if (holding) {
                if (started - rooms_read >= kRoomsEvery) {
                    rooms = concert::queue_rooms(redis);
                    rooms_read = started;
                }
                for (std::int64_t room : rooms) {
                    try {  // one room's failure never stops the others
                        concert::queue_keep(redis, room);
                    } catch (const concert::Unavailable&) {
                        throw;
                    } catch (const std::exception& e) {
                        concert::log_line("keeper: room " + std::to_string(room) + ": " + e.what());
                    }
                }
            }
            redis.end_request();
        } catch (const std::exception& e) {
            concert::log_line(std::string("keeper: step failed: ") + e.what());
            std::this_thread::sleep_for(std::chrono::seconds(1));
        }
        std::this_thread::sleep_until(started + kStep);
    }
    concert::log_line("keeper " + id + ": stopped");
    return 0;
}
