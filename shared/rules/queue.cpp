#include "rules/queue.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace concert {

namespace {

std::int64_t ceil_div(std::int64_t a, std::int64_t b) { return a <= 0 ? 0 : (a + b - 1) / b; }

// A number in [0, 1) that depends on the room and the ticket alone
// (splitmix64): where in the opening window a pre-queue ticket comes back.
double ticket_unit(std::int64_t concert_id, std::int64_t ticket) {
    std::uint64_t z = static_cast<std::uint64_t>(concert_id) * 0x9E3779B97F4A7C15ULL + static_cast<std::uint64_t>(ticket);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    return static_cast<double>(z >> 11) / 9007199254740992.0;  // 2^53
}

// A tenth of the wait, at least 1 s and at most queue.max_poll_seconds, up
// to a quarter shorter by 'jitter'.
std::int64_t pace(const RoomView& room, std::int64_t wait_seconds, double jitter) {
    std::int64_t poll = std::clamp<std::int64_t>(wait_seconds / 10, 1, std::max<std::int64_t>(1, room.max_poll_seconds));
    poll -= static_cast<std::int64_t>(std::clamp(jitter, 0.0, 0.999) * static_cast<double>(poll / 4));
    return std::max<std::int64_t>(1, poll);
}

// The fastest pace a room is planned for: every slot turning over within
// queue.claim_seconds (a call answered, looked at and left in that time).
// Real sales turn slower; and since a client asks again after a tenth of
// its wait, a line up to ten times faster than this still finds it in time.
double fastest_pace(const RoomView& room) {
    return static_cast<double>(std::max<std::int64_t>(1, room.capacity)) /
           static_cast<double>(std::max<std::int64_t>(1, room.claim_seconds));
}

double rate_or_fastest(const RoomView& room) {
    double rate = places_per_second(room);
    return rate > 0 ? rate : fastest_pace(room);
}

std::int64_t seconds_at(std::int64_t count, double per_second) {
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(count) / per_second));
}

}  // namespace

const char* status_name(QueueStatus status) {
    switch (status) {
        case QueueStatus::Waiting: return "WAITING";
        case QueueStatus::Active: return "ACTIVE";
        case QueueStatus::Expired: break;
    }
    return "EXPIRED";
}

std::int64_t herd_window_seconds(std::int64_t live, std::int64_t spread_seconds) {
    if (live <= 0) return 0;
    return std::clamp<std::int64_t>(ceil_div(live, kHerdPerSecond), 1, std::max<std::int64_t>(1, spread_seconds));
}

std::int64_t calls_from_ms(const RoomView& room) {
    if (room.opens_ms <= 0) return 0;
    if (room.calls_from_ms > 0) return room.calls_from_ms;
    return room.opens_ms + 1000 * herd_window_seconds(room.prequeue - room.prequeue_left, room.spread_seconds);
}

namespace {

double pace_since(const RoomView& room, std::int64_t called, std::int64_t at_ms) {
    if (at_ms <= 0) return 0;
    at_ms = std::max(at_ms, calls_from_ms(room));  // nothing was called before calling started
    std::int64_t span = room.now_ms - at_ms;
    if (span < 5000 || room.called <= called) return 0;
    return static_cast<double>(room.called - called) * 1000.0 / static_cast<double>(span);
}

}  // namespace

double places_per_second(const RoomView& room) {
    return std::max(pace_since(room, room.mark_called, room.mark_ms), pace_since(room, room.recent_called, room.recent_ms));
}

QueueView settled_answer(const RoomView& room, std::int64_t ticket, QueueStatus status) {
    QueueView v;
    v.concert_id = room.concert_id;
    v.ticket = ticket;
    v.status = status;
    v.poll_after_seconds = std::max<std::int64_t>(1, room.idle_seconds / 3);
    return v;
}

QueueView waiting_answer(const RoomView& room, std::int64_t ticket, std::int64_t place, double jitter) {
    QueueView v = settled_answer(room, ticket, QueueStatus::Waiting);
    v.position = std::max<std::int64_t>(1, place - room.called + room.rejoiners);
    std::int64_t until_calls = ceil_div(calls_from_ms(room) - room.now_ms, 1000);
    v.wait_seconds = until_calls + seconds_at(v.position, rate_or_fastest(room));
    v.poll_after_seconds = pace(room, v.wait_seconds, jitter);
    v.opens_at_ms = room.opening_pending() ? room.opens_ms : 0;
    return v;
}

QueueView rejoin_answer(const RoomView& room, std::int64_t ticket, std::int64_t position, double jitter) {
    QueueView v = settled_answer(room, ticket, QueueStatus::Waiting);
    v.position = std::max<std::int64_t>(1, position);
    v.missed_turn = true;
    v.wait_seconds = seconds_at(v.position, rate_or_fastest(room));
    v.poll_after_seconds = pace(room, v.wait_seconds, jitter);
    return v;
}

