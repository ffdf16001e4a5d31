#include "crowd/crowd.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <stdexcept>
#include <map>
#include <memory>
#include <optional>
#include <thread>
#include <unordered_map>

#include "base/config.hpp"
#include "base/text.hpp"
#include "crowd/fields.hpp"
#include "crowd/http.hpp"
#include "crowd/instrument.hpp"
#include "crowd/judge.hpp"
#include "crowd/stats.hpp"
#include "crowd/wheel.hpp"
#include "rules/queue.hpp"
#include "rules/token.hpp"
#include "store/redis.hpp"

extern char** environ;

namespace crowd {

namespace {

// ACTIVE steps.
enum Step : std::uint8_t { kLookDates, kLookSeats, kHoldSeat, kLeaveActive, kPayHold, kLeaveWaiting };

double unix_seconds() {
    timespec ts{};
    clock_gettime(CLOCK_REALTIME, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// A client's ACTIVE session: what it looked at and holds.
struct Session {
    std::string date;
    std::string reservation;
    std::uint8_t tries = 0;
};

class Crowd {
public:
    explicit Crowd(const Options& o);
    ~Crowd();
    int run();

private:
    // --- phases
    void issue_in_bulk();
    void schedule_early();
    void schedule_rest();
    void loop_until(std::uint32_t end_tick);
    void on_tick();
    void every_second();
    void write_summary(const Verdict& v);
    void write_claims() const;

    // --- a client's protocol
    void wake(std::uint32_t i);
    void on_answer(const Outgoing& out, const Answer& a);
    void on_place(std::uint32_t i, const Answer& a);
    void on_active_step(const Outgoing& out, const Answer& a);
    void claim(std::uint32_t i);
    void after(std::uint32_t i, double seconds);
    void set_phase(Client& c, Phase p);
    void send(std::uint32_t i, Route route, std::uint8_t step, const char* method, const std::string& path,
              const std::string& body, bool with_token, const std::string& extra_headers = "");
    std::string token_of(std::uint32_t i) const;

    // --- the room, seen from outside
    void ask_room_facts();
    void on_room_facts(const Answer& a);
    void apply_places();
    void double_capacity();

    double ms_now() const { return (now_seconds() - epoch_) * 1000.0; }

    Options o_;
    mutable std::int64_t room_epoch_ = 0;  // the room's numbering, for tokens (read once)
    double epoch_;           // monotonic seconds at the crowd's start
    double unix_epoch_;      // the same moment, Unix seconds
    double opens_;           // seconds after the epoch
    Client* clients_ = nullptr;
    std::size_t mapped_ = 0;
    Wheel wheel_;
    std::uint32_t tick_ = 0;
    int epoll_fd_ = -1;
    std::unique_ptr<HttpPool> http_;
    std::unique_ptr<RoomProbe> probe_;
    std::unique_ptr<CpuProbe> cpu_;
    FILE* jsonl_ = nullptr;

    std::vector<RoomSample> samples_;
    Second second_;
    std::array<std::map<int, std::uint64_t>, kRoutes> totals_;
    std::array<Histogram, kRoutes> route_latency_;
    std::vector<double> polls_;  // per second after the opening
    std::vector<std::string> unexpected_examples_;
    std::uint64_t unexpected_ = 0;
    std::array<std::uint64_t, 8> phases_{};
    std::unordered_map<std::uint32_t, Session> sessions_;
    std::uint64_t claims_ = 0, rejoin_claims_ = 0, lapses_seen_ = 0, paid_ = 0, held_ = 0;
    std::uint64_t route_issued_ = 0;
    std::int64_t memory_before_ = -1, memory_after_fill_ = -1, memory_end_ = -1;
    double fill_seconds_ = 0;

    // The room's published draw.
    bool facts_asked_ = false, facts_known_ = false, places_applied_ = false;
    std::string seed_;
    std::int64_t pre_queue_ = 0;
    double calls_from_ = 0;
    std::thread draw_thread_;
    std::atomic<bool> draw_done_{false};
    std::vector<std::uint32_t> draw_;

    double doubled_ = -1;
    pid_t operator_pid_ = -1;
    std::int64_t capacity_now_;
};

Crowd::Crowd(const Options& o) : o_(o), epoch_(now_seconds()), unix_epoch_(unix_seconds()), capacity_now_(o.capacity) {
    opens_ = static_cast<double>(o_.opens_ms) / 1000.0 - unix_epoch_;
    mapped_ = sizeof(Client) * o_.layout.count;
    // Shared, so the bulk issue's processes write the tickets in place.
    void* p = mmap(nullptr, mapped_, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::runtime_error("crowd: cannot map the clients");
    clients_ = static_cast<Client*>(p);
    for (std::uint32_t i = 0; i < o_.layout.count; ++i) clients_[i] = Client{};
    phases_[static_cast<int>(Phase::Unissued)] = o_.layout.count;
    jsonl_ = std::fopen(o_.jsonl.c_str(), "w");
    if (jsonl_ == nullptr) throw std::runtime_error("crowd: cannot write " + o_.jsonl);
    probe_ = std::make_unique<RoomProbe>(o_.concert_id);
}

Crowd::~Crowd() {
    if (draw_thread_.joinable()) draw_thread_.join();
    http_.reset();
    if (epoll_fd_ >= 0) close(epoll_fd_);
    if (jsonl_ != nullptr) std::fclose(jsonl_);
    if (clients_ != nullptr) munmap(clients_, mapped_);
}

void Crowd::set_phase(Client& c, Phase p) {
    --phases_[static_cast<int>(c.phase)];
    ++phases_[static_cast<int>(p)];
    c.phase = p;
}

// The token the route would have signed for this client's ticket: v3
// tokens name the user, the room, the ticket and the room's numbering
// (its epoch, read from Redis once, as the route's store code returns it).
std::string Crowd::token_of(std::uint32_t i) const {
    const Client& c = clients_[i];
    if (room_epoch_ == 0) {
        concert::Config config = concert::config_from_env();
        concert::Redis redis(config);
        concert::ReplyPtr r = redis.command({"GET", concert::room_state_prefix(o_.concert_id) + "epoch"});
        if (r->type == REDIS_REPLY_STRING) room_epoch_ = std::stoll(std::string(r->str, r->len));
    }
    return concert::sign_token({user_id(i), o_.concert_id, c.ticket, room_epoch_}, o_.token_secret);
}

void Crowd::send(std::uint32_t i, Route route, std::uint8_t step, const char* method, const std::string& path,
                 const std::string& body, bool with_token, const std::string& extra_headers) {
    std::string text;
    text.reserve(512 + body.size());
    text += method;
    text += ' ';
    text += path;
    text += " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    if (with_token) text += "Authorization: Bearer " + token_of(i) + "\r\n";
    text += extra_headers;
    if (!body.empty() || std::string(method) == "POST") {
        text += "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
    }
    text += "\r\n";
    text += body;
    http_->submit(Outgoing{std::move(text), i, route, step});
}

void Crowd::after(std::uint32_t i, double seconds) {
    Client& c = clients_[i];
    double due = now_seconds() - epoch_ + seconds;
    std::uint32_t tick = static_cast<std::uint32_t>(std::ceil(due * 10.0));
    if (tick <= tick_) tick = tick_ + 1;
    c.wake_tick = tick;
    wheel_.schedule(i, tick);
}

// --- the bulk issue, before the loop -------------------------------------------------------------
void Crowd::issue_in_bulk() {
    memory_before_ = probe_->used_memory();
    const Layout& l = o_.layout;
    double started = now_seconds();
    if (l.bulk > 0) bulk_issue(clients_, l.early, l.early + l.bulk, o_.concert_id, o_.procs, epoch_);
    fill_seconds_ = now_seconds() - started;
    memory_after_fill_ = probe_->used_memory();
    phases_[static_cast<int>(Phase::Unissued)] -= l.bulk;
    for (std::uint32_t i = l.early; i < l.early + l.bulk; ++i) {
        Client& c = clients_[i];
        ++phases_[static_cast<int>(c.phase)];
        if (kind_of(i, o_.shares) == Kind::NoShow) {
            set_phase(c, Phase::Absent);
            c.wake_tick = kNever;
        }
    }
    std::fprintf(stderr, "crowd: %u tickets issued in bulk in %.1f s\n", l.bulk, fill_seconds_);
}

// Route tickets before the opening go out first, at most 2,000 a second,
// before the bulk issue (so they are in the pre-queue however long the
// bulk issue takes).
void Crowd::schedule_early() {
    tick_ = static_cast<std::uint32_t>((now_seconds() - epoch_) * 10.0);
    double spread = std::max(1.0, static_cast<double>(o_.layout.early) / 2000.0);
    for (std::uint32_t i = 0; i < o_.layout.early; ++i) {
        clients_[i].wake_tick = tick_ + 1 + static_cast<std::uint32_t>(unit(i, 4) * spread * 10);
        wheel_.schedule(i, clients_[i].wake_tick);
    }
}

// After the bulk issue (which stopped the loop's clock): bulk clients wake
// when their issue's pollAfterSeconds said, later arrivals over the first
// half of the run; anyone whose time passed meanwhile wakes within a second
// from now. The ticks the bulk issue stood still for are not replayed.
void Crowd::schedule_rest() {
    std::uint32_t now = static_cast<std::uint32_t>((now_seconds() - epoch_) * 10.0);
    const Layout& l = o_.layout;
    for (std::uint32_t i = l.early + l.bulk; i < l.count; ++i) {
        clients_[i].wake_tick = static_cast<std::uint32_t>((opens_ + unit(i, 4) * o_.seconds / 2) * 10) + 1;
    }
    for (std::uint32_t i = 0; i < l.count; ++i) {
        Client& c = clients_[i];
        if (c.wake_tick == kNever || (c.phase != Phase::Waiting && c.phase != Phase::Unissued)) continue;
        if (i < l.early && c.wake_tick > now) continue;  // still in the wheel where it was put
        if (c.wake_tick <= now) c.wake_tick = now + 1 + static_cast<std::uint32_t>(unit(i, 5) * 10);
        wheel_.schedule(i, c.wake_tick);
    }
    tick_ = now;
}

// --- a client's protocol -------------------------------------------------------------------------
void Crowd::wake(std::uint32_t i) {
    Client& c = clients_[i];
    switch (c.phase) {
        case Phase::Unissued: {
            std::string body = "{\"userId\":\"" + user_id(i) + "\",\"userSecret\":\"" + user_secret(i) +
                               "\",\"concertId\":" + std::to_string(o_.concert_id) + "}";
            send(i, kToken, 0, "POST", "/api/v1/queue/token", body, false);
            return;
        }
        case Phase::Waiting:
            // A leaver leaves at its 1st, 2nd or 3rd poll after the opening.
            if (kind_of(i, o_.shares) == Kind::Leaver && now_seconds() - epoch_ > opens_ &&
                c.polls >= 1 + static_cast<int>(unit(i, 6) * 3)) {
                send(i, kLeave, kLeaveWaiting, "DELETE", "/api/v1/queue/token", "", true);
            } else {
                send(i, kStatus, 0, "GET", "/api/v1/queue/status", "", true);
            }
            return;
        case Phase::Active: {
            std::string cid = std::to_string(o_.concert_id);
            Session& s = sessions_[i];
            switch (c.step) {
                case kLookDates:
                    send(i, kDates, kLookDates, "GET", "/api/v1/concerts/" + cid + "/available-dates", "", true);
                    return;
                case kLookSeats:
                    send(i, kSeats, kLookSeats, "GET", "/api/v1/concerts/" + cid + "/available-seats?date=" + s.date, "", true);
                    return;
                case kLeaveActive:
                    send(i, kLeave, kLeaveActive, "DELETE", "/api/v1/queue/token", "", true);
                    return;
                case kPayHold:
                    send(i, kPay, kPayHold, "POST", "/api/v1/payments", "{\"reservationIds\":[\"" + s.reservation + "\"]}",
                         true, "Idempotency-Key: crowd-" + std::to_string(i) + "\r\n");
                    return;
                default:
                    return;  // kHoldSeat is sent straight from the seats' answer
            }
        }
        default:
            return;
    }
}

void Crowd::claim(std::uint32_t i) {
    Client& c = clients_[i];
    if (c.claim_ms == 0) c.claim_ms = static_cast<std::uint32_t>(std::max(1.0, std::ceil(ms_now())));
    c.flags |= kWasActive;
    if (c.flags & kLapsed) {
        c.flags |= kRejoined;
        ++rejoin_claims_;
        ++second_.rejoin_claims;
    }
    ++claims_;
    ++second_.claims;
    set_phase(c, Phase::Active);
    c.step = kLookDates;
    after(i, 0.5 + unit(i, 7));
}

// A token or status answer: the client's place and when to ask again.
void Crowd::on_place(std::uint32_t i, const Answer& a) {
    Client& c = clients_[i];
    std::string_view status = json_string(a.body, "status");
    std::int64_t poll = std::max<std::int64_t>(1, json_int(a.body, "pollAfterSeconds", 1));
    if (c.phase != Phase::Waiting && c.phase != Phase::Unissued) return;
    if (status == "ACTIVE") {
        if (c.phase == Phase::Unissued) set_phase(c, Phase::Waiting);
        claim(i);
        return;
    }
    if (status == "EXPIRED") {
        if (c.phase == Phase::Unissued) set_phase(c, Phase::Waiting);
        set_phase(c, Phase::Expired);
        return;
    }
    if (c.phase == Phase::Unissued) set_phase(c, Phase::Waiting);
    if (c.polls < 255) ++c.polls;
    // The server says so when a call lapsed and its holder came back
    // (missedTurn: next in line, called again). A WAITING answer after the
    // instrument saw the place called is not enough: a waiting poll is
    // answered from the process's copy of the room, up to a second old.
    if (!(c.flags & kLapsed) && json_bool(a.body, "missedTurn")) {
        c.flags |= kLapsed;
        ++lapses_seen_;
        ++second_.lapses_seen;
    }
    bool no_show = kind_of(i, o_.shares) == Kind::NoShow;
    if (no_show && now_seconds() - epoch_ < opens_) {
        // A route no-show takes its ticket and never comes back.
        set_phase(c, Phase::Absent);
        c.wake_tick = kNever;
        return;
    }
    if (no_show) {
        set_phase(c, Phase::Absent);
        c.wake_tick = kNever;
        return;
    }
    double factor = kind_of(i, o_.shares) == Kind::Late ? 2.5 : 1.0;
    after(i, static_cast<double>(poll) * factor);
}

void Crowd::on_active_step(const Outgoing& out, const Answer& a) {
    std::uint32_t i = out.client;
    Client& c = clients_[i];
    Session& s = sessions_[i];
    Action action = action_of(i, o_.layout, o_.shares);
    switch (out.step) {
        case kLookDates: {
            std::vector<std::string> dates = json_strings(a.body, "availableDates");
            if (action == Action::Idle || dates.empty()) {
                // Goes idle: never sends again; its slot ends after idle_seconds.
                sessions_.erase(i);
                set_phase(c, Phase::Done);
                return;
            }
            s.date = dates[static_cast<std::size_t>(unit(i, 8) * static_cast<double>(std::min<std::size_t>(dates.size(), 20)))];
            c.step = kLookSeats;
            after(i, 0.5 + unit(i, 9));
            return;
        }
        case kLookSeats: {
            std::vector<std::int64_t> seats = json_ints(a.body, "seatNumber");
            if (action != Action::Buy || seats.empty()) {
                c.step = kLeaveActive;
                after(i, 0.5 + unit(i, 10));
                return;
            }
            std::int64_t seat = seats[static_cast<std::size_t>(unit(i, 11 + s.tries) * static_cast<double>(seats.size()))];
            send(i, kHold, kHoldSeat, "POST", "/api/v1/reservations",
                 "{\"concertId\":" + std::to_string(o_.concert_id) + ",\"date\":\"" + s.date + "\",\"seatNumber\":" +
                     std::to_string(seat) + "}",
                 true);
            return;
        }
        case kHoldSeat:
            if (a.status == 201) {
                ++held_;
                s.reservation = std::string(json_string(a.body, "reservationId"));
                c.step = kPayHold;
                after(i, 0.5 + unit(i, 12));
            } else {
                c.step = ++s.tries < 3 ? kLookSeats : kLeaveActive;  // the seat went to someone else
                after(i, 0.5);
            }
            return;
        case kPayHold:
            ++paid_;
            [[fallthrough]];
        case kLeaveActive:
            sessions_.erase(i);
            set_phase(c, Phase::Done);
            return;
        default:
            return;
    }
}

void Crowd::on_answer(const Outgoing& out, const Answer& a) {
    Route route = static_cast<Route>(out.route);
    ++second_.statuses[route][a.status];
    ++totals_[route][a.status];
    second_.latency.add(a.seconds);
    route_latency_[route].add(a.seconds);
    bool expected = expected_status(route, a.status);
    if (!expected) {
        ++unexpected_;
        if (unexpected_examples_.size() < 8) {
            unexpected_examples_.push_back(std::string(route_name(route)) + " " + std::to_string(a.status) + " " +
                                           std::string(a.body.substr(0, 160)));
        }
    }
    if (route == kRoom) {
        on_room_facts(a);
        return;
    }
    std::uint32_t i = out.client;
    Client& c = clients_[i];
    if (a.status == 0 || (!expected && a.status >= 500)) {
        after(i, 1.0);  // the service or the socket failed (already a FAIL): the client tries again
        return;
    }
    switch (route) {
        case kToken:
            if (a.status == 200) {
                std::string token(json_string(a.body, "token"));
                std::size_t dot1 = token.find('.'), dot2 = token.find('.', dot1 + 1);
                std::optional<std::string> payload = concert::base64url_decode(token.substr(dot1 + 1, dot2 - dot1 - 1));
                if (payload) {
                    c.ticket = static_cast<std::uint32_t>(json_int(*payload, "tkt", 0));
                    ++route_issued_;
                }
                on_place(i, a);
            }
            return;
        case kStatus:
            if (a.status == 200) on_place(i, a);
            return;
        case kLeave:
            if (out.step == kLeaveWaiting) {
                set_phase(c, Phase::Left);
            } else {
                sessions_.erase(i);
                set_phase(c, Phase::Done);
            }
            return;
        default:
            if (!expected) {  // an ACTIVE route refused: the session is over
                sessions_.erase(i);
                set_phase(c, Phase::Done);
                return;
            }
            on_active_step(out, a);
            return;
    }
}

// --- the room, seen from outside -----------------------------------------------------------------
void Crowd::ask_room_facts() {
    facts_asked_ = true;
    send(0, kRoom, 0, "GET", "/api/v1/concerts/" + std::to_string(o_.concert_id) + "/room", "", false);
}

void Crowd::on_room_facts(const Answer& a) {
    std::string seed(json_string(a.body, "seed"));
    std::int64_t n = json_int(a.body, "preQueueTickets", -1);
    if (a.status != 200 || seed.empty() || n < 0) {
        facts_asked_ = false;  // not published yet: ask again next second
        return;
    }
    seed_ = seed;
    pre_queue_ = n;
    std::string from(json_string(a.body, "callsFrom"));
    calls_from_ = opens_;
    if (!from.empty()) {
        std::tm tm{};
        int ms = 0;
        if (std::sscanf(from.c_str(), "%d-%d-%dT%d:%d:%d.%dZ", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                        &tm.tm_min, &tm.tm_sec, &ms) >= 6) {
            tm.tm_year -= 1900;
            tm.tm_mon -= 1;
            calls_from_ = static_cast<double>(timegm(&tm)) + ms / 1000.0 - unix_epoch_;
        }
    }
    facts_known_ = true;
    std::fprintf(stderr, "crowd: the room published its seed; %lld pre-queue tickets; calls from %+.1f s\n",
                 static_cast<long long>(n), calls_from_ - opens_);
    // The draw, recomputed apart from the loop (a second or two for a million).
    draw_thread_ = std::thread([this] {
        draw_ = draw_places(seed_, static_cast<std::uint32_t>(pre_queue_));
        draw_done_ = true;
    });
}

void Crowd::apply_places() {
    draw_thread_.join();
    for (std::uint32_t i = 0; i < o_.layout.count; ++i) {
        Client& c = clients_[i];
        if (c.ticket == 0) continue;
        c.place = c.ticket <= pre_queue_ ? draw_[c.ticket] : c.ticket;
    }
    places_applied_ = true;
    std::vector<std::uint32_t>().swap(draw_);
}

// The operator doubles the room's capacity, with the operator's command,
// without waiting for it: the loop goes on.
void Crowd::double_capacity() {
    std::string cap = std::to_string(2 * o_.capacity), cid = std::to_string(o_.concert_id);
    const char* argv[] = {o_.concertctl.c_str(), "settings", "set", "queue.capacity", cap.c_str(), "--concert", cid.c_str(), nullptr};
    doubled_ = now_seconds() - epoch_;  // from the moment it is asked, 2× is allowed
    capacity_now_ = 2 * o_.capacity;
    posix_spawn_file_actions_t quiet;  // its JSON answer is not the crowd's output
    posix_spawn_file_actions_init(&quiet);
    posix_spawn_file_actions_addopen(&quiet, 1, "/dev/null", O_WRONLY, 0);
    int rc = posix_spawn(&operator_pid_, argv[0], &quiet, nullptr, const_cast<char**>(argv), environ);
    posix_spawn_file_actions_destroy(&quiet);
    if (rc != 0) throw std::runtime_error("crowd: cannot run " + o_.concertctl);
    std::fprintf(stderr, "crowd: the operator doubles the capacity to %s at %+.1f s\n", cap.c_str(), doubled_ - opens_);
}

// --- the loop ------------------------------------------------------------------------------------
void Crowd::on_tick() {
    ++tick_;
    std::vector<std::uint32_t> due = wheel_.take(tick_);
    for (std::uint32_t i : due) {
        Client& c = clients_[i];
        if (c.wake_tick == tick_) {
            c.wake_tick = kNever;
            wake(i);
        } else if (c.wake_tick != kNever && c.wake_tick > tick_ && c.wake_tick % wheel_.span() == tick_ % wheel_.span()) {
            wheel_.schedule(i, c.wake_tick);
        }
    }
    RoomSample s = probe_->sample();
    s.sent -= epoch_;
    samples_.push_back(s);
    double t = now_seconds() - epoch_;
    if (t >= opens_ + 0.5 && !facts_asked_ && !facts_known_) ask_room_facts();
    if (draw_done_ && !places_applied_) apply_places();
    if (o_.double_after >= 0 && doubled_ < 0 && t >= opens_ + o_.double_after) double_capacity();
    if (operator_pid_ > 0) {
        int status = 0;
        if (waitpid(operator_pid_, &status, WNOHANG) == operator_pid_) {
            operator_pid_ = -1;
            if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) throw std::runtime_error("crowd: concertctl settings set failed");
        }
    }
    if (tick_ % 10 == 0) every_second();
}

void Crowd::every_second() {
    double now = now_seconds();
    double t = now - epoch_ - opens_;
    std::map<std::string, double> cpu = cpu_->sample(now);
    std::uint64_t total = 0;
    for (const auto& m : second_.statuses) {
        for (const auto& [status, n] : m) total += n;
    }
    std::uint64_t polls = 0;
    for (const auto& [status, n] : second_.statuses[kStatus]) polls += n;
    if (t >= 0) polls_.push_back(static_cast<double>(polls));
    const RoomSample& s = samples_.back();
    std::string cpu_json = "{";
    for (const auto& [part, share] : cpu) {
        char item[96];
        std::snprintf(item, sizeof item, "%s\"%s\":%.3f", cpu_json.size() > 1 ? "," : "", part.c_str(), share);
        cpu_json += item;
    }
    cpu_json += "}";
    std::fprintf(jsonl_,
                 "{\"kind\":\"second\",\"t\":%.1f,\"unix\":%.1f,\"requests\":%s,\"rps\":%llu,\"polls\":%llu,"
                 "\"p50_ms\":%.2f,\"p99_ms\":%.2f,\"cpu\":%s,\"called\":%lld,\"calls\":%lld,\"claims\":%lld,"
                 "\"lapses\":%lld,\"rejoins\":%lld,\"slots\":%lld,\"capacity\":%lld,\"claims_seen\":%llu,"
                 "\"rejoin_claims_seen\":%llu,\"lapses_seen\":%llu,\"waiting\":%llu,\"active\":%llu,\"queued\":%zu,"
                 "\"in_flight\":%zu}\n",
                 t, unix_epoch_ + now - epoch_, statuses_json(second_.statuses).c_str(),
                 static_cast<unsigned long long>(total), static_cast<unsigned long long>(polls),
                 second_.latency.quantile(0.5) * 1000, second_.latency.quantile(0.99) * 1000, cpu_json.c_str(),
                 static_cast<long long>(s.called), static_cast<long long>(s.calls), static_cast<long long>(s.claims),
                 static_cast<long long>(s.lapses), static_cast<long long>(s.rejoins), static_cast<long long>(s.slots),
                 static_cast<long long>(capacity_now_), static_cast<unsigned long long>(second_.claims),
                 static_cast<unsigned long long>(second_.rejoin_claims), static_cast<unsigned long long>(second_.lapses_seen),
                 static_cast<unsigned long long>(phases_[static_cast<int>(Phase::Waiting)]),
                 static_cast<unsigned long long>(phases_[static_cast<int>(Phase::Active)]), http_->waiting(),
                 http_->in_flight());
    std::fflush(jsonl_);
    if (static_cast<long>(t) % 30 == 0) {
        std::fprintf(stderr, "crowd: %+.0f s: %llu req/s (%llu polls), called %lld, slots %lld/%lld, waiting %llu, active %llu\n",
                     t, static_cast<unsigned long long>(total), static_cast<unsigned long long>(polls),
                     static_cast<long long>(s.called), static_cast<long long>(s.slots), static_cast<long long>(capacity_now_),
                     static_cast<unsigned long long>(phases_[static_cast<int>(Phase::Waiting)]),
                     static_cast<unsigned long long>(phases_[static_cast<int>(Phase::Active)]));
    }
    second_.clear();
}

void Crowd::loop_until(std::uint32_t end_tick) {
    epoll_event events[512];
    while (tick_ < end_tick) {
        double next = epoch_ + (tick_ + 1) * 0.1;
        int timeout = static_cast<int>(std::max(0.0, (next - now_seconds()) * 1000.0));
        int n = epoll_wait(epoll_fd_, events, 512, timeout);
        for (int k = 0; k < n; ++k) http_->on_event(static_cast<std::uint32_t>(events[k].data.u64), events[k].events);
        if (now_seconds() >= next) on_tick();
    }
}

int Crowd::run() {
    epoll_fd_ = epoll_create1(EPOLL_CLOEXEC);
    http_ = std::make_unique<HttpPool>(o_.host, o_.port, o_.connections, epoll_fd_,
                                       [this](const Outgoing& out, const Answer& a) { on_answer(out, a); });
    cpu_ = std::make_unique<CpuProbe>(o_.stack_roots, o_.pools);
    schedule_early();
    double deadline = now_seconds() + 10 + static_cast<double>(o_.layout.early) / 1000.0;
    while (route_issued_ < o_.layout.early && now_seconds() < deadline) loop_until(tick_ + 1);
    issue_in_bulk();
    if (now_seconds() - epoch_ > opens_) {
        std::fprintf(stderr, "crowd: the bulk issue ended %.1f s after the opening: tickets issued after it are not in the pre-queue\n",
                     now_seconds() - epoch_ - opens_);
    }
    schedule_rest();
    loop_until(static_cast<std::uint32_t>((opens_ + o_.seconds) * 10));
    memory_end_ = probe_->used_memory();
    if (facts_known_ && !places_applied_) apply_places();

    JudgeInput in;
    in.clients = clients_;
    in.layout = o_.layout;
    in.shares = o_.shares;
    in.samples = samples_;
    in.end = now_seconds() - epoch_;
    in.opens = opens_;
    in.calls_from = facts_known_ ? calls_from_ : opens_;
    in.doubled = doubled_;
    in.capacity = o_.capacity;
    in.claim_seconds = o_.claim_seconds;
    in.places_known = places_applied_;
    in.polls = polls_;
    in.status_capacity = o_.status_capacity;
    in.after_factor = o_.after_factor;
    in.opening_window = o_.opening_window;
    in.unexpected = unexpected_;
    in.redis_bytes = memory_after_fill_ >= 0 && memory_before_ >= 0 ? memory_after_fill_ - memory_before_ : -1;
    in.redis_limit_per_ticket = o_.redis_limit_per_ticket;
    Verdict v = judge(in);
    write_summary(v);
    if (!o_.claims_file.empty()) write_claims();
    for (const Check& c : v.checks) {
        std::fprintf(stderr, "crowd: %s %s: %s (limit %s)\n", c.pass ? "PASS" : "FAIL", c.name.c_str(), c.measured.c_str(),
                     c.limit.c_str());
    }
    for (const std::string& e : unexpected_examples_) std::fprintf(stderr, "crowd: unexpected: %s\n", e.c_str());
    return v.passed() ? 0 : 1;
}

std::string quoted(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
        if (c == '"' || c == '\\') out += '\\';
        if (static_cast<unsigned char>(c) < 0x20) continue;
        out += c;
    }
    return out + "\"";
}

void Crowd::write_summary(const Verdict& v) {
    const RoomSample last = samples_.empty() ? RoomSample{} : samples_.back();
    std::string checks = "[";
    for (const Check& c : v.checks) {
        checks += (checks.size() > 1 ? "," : "") + std::string("{\"name\":") + quoted(c.name) + ",\"measured\":" +
                  quoted(c.measured) + ",\"limit\":" + quoted(c.limit) + ",\"verdict\":\"" + (c.pass ? "PASS" : "FAIL") +
                  "\",\"rule\":" + (c.rule ? "true" : "false") + "}";
    }
    checks += "]";
    std::string routes = "{";
    for (std::size_t r = 0; r < kRoutes; ++r) {
        if (route_latency_[r].count() == 0) continue;
        char item[160];
        std::snprintf(item, sizeof item, "%s\"%s\":{\"requests\":%llu,\"p50_ms\":%.2f,\"p99_ms\":%.2f}",
                      routes.size() > 1 ? "," : "", route_name(static_cast<Route>(r)),
                      static_cast<unsigned long long>(route_latency_[r].count()), route_latency_[r].quantile(0.5) * 1000,
                      route_latency_[r].quantile(0.99) * 1000);
        routes += item;
    }
    routes += "}";
    std::string examples = "[";
    for (const std::string& e : unexpected_examples_) examples += (examples.size() > 1 ? "," : "") + quoted(e);
    examples += "]";
    const Layout& l = o_.layout;
    std::fprintf(jsonl_,
                 "{\"kind\":\"summary\",\"clients\":%u,\"pre_queue\":%lld,\"route_issued\":%llu,\"bulk_issued\":%u,"
                 "\"early_route\":%u,\"late_route\":%u,\"fill_seconds\":%.1f,\"v3_room\":%s,"
                 "\"called\":%lld,\"calls\":%lld,\"claims\":%lld,\"lapses\":%lld,\"rejoins\":%lld,"
                 "\"claims_seen\":%llu,\"rejoin_claims_seen\":%llu,\"lapses_seen\":%llu,\"held\":%llu,\"paid\":%llu,"
                 "\"judged_through\":%lld,\"followers_judged\":%llu,\"lost\":%llu,\"order_violations\":%llu,"
                 "\"follower_lapses\":%llu,\"unexpected\":%llu,\"lateness_count\":%llu,\"lateness_p50\":%.3f,"
                 "\"lateness_p99\":%.3f,\"lateness_max\":%.3f,\"noshow_cost_max\":%.2f,\"noshow_cost_p99\":%.2f,"
                 "\"opening_peak_polls\":%.0f,\"after_peak_polls\":%.0f,\"status_capacity\":%.0f,"
                 "\"redis_before\":%lld,\"redis_after_fill\":%lld,\"redis_end\":%lld,\"capacity\":%lld,"
                 "\"doubled_at\":%.1f,\"calls_from\":%.1f,\"seconds\":%.0f,\"routes\":%s,\"unexpected_examples\":%s,"
                 "\"checks\":%s,\"verdict\":\"%s\"}\n",
                 l.count, static_cast<long long>(pre_queue_), static_cast<unsigned long long>(route_issued_), l.bulk, l.early,
                 l.late(), fill_seconds_, last.v3 ? "true" : "false", static_cast<long long>(last.called),
                 static_cast<long long>(last.calls), static_cast<long long>(last.claims), static_cast<long long>(last.lapses),
                 static_cast<long long>(last.rejoins), static_cast<unsigned long long>(claims_),
                 static_cast<unsigned long long>(rejoin_claims_), static_cast<unsigned long long>(lapses_seen_),
                 static_cast<unsigned long long>(held_), static_cast<unsigned long long>(paid_),
                 static_cast<long long>(v.judged_through), static_cast<unsigned long long>(v.followers_judged),
                 static_cast<unsigned long long>(v.lost), static_cast<unsigned long long>(v.order_violations),
                 static_cast<unsigned long long>(v.follower_lapses), static_cast<unsigned long long>(unexpected_),
                 static_cast<unsigned long long>(v.lateness_count), v.lateness_p50, v.lateness_p99, v.lateness_max,
                 v.noshow_cost_max, v.noshow_cost_p99, v.opening_peak_polls, v.after_peak_polls, o_.status_capacity,
                 static_cast<long long>(memory_before_), static_cast<long long>(memory_after_fill_),
                 static_cast<long long>(memory_end_), static_cast<long long>(o_.capacity),
                 doubled_ < 0 ? -1.0 : doubled_ - opens_, calls_from_ - opens_, o_.seconds, routes.c_str(), examples.c_str(),
                 checks.c_str(), v.passed() ? "PASS" : "FAIL");
    std::fflush(jsonl_);
}

// Every client that claimed, for a look by hand: index, ticket, place,
// claim (ms after the opening), flags (1 lapsed, 2 rejoined), kind.
void Crowd::write_claims() const {
    FILE* out = std::fopen(o_.claims_file.c_str(), "w");
    if (out == nullptr) return;
    std::fprintf(out, "index\tticket\tplace\tclaim_ms\tflags\tkind\n");
    for (std::uint32_t i = 0; i < o_.layout.count; ++i) {
        const Client& c = clients_[i];
        if (c.claim_ms == 0) continue;
        std::fprintf(out, "%u\t%u\t%u\t%.0f\t%u\t%u\n", i, c.ticket, c.place, c.claim_ms - opens_ * 1000, c.flags & 3u,
                     static_cast<unsigned>(kind_of(i, o_.shares)));
    }
    std::fclose(out);
}

}  // namespace

int run_crowd(const Options& options) {
    Crowd crowd(options);
    return crowd.run();
}

}  // namespace crowd
