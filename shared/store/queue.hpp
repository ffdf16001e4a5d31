#pragma once
// The waiting rooms, one per concert, kept in Redis (v3: waiting costs
// nothing per person). The rules of a room's state are Lua, in
// shared/store/lua/ (room.lua is shared by every script and names every
// key); their pure arithmetic is rules/queue.hpp.
//
// A room calls places strictly in order: the pre-queue's tickets by the
// opening draw (rules/draw.hpp), then later tickets in issue order (place =
// ticket number). Redis holds, per waiting ticket, only its user's entry
// (user -> ticket, in small hashes) and one bit (is it over); per called
// ticket a few sorted-set entries. Calls, lapses and expiries are made by
// the keeper (tools/keeper: queue_keep() for every room, a few times a
// second), never by a poll.
//
// A waiting ticket's poll reads no Redis: each process keeps every room's
// counters (RoomView: places called, the opening, the pace, the settings)
// at most a second old, and follows the room's log of tickets that ended
// while waiting (leaving, a reset secret) incrementally, so such a token is
// EXPIRED within a second. Only a ticket whose place has been called (to
// claim it, or whose call lapsed) goes to Redis, as every ACTIVE route does.
//
// Redis's clock decides (TIME in the scripts); tests may set it instead
// (queue_clock_for_tests), and then no copy is kept.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rules/queue.hpp"
#include "store/redis.hpp"

namespace concert {

// The user's live ticket in the concert's room if there is one (WAITING or
// ACTIVE, same place), else a new one at the back; a ticket called at once
// is claimed by this request (ACTIVE).
QueueView queue_issue(Redis& redis, std::int64_t concert_id, const std::string& user_id);

// The ticket's status and place, counting as a request of its holder: no
// Redis while it waits for its call; a called ticket is claimed.
QueueView queue_status(Redis& redis, const Ticket& ticket);

// The ticket's status in one round trip, as every authenticated route asks:
// claims a call, stamps an ACTIVE ticket, brings a lapsed one back.
QueueStatus queue_touch(Redis& redis, const Ticket& ticket);

// Ends the ticket (leave, or paid): EXPIRED from now on, its slot or place
// goes to the room's next ticket at once. Idempotent; a ticket of another
// user is left alone. Other rooms are not touched.
void queue_expire(Redis& redis, const Ticket& ticket);

// One order per admission: a payment claims its ticket before it touches
// the database, in one step that also checks the ticket is ACTIVE (and
// stamps it, as every request does). A claim lasts 'lifetime_ms' at most, so
// a worker that dies mid-payment never blocks the ticket for good; paying
// ends the ticket (queue_expire, which drops the claim), failing releases it.
enum class ClaimOutcome { Claimed, Busy, NotActive };
struct PaymentClaim {
    ClaimOutcome outcome;
    std::string in_flight_tag;  // Busy: the key tag the payment in flight gave
};
PaymentClaim queue_claim_payment(Redis& redis, const Ticket& ticket, const std::string& claim_id,
                                 std::int64_t lifetime_ms, const std::string& key_tag);

// Gives the ticket back after a payment that did not happen: ACTIVE again
// for the next try. Only the claim 'claim_id' is released.
void queue_release_payment(Redis& redis, const Ticket& ticket, const std::string& claim_id);

// Ends the user's live tickets in every room (an operator revoking a leaked
// secret): their tokens are EXPIRED from now on (within a second for a
// waiting one's polls).
void queue_forget_user(Redis& redis, const std::string& user_id);

// Schedules the room's opening draw (`concertctl room open`): at
// 'opens_at_ms' (Redis clock; nullopt: now), with the secret 'seed' (64 hex
// characters) whose SHA-256 'commitment' is published at once. Refused while
// the room has issued tickets, or once an opening has passed.
struct OpenOutcome {
    bool opened = false;
    std::int64_t opens_at_ms = 0;
    std::string refusal;  // why not, when !opened
};
OpenOutcome queue_open_room(Redis& redis, std::int64_t concert_id, std::optional<std::int64_t> opens_at_ms,
                            const std::string& seed, const std::string& commitment);

// The room's counters read now (operators, metrics, the keeper).
RoomView queue_room(Redis& redis, std::int64_t concert_id);

// Every room that ever issued a ticket or was opened, ascending.
std::vector<std::int64_t> queue_rooms(Redis& redis);

// One step of the keeper for the room: fixes the opening window's end once
// the opening passed, ends what timed out, lapses calls not claimed in
// time, and calls the next places while slots are free (the pre-queue's in
// the draw's order, which it computes). Any number of keepers may step the
// same room at once: each step is one script.
void queue_keep(Redis& redis, std::int64_t concert_id);

// Tests only: the rooms' clock (Unix ms) instead of Redis's TIME; nullopt
// gives it back. While set, every room read is fresh.
void queue_clock_for_tests(std::optional<std::int64_t> unix_ms);

}  // namespace concert
