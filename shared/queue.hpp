#pragma once
// The waiting queue, kept in Redis. Every step that reads and changes it is
// one Lua script, so any number of processes on any number of hosts may run
// them at once; Redis's own clock (TIME) decides queue time.
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
//   {q}:u:<userId>      "ticket iat" of the user's latest ticket (24 h)
//   {q}:settings        the runtime settings hash (settings.hpp)
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

#include <cjson/cJSON.h>

#include "redis.hpp"

namespace concert {

enum class QueueStatus { Waiting, Active, Expired };

const char* status_name(QueueStatus status);  // "WAITING", "ACTIVE", "EXPIRED"

struct QueueView {
    std::int64_t ticket = 0;
    std::int64_t issued_at = 0;  // Unix seconds (Redis clock), for the token
    QueueStatus status = QueueStatus::Expired;
    std::int64_t position = 0;   // 0 unless WAITING
    std::int64_t wait_seconds = 0;
};

struct QueueStats {
    std::int64_t issued = 0;
    std::int64_t admitted = 0;
    std::int64_t waiting = 0;
    std::int64_t active = 0;
    std::int64_t admitted_last_minute = 0;
};

// Whole seconds until a ticket at 'position' is admitted, at the rate of the
// last minute's admissions, or, with none in the last minute, at
// capacity / active_seconds (every slot turning over once per ACTIVE time).
std::int64_t estimate_wait_seconds(std::int64_t position, std::int64_t admitted_last_minute,
                                   std::int64_t capacity, std::int64_t active_seconds);

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

// Adds queuePosition, estimatedWaitTime and status to a response object.
void add_place(cJSON* out, const QueueView& view);

// Counters for operators, without scanning tickets.
QueueStats queue_stats(Redis& redis);

}  // namespace concert
