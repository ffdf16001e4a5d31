#pragma once
// The crowd's people: one compact record per client (20 bytes, so ten
// million fit in a quarter of a gigabyte), who each one is (user id,
// secret, behaviour: all derived from the client's index, stored nowhere),
// the bulk issue of their tickets through the store code, and their places
// in the calling order, computed from the published seed.
//
// Client indices are laid out as
//   [0, early)                    tickets through POST /queue/token before the opening
//   [early, early + bulk)         tickets issued in bulk (store/queue.hpp) before the opening
//   [early + bulk, count)         tickets through POST /queue/token after the opening

#include <cstdint>
#include <string>
#include <vector>

namespace crowd {

enum class Phase : std::uint8_t {
    Unissued,  // no ticket yet
    Waiting,
    Active,    // claimed; doing its ACTIVE steps
    Done,      // left while ACTIVE, paid, or went idle: its own choice
    Left,      // left while waiting: its own choice
    Expired,   // the server said EXPIRED when the client did not expect it
    Absent,    // a no-show: took its ticket and never came back
};

// Flags of a client's history.
enum : std::uint8_t {
    kLapsed = 1,       // its call lapsed (it was WAITING after its place was called)
    kRejoined = 2,     // claimed again after a lapse
    kViolation = 4,    // claimed before the instrument saw its place called
    kWasActive = 8,
};

struct Client {
    std::uint32_t ticket = 0;     // 0: none yet
    std::uint32_t place = 0;      // in the calling order; 0 until the seed is known
    std::uint32_t wake_tick = 0;  // its next step (crowd::kNever: none)
    std::uint32_t claim_ms = 0;   // first claim, ms after the crowd's start; 0: never
    Phase phase = Phase::Unissued;
    std::uint8_t flags = 0;
    std::uint8_t step = 0;        // within its ACTIVE steps
    std::uint8_t polls = 0;       // status polls so far (saturating)
};
static_assert(sizeof(Client) == 20, "a client is 20 bytes");

// Who a client is, from its index and the crowd's seed.
enum class Kind : std::uint8_t { Follower, NoShow, Leaver, Late };
enum class Action : std::uint8_t { LookAndLeave, Buy, Idle };

struct Shares {
    double no_show = 0.30;   // never come back after taking a ticket
    double leaver = 0.05;    // leave while waiting (at their 1st..3rd poll)
    double late = 0.03;      // poll 2.5× later than told: not followers
    double idle = 0.10;      // of those called: go idle while ACTIVE
    double buy = 0.5;        // of those with an account: hold and pay
    std::uint32_t account_every = 20;  // every 20th client has an account (a row in users)
};

struct Layout {
    std::uint32_t count = 0;  // every client
    std::uint32_t early = 0;  // route tickets before the opening
    std::uint32_t bulk = 0;   // bulk tickets before the opening
    std::uint32_t late() const { return count - early - bulk; }
    bool by_route(std::uint32_t i) const { return i < early || i >= early + bulk; }
};

std::uint64_t mix(std::uint64_t x);  // splitmix64's finaliser
double unit(std::uint32_t index, std::uint32_t salt);  // a uniform [0, 1) from the client's index

Kind kind_of(std::uint32_t index, const Shares& shares);
bool has_account(std::uint32_t index, const Layout& layout, const Shares& shares);
Action action_of(std::uint32_t index, const Layout& layout, const Shares& shares);

// 00000000-0000-7000-c000-<index + 1 as 12 hex digits>, and the secret
// bench/lib/data.sh gives such a user ("us_" + the id's hex + 11 × "A").
std::string user_id(std::uint32_t index);
std::string user_secret(std::uint32_t index);

// Bulk issue: the clients [from, to) take tickets in 'concert_id''s room
// through queue_issue, from 'procs' processes writing into 'clients'
// (which must be a MAP_SHARED mapping); each one's first poll is scheduled
// as the issue's pollAfterSeconds says, in ticks of 100 ms after 'epoch'
// (CLOCK_MONOTONIC seconds). Throws if a process failed.
void bulk_issue(Client* clients, std::uint32_t from, std::uint32_t to, std::int64_t concert_id, int procs,
                double epoch);

// The calling order's place of tickets 1..pre_queue: rank (from 1) in
// ascending SHA-1 hex of "<seed>:<ticket>". Index 0 unused.
std::vector<std::uint32_t> draw_places(const std::string& seed, std::uint32_t pre_queue);

}  // namespace crowd
