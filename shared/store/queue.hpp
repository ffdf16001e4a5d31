#pragma once
// The waiting rooms, one per concert, kept in Redis; their pure arithmetic
// is rules/queue.hpp. Every step that reads and changes a room is one Lua
// script, so any number of processes on any number of hosts may run them at
// once; Redis's own clock (TIME) decides queue time.
//
// A room's keys share the hash tag {q:<concertId>}, so each room is one
// Redis Cluster slot and rooms spread over a cluster's shards:
//   {q:N}:seq             ticket counter (INCR)
//   {q:N}:waiting         ZSET ticket -> ticket: tickets in line, in issue order
//   {q:N}:active          ZSET ticket -> ms when its ACTIVE time ends
//   {q:N}:seen            ZSET ticket -> ms of the ticket's last request (waiting and active)
//   {q:N}:admits          ZSET ticket -> ms of admission, the last minute only
//   {q:N}:admitted        the highest ticket admitted so far
//   {q:N}:admitted_total  how many tickets were ever admitted
//   {q:N}:owner:<t/100>   HASH t % 100 -> userId (16 bytes, compact_user_id) of
//                         every live ticket t: at most 100 fields, kept compact
//   {q:N}:paying          HASH ticket -> "until_ms claimId keyTag": a payment in flight
//   {q:N}:settings        HASH the room's own queue.* settings (store/settings.hpp)
//   {q:N}:opening         HASH opens_ms, seed, commitment, last (the last pre-queue ticket)
//   {q:N}:prequeue        ZSET 0 -> "<sha1 hex of seed:ticket>:<ticket>": tickets issued
//                         before the opening, in the draw's order
//   {q:N}:u:<hhhh>        HASH userId (16 bytes) -> "ticket iat" of the user's live
//                         ticket; hhhh = the id's last two bytes in hex
// The global settings ({q}:settings) live in another slot: each script gets
// their values as arguments, read by this process at most a second ago.
//
// A token names a room, a ticket and a user; a ticket only answers to its
// owner, so a token that outlived its Redis data (ticket numbers start again
// from 1) never inherits someone else's place.
//
// A ticket is alive while it is in {q:N}:seen. It leaves (DELETE, payment,
// its ACTIVE time or idle time running out) by being removed from all three
// sets, so admission, which pops the lowest waiting ticket, never meets it.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "rules/queue.hpp"
#include "store/redis.hpp"

namespace concert {

// The user's live ticket in the concert's room if there is one (WAITING or
// ACTIVE, same place), else a new one at the back. Admits as far as the
// room's capacity allows first.
QueueView queue_issue(Redis& redis, std::int64_t concert_id, const std::string& user_id);

// The ticket's status and place after admitting what capacity allows; counts
// as a request of the ticket's holder (stamps its last-seen time).
QueueView queue_status(Redis& redis, const Ticket& ticket);

// The ticket's status in one round trip, stamping its last-seen time: what
// every authenticated route asks. Does not admit.
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
// secret): their tokens are EXPIRED from now on. Finds the rooms by SCAN:
// for operators, never on a request's path.
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

// The room's public facts (GET /concerts/{id}/room): read only, one step.
RoomFacts queue_room_facts(Redis& redis, std::int64_t concert_id);

// A room's counters for operators, without scanning tickets.
QueueStats queue_stats(Redis& redis, std::int64_t concert_id);

// Every room that ever issued a ticket, by SCAN, ascending.
std::vector<std::int64_t> queue_rooms(Redis& redis);

}  // namespace concert
