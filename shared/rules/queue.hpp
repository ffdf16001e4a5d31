#pragma once
// The waiting queue's pure side: statuses, what a ticket's place looks like
// to a client, and the wait estimate. The queue itself lives in Redis
// (store/queue.hpp).

#include <cstdint>

#include "base/json.hpp"

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

// Adds queuePosition, estimatedWaitTime and status to a response object.
void add_place(cJSON* out, const QueueView& view);

}  // namespace concert
