#pragma once
// The waiting rooms' pure side: statuses, a room's counters as processes
// keep them, what a ticket's place looks like to a client, the wait
// estimate and the pacing of polls. The rooms themselves live in Redis
// (store/queue.hpp); the opening draw's order is rules/draw.hpp.

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
    std::int64_t epoch = 0;   // when the room's numbering began (Unix ms): a token names it
};

// "{q:<concertId>}:": the prefix (and Redis Cluster hash tag) of every key
// of the concert's waiting room; its settings and opening are right under
// it, the v3 room's state under room_state_prefix(), "{q:<concertId>}:3:"
// (so that a v2 room's keys, left by an upgrade, are never read).
std::string room_prefix(std::int64_t concert_id);
std::string room_state_prefix(std::int64_t concert_id);

// How a room's Redis keys hold a user id: the 16 bytes of a UUID's text
// (36 characters, any case), or the text itself when it is not a UUID.
std::string compact_user_id(const std::string& user_id);

const char* status_name(QueueStatus status);  // "WAITING", "ACTIVE", "EXPIRED"

// A room's counters and settings as one read returns them (store/queue.hpp:
// every process keeps a copy at most a second old). Times are Unix ms on
// Redis's clock.
struct RoomView {
    std::int64_t concert_id = 0;
    std::int64_t now_ms = 0;         // when it was read
    std::int64_t epoch = 0;          // when the room's ticket numbering began (0: no ticket yet)
    std::int64_t seq = 0;            // tickets issued
    std::int64_t called = 0;         // places called so far (calledThrough)
    std::int64_t opens_ms = 0;       // the scheduled opening, 0 without one
    std::int64_t calls_from_ms = 0;  // the opening window's end once fixed, else 0
    std::int64_t prequeue = 0;       // tickets issued before the opening (1..n)
    std::string commitment;          // the seed's SHA-256, "" without an opening
    std::string seed;                // "" until the opening passed
    bool paused = false;
    std::int64_t capacity = 0;
    std::int64_t active = 0;          // ACTIVE tickets
    std::int64_t calls_open = 0;      // called and not claimed yet
    std::int64_t rejoiners = 0;       // came back after a lapse, waiting for a slot
    std::int64_t lapsed_open = 0;     // lapsed once, may still come back
    std::int64_t admitted_minute = 0; // claims in the last minute
    std::int64_t lapsed_minute = 0;   // lapses in the last minute
    std::int64_t mark_called = 0;     // 'called' about a minute ago...
    std::int64_t mark_ms = 0;         // ...at this instant (0: no mark yet)
    std::int64_t recent_called = 0;   // 'called' about ten seconds ago...
    std::int64_t recent_ms = 0;       // ...at this instant (0: none)
    std::int64_t calls = 0, claims = 0, lapses = 0, rejoins = 0;  // totals
    std::int64_t left = 0;            // tickets that ended before their call
    std::int64_t skipped = 0;         // places passed over: their ticket had left
    std::int64_t prequeue_left = 0;   // pre-queue tickets that ended before their call
    std::int64_t claim_seconds = 30, rejoin_seconds = 3600, max_poll_seconds = 1200, spread_seconds = 120;
    std::int64_t active_seconds = 600, idle_seconds = 120;

    bool opening_pending() const { return opens_ms > 0 && now_ms < opens_ms; }
    // Tickets not called yet and not gone, plus the rejoiners.
    std::int64_t waiting() const { return seq - called - (left - skipped) + rejoiners; }
    std::int64_t slots_in_use() const { return active + calls_open; }
};

// How long the opening window lasts for a pre-queue of 'live' tickets: the
// herd comes back at about kHerdPerSecond, within queue.opening_spread_seconds;
// a room with no live pre-queue ticket calls at once (0).
constexpr std::int64_t kHerdPerSecond = 2000;
std::int64_t herd_window_seconds(std::int64_t live, std::int64_t spread_seconds);

// When the room starts calling: the fixed instant once there is one, else
// what the opening and the pre-queue make it; 0 without an opening.
std::int64_t calls_from_ms(const RoomView& room);

// Places called per second: the faster of the last minute's pace and the
// last ten seconds' (so a line that speeds up is seen at once), each
// counted from when calling started if that was later; 0 while unknown
// (less than 5 s of calling, or nothing called).
double places_per_second(const RoomView& room);

struct QueueView {
    std::int64_t concert_id = 0;
    std::int64_t ticket = 0;
    std::int64_t epoch = 0;      // the room's numbering (for the token)
    QueueStatus status = QueueStatus::Expired;
    std::int64_t position = 0;   // 0 unless WAITING
    std::int64_t wait_seconds = 0;
    std::int64_t poll_after_seconds = 1;
    std::int64_t opens_at_ms = 0;  // the room's pending opening (Unix ms), or 0
    bool missed_turn = false;      // a rejoiner: its call lapsed, it is next (missedTurn)
};

// The answer for an ACTIVE or EXPIRED ticket.
QueueView settled_answer(const RoomView& room, std::int64_t ticket, QueueStatus status);

// The answer for a WAITING ticket at 'place' in the calling order, with
// 'ahead' rejoiners in front of it: its position, the wait at the room's
// recent pace (while no pace is known, at the fastest the room is planned
// for: every slot turning over within queue.claim_seconds), and when to ask again — a tenth of the wait, at most
// queue.max_poll_seconds, made up to a quarter shorter by 'jitter' (0..1)
// so that clients who asked together come back apart.
QueueView waiting_answer(const RoomView& room, std::int64_t ticket, std::int64_t place, double jitter);

// The answer for a rejoiner: 'position' 1 + the rejoiners ahead of it.
QueueView rejoin_answer(const RoomView& room, std::int64_t ticket, std::int64_t position, double jitter);

// The answer for a pre-queue ticket before the opening: no place exists
// yet, and nothing here depends on the seed. Its position is the
// pre-queue's size; it is told to come back at an instant of the opening
// window that depends on the ticket alone, so the herd comes back spread.
QueueView prequeue_answer(const RoomView& room, std::int64_t ticket);

// Adds concertId, queuePosition, estimatedWaitTime, pollAfterSeconds,
// status, opensAt and missedTurn (true for a holder whose call lapsed and
// who came back: next in line) to a response object.
void add_place(cJSON* out, const QueueView& view);

// The room facts (GET /concerts/{id}/room) as the contract's JSON object:
// no user and no ticket of anyone.
std::string room_facts_json(const RoomView& room);

// "2026-11-22T12:34:56.789Z" for Unix milliseconds.
std::string iso_from_unix_ms(std::int64_t unix_ms);

}  // namespace concert
