#include "store/queue.hpp"

#include <algorithm>
#include <chrono>
#include <map>
#include <memory>
#include <random>
#include <stdexcept>
#include <unordered_set>

#include "rules/draw.hpp"
#include "store/settings.hpp"

namespace concert {

namespace {

// The room scripts: shared/store/lua/room.lua followed by each one's own
// file, built in as text (build/gen/store/lua/*.inc).
const char kRoomLua[] =
#include "store/lua/room.inc"
    ;

struct RoomScript : Script {
    explicit RoomScript(const char* own) : Script(std::string(kRoomLua) + own) {}
};

// name_script(): room.lua + lua/name.lua, loaded into Redis on first use.
#define ROOM_SCRIPT(name)                                   \
    const Script& name##_script() {                         \
        static const RoomScript script(k_##name##_lua);     \
        return script;                                      \
    }

const char k_view_lua[] =
#include "store/lua/view.inc"
    ;
const char k_advance_lua[] =
#include "store/lua/advance.inc"
    ;
const char k_issue_lua[] =
#include "store/lua/issue.inc"
    ;
const char k_touch_lua[] =
#include "store/lua/touch.inc"
    ;
const char k_leave_lua[] =
#include "store/lua/leave.inc"
    ;
const char k_forget_user_lua[] =
#include "store/lua/forget_user.inc"
    ;
const char k_pay_claim_lua[] =
#include "store/lua/pay_claim.inc"
    ;
const char k_pay_release_lua[] =
#include "store/lua/pay_release.inc"
    ;
const char k_open_lua[] =
#include "store/lua/open.inc"
    ;

ROOM_SCRIPT(view)
ROOM_SCRIPT(advance)
ROOM_SCRIPT(issue)
ROOM_SCRIPT(touch)
ROOM_SCRIPT(leave)
ROOM_SCRIPT(forget_user)
ROOM_SCRIPT(pay_claim)
ROOM_SCRIPT(pay_release)
ROOM_SCRIPT(open)

constexpr const char* kRoomsKey = "{rooms}";  // SET of concert ids with a room: the keeper's list

std::optional<std::int64_t> test_clock;

// A script's reply, read by name: the flat list name, value, name, value...
class Fields {
public:
    explicit Fields(const redisReply* reply) {
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2 != 0) throw std::runtime_error("queue: bad reply");
        for (std::size_t i = 0; i < reply->elements; i += 2) {
            const redisReply* name = reply->element[i];
            by_name_.emplace(std::string(name->str, name->len), reply->element[i + 1]);
        }
    }
    const redisReply* at(const char* name) const {
        auto it = by_name_.find(name);
        if (it == by_name_.end()) throw std::runtime_error(std::string("queue: reply without ") + name);
        return it->second;
    }
    std::int64_t num(const char* name) const {
        const redisReply* e = at(name);
        if (e->type == REDIS_REPLY_INTEGER) return e->integer;
        if (e->type == REDIS_REPLY_STRING) return std::stoll(std::string(e->str, e->len));
        throw std::runtime_error(std::string("queue: not a number: ") + name);
    }
    std::string text(const char* name) const {
        const redisReply* e = at(name);
        if (e->type == REDIS_REPLY_INTEGER) return std::to_string(e->integer);
        return std::string(e->str, e->len);
    }

private:
    std::map<std::string, const redisReply*> by_name_;
};

// Runs one of the room scripts: the clock, the global queue.* settings as
// this process last read them (within a second), then the script's own
// arguments.
ReplyPtr run(Redis& redis, const Script& script, std::int64_t concert_id, const std::vector<std::string>& own) {
    std::vector<std::string> names, values;
    for (const auto& [name, value] : cached_settings(redis)) {
        if (name.rfind("queue.", 0) != 0) continue;
        names.push_back(name);
        values.push_back(std::to_string(value));
    }
    std::vector<std::string> args{test_clock ? std::to_string(*test_clock) : "", std::to_string(names.size())};
    args.insert(args.end(), names.begin(), names.end());
    args.insert(args.end(), values.begin(), values.end());
    args.insert(args.end(), own.begin(), own.end());
    return redis.eval(script, {room_state_prefix(concert_id) + "seq"}, args);
}

QueueStatus status_from(const std::string& s) {
    if (s == "ACTIVE") return QueueStatus::Active;
    if (s == "WAITING") return QueueStatus::Waiting;
    return QueueStatus::Expired;
}

RoomView view_from(std::int64_t concert_id, const Fields& f) {
    RoomView v;
    v.concert_id = concert_id;
    v.now_ms = f.num("now");
    v.epoch = f.num("epoch");
    v.seq = f.num("seq");
    v.called = f.num("called");
    v.opens_ms = f.num("opens_ms");
    v.calls_from_ms = f.num("calls_from");
    v.prequeue = f.num("prequeue");
    v.commitment = f.text("commitment");
    v.seed = f.text("seed");
    v.paused = f.num("paused") == 1;
    v.capacity = f.num("capacity");
    v.active = f.num("active");
    v.calls_open = f.num("calls_open");
    v.rejoiners = f.num("rejoiners");
    v.lapsed_open = f.num("lapsed_open");
    v.admitted_minute = f.num("admitted_minute");
    v.lapsed_minute = f.num("lapsed_minute");
    v.mark_called = f.num("mark_called");
    v.mark_ms = f.num("mark_ms");
    v.recent_called = f.num("recent_called");
    v.recent_ms = f.num("recent_ms");
    v.calls = f.num("calls");
    v.claims = f.num("claims");
    v.lapses = f.num("lapses");
    v.rejoins = f.num("rejoins");
    v.left = f.num("left");
    v.skipped = f.num("skipped");
    v.prequeue_left = f.num("prequeue_left");
    v.claim_seconds = f.num("claim_seconds");
    v.rejoin_seconds = f.num("rejoin_seconds");
    v.max_poll_seconds = f.num("max_poll_seconds");
    v.spread_seconds = f.num("spread_seconds");
    v.active_seconds = f.num("active_seconds");
    v.idle_seconds = f.num("idle_seconds");
    return v;
}

// What a process keeps of one room: the counters, when it read them, the
// tickets that ended while waiting (from the room's log), and the draw.
struct RoomCopy {
    RoomView view;
    std::chrono::steady_clock::time_point read_at;
    bool fresh = false;
    std::unordered_set<std::int64_t> gone;
    std::int64_t gone_read = 0;  // entries of the log read so far
    std::shared_ptr<const DrawOrder> draw;
    std::string draw_of;  // the seed and size it was computed for

