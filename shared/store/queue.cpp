#include "store/queue.hpp"

#include <algorithm>
#include <optional>
#include <stdexcept>
#include <vector>

#include "base/text.hpp"
#include "store/settings.hpp"

namespace concert {

namespace {

// KEYS[1..12] of every room script, in the prelude's order ("owner" is the
// prefix of the owner hashes: see the prelude).
std::vector<std::string> room_keys(std::int64_t concert_id) {
    std::string p = room_prefix(concert_id);
    return {p + "seq",      p + "waiting",  p + "active",         p + "seen",  p + "admits",
            p + "admitted", p + "admitted_total", room_settings_key(concert_id), p + "owner", p + "paying",
            p + "opening",  p + "prequeue"};
}

std::string setting_default(const char* name) { return std::to_string(find_setting(name)->default_value); }

// Shared by every queue script: the clock, the settings, and the three
// operations everything else is built from (forget, admit, status_of).
std::string prelude() {
    return R"lua(
local K_SEQ, K_WAITING, K_ACTIVE, K_SEEN = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local K_ADMITS, K_ADMITTED, K_TOTAL, K_SETTINGS = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local K_OWNER, K_PAYING, K_OPENING, K_PREQUEUE = KEYS[9], KEYS[10], KEYS[11], KEYS[12]
-- Who holds a ticket, and a user's ticket, in hashes of at most 100 fields
-- each (Redis keeps such a small hash as one compact list): the owner of
-- ticket t is field t % 100 of K_OWNER:<t / 100>; the ticket of user u
-- (16 bytes, compact_user_id) is field u of K_USERS<last 2 bytes of u, hex>
-- (65,536 of those: ~15 users each in a room of a million). Their names are
-- made here; they share the room's hash tag, so they are in its slot.
local K_USERS = string.sub(K_SEQ, 1, -4) .. 'u:'
local function owner_key(t) return K_OWNER .. ':' .. math.floor(tonumber(t) / 100) end
local function owner_field(t) return tonumber(t) % 100 end
local function owner_of(t) return redis.call('HGET', owner_key(t), owner_field(t)) end
local function users_key(u) return K_USERS .. string.format('%02x%02x', string.byte(u, -2, -1)) end
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)

-- The opening draw. A room with an opening scheduled keeps the tickets
-- issued before it in a pre-queue whose members are their lottery keys,
-- "<sha1 hex of seed:ticket>:<ticket>", all at score 0: Redis orders them by
-- that text, which is the draw's order, from the moment each is issued, so
-- the opening itself costs nothing. Until the opening nobody is admitted;
-- after it the pre-queue goes first, then the later tickets in issue order.
local o = redis.call('HMGET', K_OPENING, 'opens_ms', 'seed', 'last')
local opens_ms, seed, prequeue_last = tonumber(o[1]), o[2], tonumber(o[3]) or 0
local before_opening = opens_ms ~= nil and now < opens_ms
local function in_prequeue(t) return seed and tonumber(t) <= prequeue_last end
local function lottery_key(t) return redis.sha1hex(seed .. ':' .. t) .. ':' .. t end
-- The room's own settings win over the global ones, which the caller passes
-- as the last four arguments (they live in another slot).
local s = redis.call('HMGET', K_SETTINGS, 'queue.capacity', 'queue.active_seconds',
                      'queue.idle_seconds', 'queue.paused')
local G = #ARGV - 3
local function num(v, default)
  local n = tonumber(v)
  if n == nil or n < 0 then return default end
  return math.floor(n)
end
local capacity = num(s[1], num(ARGV[G], )lua" + setting_default("queue.capacity") + R"lua())
local active_s = num(s[2], num(ARGV[G + 1], )lua" + setting_default("queue.active_seconds") + R"lua())
local idle_ms = num(s[3], num(ARGV[G + 2], )lua" + setting_default("queue.idle_seconds") + R"lua()) * 1000
local paused = num(s[4], num(ARGV[G + 3], )lua" + setting_default("queue.paused") + R"lua())

-- The ticket leaves its place or its slot for good, and its holder's
-- entry goes with it (if it still names this ticket).
local function forget(t)
  if in_prequeue(t) then redis.call('ZREM', K_PREQUEUE, lottery_key(t)) end
  redis.call('ZREM', K_WAITING, t)
  redis.call('ZREM', K_ACTIVE, t)
  redis.call('ZREM', K_SEEN, t)
  local u = owner_of(t)
  if u then
    redis.call('HDEL', owner_key(t), owner_field(t))
    local held = redis.call('HGET', users_key(u), u)
    if held and string.match(held, '^(%d+) ') == tostring(t) then redis.call('HDEL', users_key(u), u) end
  end
  redis.call('HDEL', K_PAYING, t)
end

local function is_idle(t)
  local seen = redis.call('ZSCORE', K_SEEN, t)
  return (not seen) or tonumber(seen) <= now - idle_ms
end

-- Drops idle and timed-out tickets, then admits waiting tickets in issue
-- order while slots are free and the queue is not paused. Each part does at
-- most 1000 steps per call, so no call holds Redis for long however large
-- the backlog; the next call goes on where this one stopped.
local function admit()
  for _, t in ipairs(redis.call('ZRANGEBYSCORE', K_SEEN, '-inf', now - idle_ms, 'LIMIT', 0, 1000)) do
    forget(t)
  end
  for _, t in ipairs(redis.call('ZRANGEBYSCORE', K_ACTIVE, '-inf', now, 'LIMIT', 0, 1000)) do
    forget(t)
  end
  redis.call('ZREMRANGEBYSCORE', K_ADMITS, '-inf', now - 60000)
  if paused == 1 or before_opening then return end
  local free = capacity - redis.call('ZCARD', K_ACTIVE)
  local steps = 0
  while free > 0 and steps < 1000 do
    steps = steps + 1
    -- The draw's order first (the lowest lottery key), then issue order.
    local t
    local drawn = redis.call('ZPOPMIN', K_PREQUEUE)
    if #drawn > 0 then
      t = string.match(drawn[1], ':(%d+)$')
    else
      local head = redis.call('ZPOPMIN', K_WAITING)
      if #head == 0 then break end
      t = head[1]
    end
    if is_idle(t) then
      forget(t)
    else
      redis.call('ZADD', K_ACTIVE, now + active_s * 1000, t)
      redis.call('ZADD', K_ADMITS, now, t)
      redis.call('SET', K_ADMITTED, t)
      redis.call('INCR', K_TOTAL)
      free = free - 1
    end
  end
end

-- WAITING, ACTIVE or EXPIRED for the ticket t held by user; a ticket found
-- idle or timed out is forgotten on the spot. A ticket number that belongs
-- to someone else (Redis lost its data and numbered from 1 again, while
-- tokens live on) is EXPIRED for this user and left alone. With touch, a
-- live ticket's last-seen time becomes now.
local function status_of(t, touch, user)
  if owner_of(t) ~= user then return 'EXPIRED' end
  if is_idle(t) then forget(t) return 'EXPIRED' end
  local ends = redis.call('ZSCORE', K_ACTIVE, t)
  local status
  if ends then
    if tonumber(ends) <= now then forget(t) return 'EXPIRED' end
    status = 'ACTIVE'
  elseif redis.call('ZSCORE', K_WAITING, t) or (in_prequeue(t) and redis.call('ZSCORE', K_PREQUEUE, lottery_key(t))) then
    status = 'WAITING'
  else
    forget(t)
    return 'EXPIRED'
  end
  if touch then redis.call('ZADD', K_SEEN, now, t) end
  return status
end

-- A WAITING ticket's place: before the opening, the pre-queue's size (no
-- order exists yet for anyone); after it, its rank in the draw, or the
-- whole pre-queue plus its rank among the later tickets.
local function position_of(t)
  if before_opening then return redis.call('ZCARD', K_PREQUEUE) end
  if in_prequeue(t) then return redis.call('ZRANK', K_PREQUEUE, lottery_key(t)) + 1 end
  return redis.call('ZCARD', K_PREQUEUE) + redis.call('ZCOUNT', K_WAITING, '-inf', t)
end

-- ticket, iat, status, position, admitted last minute, capacity, active
-- seconds, idle seconds, the pending opening (Unix ms, or 0) and the ms
-- until it; position,
-- admissions, capacity and active seconds matter only to a WAITING ticket.
local function view(t, iat, status)
  local pending = before_opening and opens_ms or 0
  local until_ms = before_opening and opens_ms - now or 0
  if status ~= 'WAITING' then
    return {tonumber(t), tonumber(iat), status, 0, 0, capacity, active_s, idle_ms / 1000, pending, until_ms}
  end
  return {tonumber(t), tonumber(iat), status, position_of(t), redis.call('ZCARD', K_ADMITS), capacity, active_s,
          idle_ms / 1000, pending, until_ms}
end
)lua";
}

