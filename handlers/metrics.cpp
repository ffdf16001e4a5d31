// GET /metrics (internal listener only, never the public site) -> 200 the
// Prometheus text format
//
// What every worker of every pool on this host counted (the shared-memory
// slots of base/metrics.hpp under CONCERT_METRICS_DIR): requests by handler
// and status, a latency histogram per handler, optimistic retries, database
// and Redis errors, workers alive, and the business counters (holds, payments,
// seats sold, money paid, charges); plus figures read now, each bounded:
// every room of the newest 500 concerts that has issued a ticket (one
// Redis step each: waiting, active, admitted, admitted in the last minute,
// paused, capacity) and the live holds (one range of an index). A store that
// is down is reported as concert_metrics_source_up 0, not as a failed scrape.

#include <cstdint>
#include <string>
#include <vector>

#include "base/metrics.hpp"
#include "base/prometheus.hpp"
#include "rules/sql_rules.hpp"
#include "runtime/serve.hpp"
#include "store/queue.hpp"

namespace {

namespace m = concert::metrics;

constexpr const char* kNewestConcerts = "SELECT id FROM concerts ORDER BY id DESC LIMIT 500";
// reservations_status_expiry: only the live holds' part of the index is read.
const std::string kLiveHolds = std::string("SELECT COUNT(*) FROM reservations r WHERE ") + concert::kReservationIsLive;

std::string le(std::int64_t micros) {
    std::string s = std::to_string(micros / 1000000) + "." + std::to_string(1000000 + micros % 1000000).substr(1);
    while (s.back() == '0') s.pop_back();
    if (s.back() == '.') s.pop_back();
    return s;
}

void pools(concert::Exposition& out, const std::vector<m::Pool>& pools) {
    out.family("concert_http_requests_total", "counter", "Requests a handler pool answered, by handler and status.");
    for (const m::Pool& p : pools) {
        for (std::size_t s = 0; s <= m::kStatusCount; ++s) {
            if (p.total.requests[s] == 0) continue;
            std::string status = s < m::kStatusCount ? std::to_string(m::kStatuses[s]) : "other";
            out.sample("concert_http_requests_total", {{"handler", p.name}, {"status", status}}, p.total.requests[s]);
        }
    }
    out.family("concert_http_request_duration_seconds", "histogram",
               "Time from a request's arrival at a worker to its answer written, by handler.");
    for (const m::Pool& p : pools) {
        std::uint64_t cumulative = 0;
        for (std::size_t b = 0; b <= m::kBucketCount; ++b) {
            cumulative += p.total.buckets[b];
            out.sample("concert_http_request_duration_seconds_bucket",
                       {{"handler", p.name}, {"le", b < m::kBucketCount ? le(m::kBucketMicros[b]) : "+Inf"}}, cumulative);
        }
        out.sample("concert_http_request_duration_seconds_sum", {{"handler", p.name}},
                   static_cast<double>(p.total.duration_micros) / 1e6);
        out.sample("concert_http_request_duration_seconds_count", {{"handler", p.name}}, cumulative);
    }
    struct PerPool {
        const char* name;
        const char* help;
        std::uint64_t m::Slot::*field;
    };
    for (const PerPool& f : {PerPool{"concert_optimistic_retries_total", "Optimistic writes tried again after losing a race.", &m::Slot::retries},
                             PerPool{"concert_commit_conflicts_total", "Write conflicts reported at COMMIT (Galera's certification failures), each retried.", &m::Slot::commit_conflicts},
                             PerPool{"concert_db_errors_total", "Times MariaDB was unreachable, failing or lost mid-request.", &m::Slot::db_errors},
                             PerPool{"concert_redis_errors_total", "Times Redis was unreachable, failing or lost mid-request.", &m::Slot::redis_errors}}) {
        out.family(f.name, "counter", f.help);
        for (const m::Pool& p : pools) out.sample(f.name, {{"handler", p.name}}, p.total.*f.field);
    }
    out.family("concert_pool_workers", "gauge", "Worker processes a handler pool runs.");
    for (const m::Pool& p : pools) out.sample("concert_pool_workers", {{"handler", p.name}}, static_cast<std::uint64_t>(p.workers));
    out.family("concert_pool_workers_alive", "gauge", "Worker processes of a handler pool that exist now (0: the pool is down).");
    for (const m::Pool& p : pools) {
        out.sample("concert_pool_workers_alive", {{"handler", p.name}}, static_cast<std::uint64_t>(p.workers_alive));
    }
    m::Slot sum{};
    for (const m::Pool& p : pools) {
        sum.holds += p.total.holds;
        sum.cancels += p.total.cancels;
        sum.payments += p.total.payments;
        sum.seats_sold += p.total.seats_sold;
        sum.paid_amount += p.total.paid_amount;
        sum.charges += p.total.charges;
        sum.charged_amount += p.total.charged_amount;
    }
    for (const PerPool& f : {PerPool{"concert_holds_total", "Seat holds made.", &m::Slot::holds},
                             PerPool{"concert_holds_given_back_total", "Live holds given back (cancelled).", &m::Slot::cancels},
                             PerPool{"concert_payments_total", "Payments (orders) committed.", &m::Slot::payments},
                             PerPool{"concert_seats_sold_total", "Seats sold by those payments.", &m::Slot::seats_sold},
                             PerPool{"concert_paid_krw_total", "Money paid, KRW.", &m::Slot::paid_amount},
                             PerPool{"concert_charges_total", "Balance charges committed.", &m::Slot::charges},
                             PerPool{"concert_charged_krw_total", "Money charged to balances, KRW.", &m::Slot::charged_amount}}) {
        out.family(f.name, "counter", f.help);
        out.sample(f.name, {}, sum.*f.field);
    }
}

// The rooms and the live holds, read now; false when the store failed.
bool business(concert::Exposition& out, concert::Deps& deps, bool& redis_up) {
    std::vector<std::int64_t> concerts;
    std::uint64_t live_holds = 0;
    try {
        deps.db.run(kNewestConcerts, [&](sql::PreparedStatement& st) {
            concert::ResultPtr rs(st.executeQuery());
            while (rs->next()) concerts.push_back(static_cast<std::int64_t>(rs->getUInt64(1)));
            return 0;
        });
        deps.db.run(kLiveHolds, [&](sql::PreparedStatement& st) {
            concert::ResultPtr rs(st.executeQuery());
            if (rs->next()) live_holds = rs->getUInt64(1);
            return 0;
        });
    } catch (const concert::Unavailable&) {
        return false;
    }
    out.family("concert_live_holds", "gauge", "Seat holds running now (unpaid, not expired, not given back).");
    out.sample("concert_live_holds", {}, live_holds);

    std::vector<concert::RoomView> rooms;
    try {
        for (std::int64_t id : concerts) {
            concert::RoomView v = concert::queue_room(deps.redis, id);
            if (v.seq > 0 || v.opens_ms > 0) rooms.push_back(v);
        }
    } catch (const concert::Unavailable&) {
        redis_up = false;
        return true;
    }
    using V = const concert::RoomView&;
    struct PerRoom {
        const char* name;
        const char* type;
        const char* help;
        std::int64_t (*value)(V);
    };
    for (const PerRoom& f : {
             PerRoom{"concert_room_waiting", "gauge", "Tickets waiting in a concert's room (not called yet, rejoiners included).", [](V v) { return v.waiting(); }},
             PerRoom{"concert_room_active", "gauge", "Slots in use in a concert's room: ACTIVE tickets and calls not claimed yet.", [](V v) { return v.slots_in_use(); }},
             PerRoom{"concert_room_capacity", "gauge", "queue.capacity of a concert's room.", [](V v) { return v.capacity; }},
             PerRoom{"concert_room_called_through", "gauge", "Places called so far in a concert's room (calledThrough).", [](V v) { return v.called; }},
             PerRoom{"concert_room_calls_total", "counter", "Calls made in a concert's room (rejoiners' second calls included).", [](V v) { return v.calls; }},
             PerRoom{"concert_room_admitted_total", "counter", "Calls claimed in a concert's room: tickets that became ACTIVE.", [](V v) { return v.claims; }},
             PerRoom{"concert_room_lapses_total", "counter", "Calls not claimed within queue.claim_seconds in a concert's room.", [](V v) { return v.lapses; }},
             PerRoom{"concert_room_rejoins_total", "counter", "Holders who came back after their call lapsed, within queue.rejoin_seconds.", [](V v) { return v.rejoins; }},
             PerRoom{"concert_room_issued_total", "counter", "Tickets ever issued in a concert's room.", [](V v) { return v.seq; }},
             PerRoom{"concert_room_admitted_last_minute", "gauge", "Calls claimed in a concert's room in the last 60 s.", [](V v) { return v.admitted_minute; }},
             PerRoom{"concert_room_lapsed_last_minute", "gauge", "Calls that lapsed in a concert's room in the last 60 s.", [](V v) { return v.lapsed_minute; }},
             PerRoom{"concert_room_paused", "gauge", "1 while calling in a concert's room is paused (queue.paused).", [](V v) { return std::int64_t{v.paused ? 1 : 0}; }}}) {
        out.family(f.name, f.type, f.help);
        for (const concert::RoomView& v : rooms) {
            out.sample(f.name, {{"concert", std::to_string(v.concert_id)}}, static_cast<std::uint64_t>(std::max<std::int64_t>(0, f.value(v))));
        }
    }
    return true;
}

concert::Response handle(const concert::Request&, concert::Deps& deps) {
    concert::Exposition out;
    pools(out, m::read_pools(deps.config.metrics_dir));
    bool redis_up = true;
    bool db_up = business(out, deps, redis_up);
    out.family("concert_metrics_source_up", "gauge",
               "1 when this scrape could read the store (db: live holds and the list of rooms; redis: the "
               "rooms, asked only when the database answered).");
    out.sample("concert_metrics_source_up", {{"source", "db"}}, std::uint64_t{db_up ? 1u : 0u});
    if (db_up) out.sample("concert_metrics_source_up", {{"source", "redis"}}, std::uint64_t{redis_up ? 1u : 0u});
    concert::Response response = concert::json_response(200, out.text());
    response.content_type = concert::kExpositionContentType;
    return response;
}

}  // namespace

int main() { return concert::serve("metrics", handle); }
