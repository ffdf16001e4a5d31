#pragma once
// The waiting queue's pure side: statuses, what a ticket's place looks like
// to a client, and the wait estimate. The queue itself lives in Redis
// (store/queue.hpp).

#include <cstdint>
#include <string>

#include "base/json.hpp"

namespace concert {

enum class QueueStatus { Waiting, Active, Expired };

// One ticket of one room, as a token names it.
struct Ticket {
    std::int64_t concert_id;  // the room
    std::int64_t number;      // in the room's issue order: 1, 2, 3...
    std::string user_id;      // its holder
};

// "{q:<concertId>}:": the prefix (and Redis Cluster hash tag) of every key
// of the concert's waiting room.
std::string room_prefix(std::int64_t concert_id);

// How a room's Redis keys hold a user id: the 16 bytes of a UUID's text
// (36 characters, any case), or the text itself when it is not a UUID. A
// room of a million keeps each user id twice; 16 bytes instead of 36 is
// what keeps a waiting ticket under 300 bytes of Redis memory.
std::string compact_user_id(const std::string& user_id);

const char* status_name(QueueStatus status);  // "WAITING", "ACTIVE", "EXPIRED"

struct QueueView {
    std::int64_t concert_id = 0;
    std::int64_t ticket = 0;
    std::int64_t issued_at = 0;  // Unix seconds (Redis clock), for the token
    QueueStatus status = QueueStatus::Expired;
    std::int64_t position = 0;   // 0 unless WAITING
    std::int64_t wait_seconds = 0;
    std::int64_t poll_after_seconds = 1;
    std::int64_t opens_at_ms = 0;  // the room's pending opening (Unix ms), or 0
};

// What anyone may see of a room (GET /concerts/{id}/room): no user, no
// ticket of anyone.
struct RoomFacts {
    std::int64_t concert_id = 0;
    bool open = true;              // no opening pending
    std::int64_t opens_at_ms = 0;  // the scheduled opening, or 0
    bool paused = false;
    std::int64_t capacity = 0;
    std::int64_t waiting = 0;
    std::int64_t active = 0;
    std::int64_t admitted_last_minute = 0;
    std::string seed_commitment;   // "" without an opening
    std::string seed;              // "" until the opening passed
    std::int64_t pre_queue_tickets = -1;  // tickets 1..n drawn; -1 until the opening passed
};

// The room facts as the contract's JSON object.
std::string room_facts_json(const RoomFacts& facts);

// "2026-11-22T12:34:56.789Z" for Unix milliseconds.
std::string iso_from_unix_ms(std::int64_t unix_ms);

struct QueueStats {
    std::int64_t issued = 0;
    std::int64_t admitted = 0;
    std::int64_t waiting = 0;
    std::int64_t active = 0;
    std::int64_t admitted_last_minute = 0;
    bool paused = false;        // queue.paused, the room's own or the global one
    std::int64_t capacity = 0;  // queue.capacity, likewise
};

// Whole seconds until a ticket at 'position' is admitted, at the rate of the
// last minute's admissions, or, with none in the last minute, at
// capacity / active_seconds (every slot turning over once per ACTIVE time).
std::int64_t estimate_wait_seconds(std::int64_t position, std::int64_t admitted_last_minute,
                                   std::int64_t capacity, std::int64_t active_seconds);

// When a client should ask again (server-paced polling), in whole seconds:
// as late as two bounds allow, and at least 1. A third of idle_seconds, so a
// client that follows it is never expired as idle (two more polls fit before
// its place lapses); and for a WAITING ticket a tenth of its estimated wait,
// so nobody learns of their turn late. Far back in a long line that is the
// idle bound: a room of N waiting tickets costs about N / (idle_seconds / 3)
// polls a second, not N.
std::int64_t poll_after_seconds(QueueStatus status, std::int64_t wait_seconds, std::int64_t idle_seconds);

// Adds concertId, queuePosition, estimatedWaitTime, pollAfterSeconds,
// status and opensAt to a response object.
void add_place(cJSON* out, const QueueView& view);

}  // namespace concert