// ARGV[1] = the user (compact_user_id).
const Script& issue_script() {
    static const Script script(prelude() + R"lua(
local user = ARGV[1]
local held = redis.call('HGET', users_key(user), user)
if held then
  local t, iat = string.match(held, '^(%d+) (%d+)$')
  if t then
    local status = status_of(t, true, user)
    if status == 'WAITING' then
      admit()
      status = status_of(t, false, user)
    end
    if status ~= 'EXPIRED' then return view(t, iat, status) end
  end
end
local t = redis.call('INCR', K_SEQ)
local iat = math.floor(now / 1000)
if before_opening then
  prequeue_last = t
  redis.call('HSET', K_OPENING, 'last', t)
  redis.call('ZADD', K_PREQUEUE, 0, lottery_key(t))
else
  redis.call('ZADD', K_WAITING, t, t)
end
redis.call('ZADD', K_SEEN, now, t)
redis.call('HSET', owner_key(t), owner_field(t), user)
redis.call('HSET', users_key(user), user, t .. ' ' .. iat)
admit()
return view(t, iat, status_of(t, false, user))
)lua");
    return script;
}

// ARGV[1] = ticket, ARGV[2] = the token's user (for every script below).
const Script& status_script() {
    static const Script script(prelude() + R"lua(
-- An ACTIVE ticket needs nothing else: admission is driven by the tickets
-- still waiting (their polls) and by new tickets.
local status = status_of(ARGV[1], true, ARGV[2])
if status ~= 'ACTIVE' then
  admit()
  if status == 'WAITING' then status = status_of(ARGV[1], false, ARGV[2]) end
end
return view(ARGV[1], 0, status)
)lua");
    return script;
}

