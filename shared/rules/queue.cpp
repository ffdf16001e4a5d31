#include "rules/queue.hpp"

#include <algorithm>
#include <cmath>

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

std::string room_prefix(std::int64_t concert_id) { return "{q:" + std::to_string(concert_id) + "}:"; }

void add_place(cJSON* out, const QueueView& view) {
    add_int(out, "concertId", view.concert_id);
    add_int(out, "queuePosition", view.position);
    add_int(out, "estimatedWaitTime", view.wait_seconds);
    add_int(out, "pollAfterSeconds", view.poll_after_seconds);
    add_string(out, "status", status_name(view.status));
    cJSON_AddNullToObject(out, "opensAt");  // no opening is ever pending yet
}

}  // namespace concert