    // The counters with the clock moved on by the time since they were read.
    RoomView now() const {
        RoomView v = view;
        if (!test_clock) {
            v.now_ms += std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - read_at).count();
        }
        return v;
    }
};

constexpr std::int64_t kGoneBatch = 10000;

void refresh(Redis& redis, std::int64_t concert_id, RoomCopy& copy) {
    for (int round = 0; round < 1000; ++round) {
        ReplyPtr reply = run(redis, view_script(), concert_id, {std::to_string(copy.gone_read), std::to_string(kGoneBatch)});
        Fields f(reply.get());
        std::int64_t total = f.num("gone_total");
        // The room began again (Redis lost it: another epoch) or its log is
        // shorter than what was read: read the new log whole.
        if ((copy.fresh && f.num("epoch") != copy.view.epoch && copy.gone_read > 0) || total < copy.gone_read) {
            copy.gone.clear();
            copy.gone_read = 0;
            copy.view.epoch = f.num("epoch");
            continue;
        }
        const redisReply* gone = f.at("gone");
        for (std::size_t i = 0; i < gone->elements; ++i) {
            copy.gone.insert(std::stoll(std::string(gone->element[i]->str, gone->element[i]->len)));
        }
        copy.gone_read += static_cast<std::int64_t>(gone->elements);
        copy.view = view_from(concert_id, f);
        copy.read_at = std::chrono::steady_clock::now();
        copy.fresh = true;
        if (copy.gone_read >= total) return;
    }
}

// This process's copy of the room, read again when it is a second old, or
// when the caller met a ticket of a numbering the copy does not know yet
// ('epoch': the room began again, Redis having lost it).
RoomCopy& room_copy(Redis& redis, std::int64_t concert_id, std::int64_t epoch = 0) {
    static std::map<std::int64_t, RoomCopy> copies;
    RoomCopy& copy = copies[concert_id];
    auto age = std::chrono::steady_clock::now() - copy.read_at;
    // Read again when a second old; at once for a ticket of a numbering
    // newer than the copy's (the room began again: the copy is of the old
    // one; a token older than the copy's numbering needs no new copy, Redis
    // answers it); at most 5 times a second once the opening has passed
    // while the copy has no seed yet.
    bool newer_epoch = epoch > copy.view.epoch;
    bool opened_unseen = copy.fresh && copy.view.opens_ms > 0 && copy.view.seed.empty() && copy.now().now_ms >= copy.view.opens_ms;
    if (test_clock || !copy.fresh || age >= std::chrono::seconds(1) || newer_epoch ||
        (opened_unseen && age >= std::chrono::milliseconds(200))) {
        refresh(redis, concert_id, copy);
    }
    return copy;
}