const Script& touch_script() {
    static const Script script(prelude() + R"lua(
return status_of(ARGV[1], true, ARGV[2])
)lua");
    return script;
}

const Script& expire_script() {
    static const Script script(prelude() + R"lua(
if owner_of(ARGV[1]) == ARGV[2] then forget(ARGV[1]) end
admit()
return 1
)lua");
    return script;
}

// ARGV[3] = claim id, ARGV[4] = the claim's lifetime in ms, ARGV[5] = the
// payment's key tag. Returns {outcome, tag of the payment in flight}.
const Script& claim_script() {
    static const Script script(prelude() + R"lua(
local t = ARGV[1]
local status = status_of(t, true, ARGV[2])
if status ~= 'ACTIVE' then return {'NOT_ACTIVE', ''} end
local held = redis.call('HGET', K_PAYING, t)
if held then
  local until_ms, tag = string.match(held, '^(%d+) %S+ (%S+)$')
  if until_ms and tonumber(until_ms) > now then return {'BUSY', tag} end
end
redis.call('HSET', K_PAYING, t, (now + tonumber(ARGV[4])) .. ' ' .. ARGV[3] .. ' ' .. ARGV[5])
return {'CLAIMED', ''}
)lua");
    return script;
}

// ARGV[2] = claim id: only that claim is released.
const Script& release_script() {
    static const Script script(prelude() + R"lua(
local held = redis.call('HGET', K_PAYING, ARGV[1])
if held and string.match(held, '^%d+ (%S+) ') == ARGV[2] then redis.call('HDEL', K_PAYING, ARGV[1]) end
return 1
)lua");
    return script;
}

// ARGV[1] = the user (compact_user_id).
const Script& forget_user_script() {
    static const Script script(prelude() + R"lua(
local held = redis.call('HGET', users_key(ARGV[1]), ARGV[1])
if held then
  local t = string.match(held, '^(%d+) ')
  if t and owner_of(t) == ARGV[1] then forget(t) end
  redis.call('HDEL', users_key(ARGV[1]), ARGV[1])
end
admit()
return 1
)lua");
    return script;
}

// ARGV[1] = the opening (Unix ms, or "now"), ARGV[2] = seed, ARGV[3] = its
// commitment. Returns {outcome, opens_ms}: OPENED, or TICKETS_ISSUED (the
// room already has tickets), or ALREADY_OPEN (an opening already passed).
const Script& open_script() {
    static const Script script(prelude() + R"lua(
local at = ARGV[1] == 'now' and now or tonumber(ARGV[1])
if tonumber(redis.call('GET', K_SEQ) or '0') > 0 then return {'TICKETS_ISSUED', 0} end
if opens_ms and opens_ms <= now then return {'ALREADY_OPEN', opens_ms} end
redis.call('HSET', K_OPENING, 'opens_ms', at, 'seed', ARGV[2], 'commitment', ARGV[3], 'last', 0)
return {'OPENED', at}
)lua");
    return script;
}

