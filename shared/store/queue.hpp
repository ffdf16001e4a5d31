#pragma once
// The waiting queue, kept in Redis; its pure arithmetic is rules/queue.hpp.
// Every step that reads and changes it is one Lua script, so any number of
// processes on any number of hosts may run them at once; Redis's own clock
// (TIME) decides queue time.
//
// Keys (all share the hash tag {q}, so they live in one Redis Cluster slot):
//   {q}:seq             ticket counter (INCR)
//   {q}:waiting         ZSET ticket -> ticket: tickets in line, in issue order
//   {q}:active          ZSET ticket -> ms when its ACTIVE time ends
//   {q}:seen            ZSET ticket -> ms of the ticket's last request (waiting and active)
//   {q}:admits          ZSET ticket -> ms of admission, the last minute only
//   {q}:admitted        the highest ticket admitted so far
//   {q}:admitted_total  how many tickets were ever admitted
//   {q}:owner           HASH ticket -> userId of every live ticket
//   {q}:paying          HASH ticket -> "until_ms claimId keyTag": a payment in flight
//   {q}:u:<userId>      "ticket iat" of the user's latest ticket (24 h)
//   {q}:settings        the runtime settings hash (store/settings.hpp)
//
// A token names a ticket and a user; a ticket only answers to its owner, so
// a token that outlived its Redis data (ticket numbers start again from 1)
// never inherits someone else's place.
//
// A ticket is alive while it is in {q}:seen. It leaves (DELETE, payment, its
// ACTIVE time or idle time running out) by being removed from all three
// sets, so admission, which pops the lowest waiting ticket, never meets it.

#include <cstdint>
#include <string>

#include "rules/queue.hpp"
#include "store/redis.hpp"

namespace concert {

// The user's live ticket if there is one (WAITING or ACTIVE, same place),
// else a new one at the back. Admits as far as capacity allows first.
QueueView queue_issue(Redis& redis, const std::string& user_id);

// The ticket's status and place after admitting what capacity allows; counts
// as a request of the ticket's holder (stamps its last-seen time).
QueueView queue_status(Redis& redis, std::int64_t ticket, const std::string& user_id);

// The ticket's status in one round trip, stamping its last-seen time: what
// every authenticated route asks. Does not admit.
QueueStatus queue_touch(Redis& redis, std::int64_t ticket, const std::string& user_id);

// Ends the ticket (leave, or paid): EXPIRED from now on, its slot or place
// goes to the next ticket at once. Idempotent; a ticket of another user is
// left alone.
void queue_expire(Redis& redis, std::int64_t ticket, const std::string& user_id);

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
PaymentClaim queue_claim_payment(Redis& redis, std::int64_t ticket, const std::string& user_id,
                                 const std::string& claim_id, std::int64_t lifetime_ms, const std::string& key_tag);

// Gives the ticket back after a payment that did not happen: ACTIVE again
// for the next try. Only the claim 'claim_id' is released.
void queue_release_payment(Redis& redis, std::int64_t ticket, const std::string& claim_id);

// Ends the user's live ticket, whatever token carries it (an operator
// revoking a leaked secret): its tokens are EXPIRED from now on.
void queue_forget_user(Redis& redis, const std::string& user_id);

// Counters for operators, without scanning tickets.
QueueStats queue_stats(Redis& redis);

}  // namespace concert
