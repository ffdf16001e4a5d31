#include "rules/queue.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace concert {

const char* status_name(QueueStatus status) {
    switch (status) {
        case QueueStatus::Waiting: return "WAITING";
        case QueueStatus::Active: return "ACTIVE";
        case QueueStatus::Expired: break;
    }
    return "EXPIRED";
}

std::int64_t estimate_wait_seconds(std::int64_t position, std::int64_t admitted_last_minute,
                                   std::int64_t capacity, std::int64_t active_seconds) {
    if (position <= 0) return 0;
    double per_second = admitted_last_minute > 0 ? static_cast<double>(admitted_last_minute) / 60.0
                        : active_seconds > 0     ? static_cast<double>(capacity) / static_cast<double>(active_seconds)
                                                 : 0.0;
    if (per_second <= 0.0) return 0;  // nothing will be admitted: no honest estimate
    return static_cast<std::int64_t>(std::ceil(static_cast<double>(position) / per_second));
}

std::int64_t poll_after_seconds(QueueStatus status, std::int64_t wait_seconds, std::int64_t idle_seconds) {
    std::int64_t poll = std::max<std::int64_t>(1, idle_seconds / 3);
    if (status == QueueStatus::Waiting) poll = std::min(poll, std::max<std::int64_t>(1, wait_seconds / 10));
    return poll;
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

std::string room_facts_json(const RoomFacts& f) {
    JsonPtr out = new_object();
    add_int(out.get(), "concertId", f.concert_id);
    cJSON_AddBoolToObject(out.get(), "open", f.open);
    add_text_or_null(out.get(), "opensAt", f.opens_at_ms > 0 ? iso_from_unix_ms(f.opens_at_ms) : "");
    cJSON_AddBoolToObject(out.get(), "paused", f.paused);
    add_int(out.get(), "capacity", f.capacity);
    add_int(out.get(), "waiting", f.waiting);
    add_int(out.get(), "active", f.active);
    add_int(out.get(), "admittedLastMinute", f.admitted_last_minute);
    add_text_or_null(out.get(), "seedCommitment", f.seed_commitment);
    add_text_or_null(out.get(), "seed", f.seed);
    if (f.pre_queue_tickets >= 0) {
        add_int(out.get(), "preQueueTickets", f.pre_queue_tickets);
    } else {
        cJSON_AddNullToObject(out.get(), "preQueueTickets");
    }
    return to_text(out.get());
}

}  // namespace concert