QueueView prequeue_answer(const RoomView& room, std::int64_t ticket) {
    QueueView v = settled_answer(room, ticket, QueueStatus::Waiting);
    v.position = std::max<std::int64_t>(1, room.prequeue);
    v.opens_at_ms = room.opens_ms;
    std::int64_t window = herd_window_seconds(std::max<std::int64_t>(1, room.prequeue - room.prequeue_left), room.spread_seconds);
    double unit = ticket_unit(room.concert_id, ticket);
    std::int64_t until_opening = ceil_div(room.opens_ms - room.now_ms, 1000);
    v.wait_seconds = until_opening + window + seconds_at(v.position, fastest_pace(room));
    // Back at opens + unit * (window - 1 s), rounded up to a whole second
    // from now: never before the opening, always inside its window (and as
    // often as a tenth of the wait asks before).
    std::int64_t target_ms = room.opens_ms + static_cast<std::int64_t>(unit * static_cast<double>(window - 1) * 1000.0);
    std::int64_t to_target = std::max<std::int64_t>(1, ceil_div(target_ms - room.now_ms, 1000));
    v.poll_after_seconds = std::min(to_target, pace(room, v.wait_seconds, unit));
    return v;
}

std::string compact_user_id(const std::string& user_id) {
    if (user_id.size() != 36) return user_id;
    std::string out;
    out.reserve(16);
    int high = -1;
    for (std::size_t i = 0; i < user_id.size(); ++i) {
        char c = user_id[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-') return user_id;
            continue;
        }
        int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (v < 0) return user_id;
        if (high < 0) {
            high = v;
        } else {
            out.push_back(static_cast<char>(high * 16 + v));
            high = -1;
        }
    }
    return out;
}

std::string room_prefix(std::int64_t concert_id) { return "{q:" + std::to_string(concert_id) + "}:"; }

std::string room_state_prefix(std::int64_t concert_id) { return room_prefix(concert_id) + "3:"; }

void add_place(cJSON* out, const QueueView& view) {
    add_int(out, "concertId", view.concert_id);
    add_int(out, "queuePosition", view.position);
    add_int(out, "estimatedWaitTime", view.wait_seconds);
    add_int(out, "pollAfterSeconds", view.poll_after_seconds);
    add_string(out, "status", status_name(view.status));
    if (view.opens_at_ms > 0) {
        add_string(out, "opensAt", iso_from_unix_ms(view.opens_at_ms));
    } else {
        cJSON_AddNullToObject(out, "opensAt");
    }
    cJSON_AddBoolToObject(out, "missedTurn", view.missed_turn);
}

std::string iso_from_unix_ms(std::int64_t unix_ms) {
    std::time_t seconds = static_cast<std::time_t>(unix_ms / 1000);
    std::tm utc{};
    gmtime_r(&seconds, &utc);
    char text[80];  // room for any int, though a date is 24 characters
    std::snprintf(text, sizeof text, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                  utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(unix_ms % 1000));
    return text;
}

namespace {

void add_text_or_null(cJSON* out, const char* name, const std::string& value) {
    if (value.empty()) {
        cJSON_AddNullToObject(out, name);
    } else {
        add_string(out, name, value);
    }
}

}  // namespace

std::string room_facts_json(const RoomView& room) {
    bool opened = room.opens_ms > 0 && !room.opening_pending();
    std::int64_t calls_from = calls_from_ms(room);
    JsonPtr out = new_object();
    add_int(out.get(), "concertId", room.concert_id);
    cJSON_AddBoolToObject(out.get(), "open", !room.opening_pending());
    add_text_or_null(out.get(), "opensAt", room.opening_pending() ? iso_from_unix_ms(room.opens_ms) : "");
    cJSON_AddBoolToObject(out.get(), "paused", room.paused);
    add_int(out.get(), "capacity", room.capacity);
    add_int(out.get(), "waiting", room.waiting());
    add_int(out.get(), "active", room.slots_in_use());
    add_int(out.get(), "admittedLastMinute", room.admitted_minute);
    add_text_or_null(out.get(), "seedCommitment", room.commitment);
    add_text_or_null(out.get(), "seed", opened ? room.seed : "");
    if (opened) {
        add_int(out.get(), "preQueueTickets", room.prequeue);
    } else {
        cJSON_AddNullToObject(out.get(), "preQueueTickets");
    }
    add_int(out.get(), "calledThrough", room.called);
    add_int(out.get(), "lapsedLastMinute", room.lapsed_minute);
    add_text_or_null(out.get(), "callsFrom", calls_from > room.now_ms ? iso_from_unix_ms(calls_from) : "");
    return to_text(out.get());
}

}  // namespace concert