const DrawOrder& draw_of(RoomCopy& copy, const RoomView& v) {
    std::string key = v.seed + ':' + std::to_string(v.prequeue);
    if (!copy.draw || copy.draw_of != key) {
        copy.draw = std::make_shared<const DrawOrder>(v.seed, v.prequeue);
        copy.draw_of = key;
    }
    return *copy.draw;
}

double jitter() {
    thread_local std::mt19937 gen{std::random_device{}()};
    return std::uniform_real_distribution<double>(0.0, 1.0)(gen);
}

// The place of ticket t in the calling order (0 while the opening is
// pending: no order exists yet).
std::int64_t place_of(RoomCopy& copy, const RoomView& v, std::int64_t t) {
    if (v.opens_ms <= 0 || t > v.prequeue) return t;
    if (v.opening_pending() || v.seed.empty()) return 0;
    return draw_of(copy, v).place_of(t);
}

// The answer for a ticket that is not over and whose place has not been
// called as this process knows it; nullopt when it has been (Redis decides).
std::optional<QueueView> answer_uncalled(RoomCopy& copy, const RoomView& v, std::int64_t t) {
    if (v.opens_ms > 0 && v.opening_pending()) {
        RoomView now = v;
        now.prequeue = std::max(now.prequeue, t);
        return prequeue_answer(now, t);
    }
    std::int64_t place = place_of(copy, v, t);
    if (place > v.called) return waiting_answer(v, t, place, jitter());
    return std::nullopt;
}

QueueView answer_from_redis(const RoomView& v, std::int64_t t, const Fields& f) {
    QueueStatus status = status_from(f.text("status"));
    if (status != QueueStatus::Waiting) return settled_answer(v, t, status);
    std::int64_t rejoin = f.num("rejoin_position");
    if (rejoin > 0) return rejoin_answer(v, t, rejoin, jitter());
    return waiting_answer(v, t, v.called + 1, jitter());  // called as Redis saw it just now
}

// Puts the room on the keeper's list: once per process and numbering of
// the room (a room that began again, its Redis data lost, is put on the
// list again).
void register_room(Redis& redis, std::int64_t concert_id, std::int64_t epoch) {
    static std::map<std::int64_t, std::int64_t> known;
    auto it = known.find(concert_id);
    if (it != known.end() && it->second == epoch) return;
    redis.command({"SADD", kRoomsKey, std::to_string(concert_id)});
    known[concert_id] = epoch;
}

}  // namespace

QueueView queue_issue(Redis& redis, std::int64_t concert_id, const std::string& user_id) {
    ReplyPtr reply = run(redis, issue_script(), concert_id, {compact_user_id(user_id)});
    Fields f(reply.get());
    std::int64_t t = f.num("ticket");
    register_room(redis, concert_id, f.num("epoch"));
    RoomCopy& copy = room_copy(redis, concert_id, f.num("epoch"));
    RoomView v = copy.now();
    QueueView answer = answer_from_redis(v, t, f);
    if (answer.status == QueueStatus::Waiting && f.num("rejoin_position") == 0) {
        v.seq = std::max(v.seq, t);
        v.called = f.num("called");
        v.rejoiners = f.num("rejoiners");
        if (std::optional<QueueView> uncalled = answer_uncalled(copy, v, t)) answer = *uncalled;
    }
    answer.epoch = f.num("epoch");
    return answer;
}

QueueView queue_status(Redis& redis, const Ticket& ticket) {
    RoomCopy& copy = room_copy(redis, ticket.concert_id, ticket.epoch);
    RoomView v = copy.now();
    std::int64_t t = ticket.number;
    // A token of an earlier numbering of the room (Redis lost it) goes to
    // Redis, which knows whose ticket that number is now.
    if (ticket.epoch == v.epoch) {
        if (copy.gone.count(t) != 0) return settled_answer(v, t, QueueStatus::Expired);
        if (std::optional<QueueView> answer = answer_uncalled(copy, v, t)) return *answer;
    }
    ReplyPtr reply = run(redis, touch_script(), ticket.concert_id, {std::to_string(t), compact_user_id(ticket.user_id)});
    return answer_from_redis(v, t, Fields(reply.get()));
}