// The room's public facts. Returns {open, opens_ms, paused, capacity,
// waiting, active, admitted last minute, commitment, seed, pre-queue
// tickets}; the seed and the pre-queue's size only once the opening passed.
const Script& facts_script() {
    static const Script script(prelude() + R"lua(
local opened = not before_opening
local commitment = redis.call('HGET', K_OPENING, 'commitment') or ''
return {opened and 1 or 0, opens_ms or 0, paused, capacity,
        redis.call('ZCARD', K_WAITING) + redis.call('ZCARD', K_PREQUEUE), redis.call('ZCARD', K_ACTIVE),
        redis.call('ZCOUNT', K_ADMITS, now - 60000, '+inf'), commitment,
        (opened and seed) and seed or '', (opened and seed) and prequeue_last or -1}
)lua");
    return script;
}

const Script& stats_script() {
    static const Script script(prelude() + R"lua(
admit()
return {tonumber(redis.call('GET', K_SEQ) or '0'), tonumber(redis.call('GET', K_TOTAL) or '0'),
        redis.call('ZCARD', K_WAITING), redis.call('ZCARD', K_ACTIVE), redis.call('ZCARD', K_ADMITS),
        paused, capacity}
)lua");
    return script;
}

std::int64_t integer_at(const redisReply* reply, std::size_t i) {
    if (reply->type != REDIS_REPLY_ARRAY || i >= reply->elements) throw std::runtime_error("queue: short reply");
    const redisReply* e = reply->element[i];
    if (e->type == REDIS_REPLY_INTEGER) return e->integer;
    if (e->type == REDIS_REPLY_STRING) return std::stoll(std::string(e->str, e->len));
    throw std::runtime_error("queue: not an integer");
}

QueueStatus parse_status(const redisReply* reply) {
    if (reply->type != REDIS_REPLY_STRING && reply->type != REDIS_REPLY_STATUS) {
        throw std::runtime_error("queue: status is not a string");
    }
    std::string s(reply->str, reply->len);
    if (s == "ACTIVE") return QueueStatus::Active;
    if (s == "WAITING") return QueueStatus::Waiting;
    return QueueStatus::Expired;
}

QueueView parse_view(std::int64_t concert_id, const redisReply* reply) {
    QueueView v;
    v.concert_id = concert_id;
    v.ticket = integer_at(reply, 0);
    v.issued_at = integer_at(reply, 1);
    v.status = parse_status(reply->element[2]);
    v.position = integer_at(reply, 3);
    v.opens_at_ms = integer_at(reply, 8);
    // Before an opening nobody is admitted: the wait starts when it comes.
    v.wait_seconds = v.status == QueueStatus::Waiting
                         ? estimate_wait_seconds(v.position, integer_at(reply, 4), integer_at(reply, 5),
                                                 integer_at(reply, 6)) +
                               (integer_at(reply, 9) + 999) / 1000
                         : 0;
    v.poll_after_seconds = poll_after_seconds(v.status, v.wait_seconds, integer_at(reply, 7));
    return v;
}

// Runs one of the room scripts on the room's keys, with the script's own
// arguments followed by the global queue settings as this process last
// read them (within a second).
ReplyPtr run(Redis& redis, const Script& script, std::int64_t concert_id, std::vector<std::string> args) {
    std::vector<std::string> keys = room_keys(concert_id);
    const auto& global = cached_settings(redis);
    for (const char* name : {"queue.capacity", "queue.active_seconds", "queue.idle_seconds", "queue.paused"}) {
        args.push_back(std::to_string(global.at(name)));
    }
    return redis.eval(script, keys, args);
}

// Every key of the keyspace that matches 'pattern', by SCAN (a few keys a
// step, never a long command): for operators' commands, never a request.
std::vector<std::string> scan(Redis& redis, const std::string& pattern) {
    std::vector<std::string> out;
    std::string cursor = "0";
    do {
        ReplyPtr reply = redis.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
        if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) throw std::runtime_error("queue: bad SCAN reply");
        cursor.assign(reply->element[0]->str, reply->element[0]->len);
        const redisReply* keys = reply->element[1];
        for (std::size_t i = 0; i < keys->elements; ++i) out.emplace_back(keys->element[i]->str, keys->element[i]->len);
    } while (cursor != "0");
    return out;
}

// The concert id of a room key "{q:N}:...", or 0.
std::int64_t room_of(const std::string& key) {
    if (key.rfind("{q:", 0) != 0) return 0;
    std::size_t end = key.find('}');
    std::optional<std::int64_t> id = parse_decimal(key.substr(3, end == std::string::npos ? 0 : end - 3));
    return id && *id > 0 ? *id : 0;
}

}  // namespace

QueueView queue_issue(Redis& redis, std::int64_t concert_id, const std::string& user_id) {
    ReplyPtr reply = run(redis, issue_script(), concert_id, {compact_user_id(user_id)});
    return parse_view(concert_id, reply.get());
}

