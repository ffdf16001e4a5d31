#pragma once
// Counters every worker of every pool keeps for GET /metrics, in shared
// memory: the pool's master maps DIR/<pool>.metrics (one slot per worker,
// kept when a worker is replaced, so counts never go back while the pool
// lives) and each worker adds to its own slot only — one writer per slot,
// no locks, no atomic read-modify-write on the request path. The metrics
// pool reads every file of DIR and sums the slots. With no DIR configured
// (tools, tests, CONCERT_METRICS_DIR unset) the counts go to a private slot
// that nobody reads.

#include <cstdint>
#include <string>
#include <vector>

namespace concert::metrics {

// Statuses counted one by one; any other counts as "other".
inline constexpr int kStatuses[] = {200, 201, 204, 400, 401, 402, 403, 404, 405, 409, 413, 415, 429, 500, 502, 503, 504};
inline constexpr std::size_t kStatusCount = sizeof kStatuses / sizeof kStatuses[0];
// Upper bounds of the latency histogram's buckets, in microseconds (+Inf after them).
inline constexpr std::int64_t kBucketMicros[] = {500,    1000,   2500,   5000,    10000,   25000,  50000,
                                                 100000, 250000, 500000, 1000000, 2500000, 5000000};
inline constexpr std::size_t kBucketCount = sizeof kBucketMicros / sizeof kBucketMicros[0];

// One worker's counts. Only plain 64-bit words, so the layout is the file's.
struct Slot {
    std::uint64_t pid;                            // the worker that writes it now (0: none yet)
    std::uint64_t requests[kStatusCount + 1];     // by kStatuses, then "other"
    std::uint64_t buckets[kBucketCount + 1];      // by kBucketMicros, then +Inf (not cumulative)
    std::uint64_t duration_micros;                // sum over all requests
    std::uint64_t retries;                        // optimistic writes tried again
    std::uint64_t db_errors;                      // MariaDB unreachable, failing, or lost mid-request
    std::uint64_t redis_errors;                   // the same for Redis
    std::uint64_t holds;                          // holds made
    std::uint64_t cancels;                        // holds given back
    std::uint64_t payments;                       // payments committed
    std::uint64_t seats_sold;                     // their seats
    std::uint64_t paid_amount;                    // their sum
    std::uint64_t charges;                        // charges committed
    std::uint64_t charged_amount;                 // their sum
    std::uint64_t commit_conflicts;               // write conflicts at COMMIT (Galera's certification failures)
};

// In a pool's master, before its workers start: a fresh DIR/NAME.metrics
// with 'slots' zeroed slots (an older file of the pool is replaced: a new
// pool counts from zero). Does nothing when 'dir' is empty; a file that
// cannot be made is logged and the pool serves without metrics.
void open_pool(const std::string& dir, const std::string& name, int slots);

// In a worker: count into slot 'index' from now on.
void use_slot(int index);

// One request answered with 'status' after 'micros'.
void request_done(int status, std::int64_t micros);
void retry();
void commit_conflict();
void db_error();
void redis_error();
void hold_made();
void hold_cancelled();
void payment(std::int64_t seats, std::int64_t amount);
void charge(std::int64_t amount);

// One pool as the metrics pool reads it: its slots summed.
struct Pool {
    std::string name;
    Slot total{};
    int workers = 0;        // slots
    int workers_alive = 0;  // slots whose worker process exists
};

// Every pool file in 'dir', by name; files that are not a pool's are skipped.
std::vector<Pool> read_pools(const std::string& dir);

}  // namespace concert::metrics