QueueStatus queue_touch(Redis& redis, const Ticket& t) {
    ReplyPtr reply = run(redis, touch_script(), t.concert_id, {std::to_string(t.number), compact_user_id(t.user_id)});
    return status_from(Fields(reply.get()).text("status"));
}

void queue_expire(Redis& redis, const Ticket& t) {
    run(redis, leave_script(), t.concert_id, {std::to_string(t.number), compact_user_id(t.user_id)});
}

PaymentClaim queue_claim_payment(Redis& redis, const Ticket& t, const std::string& claim_id, std::int64_t lifetime_ms,
                                 const std::string& key_tag) {
    ReplyPtr reply = run(redis, pay_claim_script(), t.concert_id,
                         {std::to_string(t.number), compact_user_id(t.user_id), claim_id, std::to_string(lifetime_ms), key_tag});
    Fields f(reply.get());
    std::string outcome = f.text("outcome");
    if (outcome == "CLAIMED") return {ClaimOutcome::Claimed, ""};
    if (outcome == "BUSY") return {ClaimOutcome::Busy, f.text("tag")};
    return {ClaimOutcome::NotActive, ""};
}

void queue_release_payment(Redis& redis, const Ticket& t, const std::string& claim_id) {
    run(redis, pay_release_script(), t.concert_id, {std::to_string(t.number), claim_id});
}

void queue_forget_user(Redis& redis, const std::string& user_id) {
    for (std::int64_t concert_id : queue_rooms(redis)) run(redis, forget_user_script(), concert_id, {compact_user_id(user_id)});
}

OpenOutcome queue_open_room(Redis& redis, std::int64_t concert_id, std::optional<std::int64_t> opens_at_ms,
                            const std::string& seed, const std::string& commitment) {
    register_room(redis, concert_id, -1);
    ReplyPtr reply = run(redis, open_script(), concert_id,
                         {opens_at_ms ? std::to_string(*opens_at_ms) : "now", seed, commitment});
    Fields f(reply.get());
    std::string outcome = f.text("outcome");
    OpenOutcome out;
    out.opens_at_ms = f.num("opens_ms");
    out.opened = outcome == "OPENED";
    out.refusal = outcome == "TICKETS_ISSUED" ? "the room has issued tickets already"
                  : outcome == "ALREADY_OPEN" ? "the room's opening has passed already"
                                              : "";
    return out;
}

RoomView queue_room(Redis& redis, std::int64_t concert_id) {
    ReplyPtr reply = run(redis, view_script(), concert_id, {"0", "0"});
    return view_from(concert_id, Fields(reply.get()));
}

std::vector<std::int64_t> queue_rooms(Redis& redis) {
    ReplyPtr reply = redis.command({"SMEMBERS", kRoomsKey});
    std::vector<std::int64_t> rooms;
    for (std::size_t i = 0; i < reply->elements; ++i) {
        std::int64_t id = std::atoll(reply->element[i]->str);
        if (id > 0) rooms.push_back(id);
    }
    std::sort(rooms.begin(), rooms.end());
    return rooms;
}

void queue_keep(Redis& redis, std::int64_t concert_id) {
    static std::map<std::int64_t, RoomCopy> draws;  // the keeper's own draw per room
    RoomView v = queue_room(redis, concert_id);
    bool opened = v.opens_ms > 0 && !v.opening_pending();
    if (opened && v.calls_from_ms == 0) {
        ReplyPtr fixed = run(redis, advance_script(), concert_id, {"fix", std::to_string(calls_from_ms(v))});
        v.calls_from_ms = Fields(fixed.get()).num("calls_from");
    }
    std::vector<std::string> args{""};
    if (opened && v.called < v.prequeue && !v.seed.empty()) {
        const DrawOrder& draw = draw_of(draws[concert_id], v);
        args[0] = std::to_string(v.called);
        std::int64_t last = std::min(v.prequeue, v.called + 5000);
        for (std::int64_t p = v.called + 1; p <= last; ++p) args.push_back(std::to_string(draw.ticket_at(p)));
    }
    run(redis, advance_script(), concert_id, args);
}

void queue_clock_for_tests(std::optional<std::int64_t> unix_ms) { test_clock = unix_ms; }

}  // namespace concert