QueueView queue_status(Redis& redis, const Ticket& t) {
    ReplyPtr reply = run(redis, status_script(), t.concert_id, {std::to_string(t.number), compact_user_id(t.user_id)});
    return parse_view(t.concert_id, reply.get());
}

QueueStatus queue_touch(Redis& redis, const Ticket& t) {
    ReplyPtr reply = run(redis, touch_script(), t.concert_id, {std::to_string(t.number), compact_user_id(t.user_id)});
    return parse_status(reply.get());
}

void queue_expire(Redis& redis, const Ticket& t) {
    run(redis, expire_script(), t.concert_id, {std::to_string(t.number), compact_user_id(t.user_id)});
}

PaymentClaim queue_claim_payment(Redis& redis, const Ticket& t, const std::string& claim_id, std::int64_t lifetime_ms,
                                 const std::string& key_tag) {
    ReplyPtr reply = run(redis, claim_script(), t.concert_id,
                         {std::to_string(t.number), compact_user_id(t.user_id), claim_id, std::to_string(lifetime_ms), key_tag});
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) throw std::runtime_error("queue: bad claim reply");
    std::string outcome(reply->element[0]->str, reply->element[0]->len);
    std::string in_flight(reply->element[1]->str, reply->element[1]->len);
    if (outcome == "CLAIMED") return {ClaimOutcome::Claimed, ""};
    if (outcome == "BUSY") return {ClaimOutcome::Busy, in_flight};
    return {ClaimOutcome::NotActive, ""};
}

void queue_release_payment(Redis& redis, const Ticket& t, const std::string& claim_id) {
    run(redis, release_script(), t.concert_id, {std::to_string(t.number), claim_id});
}

void queue_forget_user(Redis& redis, const std::string& user_id) {
    for (std::int64_t concert_id : queue_rooms(redis)) run(redis, forget_user_script(), concert_id, {compact_user_id(user_id)});
}

OpenOutcome queue_open_room(Redis& redis, std::int64_t concert_id, std::optional<std::int64_t> opens_at_ms,
                            const std::string& seed, const std::string& commitment) {
    ReplyPtr reply = run(redis, open_script(), concert_id,
                         {opens_at_ms ? std::to_string(*opens_at_ms) : "now", seed, commitment});
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) throw std::runtime_error("queue: bad open reply");
    std::string outcome(reply->element[0]->str, reply->element[0]->len);
    OpenOutcome out;
    out.opens_at_ms = integer_at(reply.get(), 1);
    out.opened = outcome == "OPENED";
    out.refusal = outcome == "TICKETS_ISSUED" ? "the room has issued tickets already"
                  : outcome == "ALREADY_OPEN" ? "the room's opening has passed already"
                                              : "";
    return out;
}

RoomFacts queue_room_facts(Redis& redis, std::int64_t concert_id) {
    ReplyPtr reply = run(redis, facts_script(), concert_id, {});
    auto text = [&](std::size_t i) {
        const redisReply* e = reply->element[i];
        return std::string(e->str, e->len);
    };
    RoomFacts f;
    f.concert_id = concert_id;
    f.open = integer_at(reply.get(), 0) == 1;
    f.opens_at_ms = f.open ? 0 : integer_at(reply.get(), 1);  // null once no opening is pending
    f.paused = integer_at(reply.get(), 2) == 1;
    f.capacity = integer_at(reply.get(), 3);
    f.waiting = integer_at(reply.get(), 4);
    f.active = integer_at(reply.get(), 5);
    f.admitted_last_minute = integer_at(reply.get(), 6);
    f.seed_commitment = text(7);
    f.seed = text(8);
    f.pre_queue_tickets = integer_at(reply.get(), 9);
    return f;
}

std::vector<std::int64_t> queue_rooms(Redis& redis) {
    std::vector<std::int64_t> rooms;
    for (const std::string& key : scan(redis, "{q:*}:seq")) {
        if (std::int64_t concert_id = room_of(key)) rooms.push_back(concert_id);
    }
    std::sort(rooms.begin(), rooms.end());
    return rooms;
}

QueueStats queue_stats(Redis& redis, std::int64_t concert_id) {
    ReplyPtr reply = run(redis, stats_script(), concert_id, {});
    return QueueStats{integer_at(reply.get(), 0), integer_at(reply.get(), 1), integer_at(reply.get(), 2),
                      integer_at(reply.get(), 3), integer_at(reply.get(), 4), integer_at(reply.get(), 5) == 1,
                      integer_at(reply.get(), 6)};
}

}  // namespace concert
