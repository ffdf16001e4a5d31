#include "store/queue.hpp"

#include <stdexcept>
#include <vector>

#include "store/settings.hpp"

namespace concert {

namespace {

const std::vector<std::string> kKeys = {"{q}:seq",      "{q}:waiting",  "{q}:active",
                                        "{q}:seen",     "{q}:admits",   "{q}:admitted",
                                        "{q}:admitted_total", kSettingsKey, "{q}:owner",
                                        "{q}:paying"};

std::string setting_default(const char* name) { return std::to_string(find_setting(name)->default_value); }

// Shared by every queue script: the clock, the settings, and the three
// operations everything else is built from (forget, admit, status_of).
std::string prelude() {
    return R"lua(
local K_SEQ, K_WAITING, K_ACTIVE, K_SEEN = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local K_ADMITS, K_ADMITTED, K_TOTAL, K_SETTINGS = KEYS[5], KEYS[6], KEYS[7], KEYS[8]
local K_OWNER, K_PAYING = KEYS[9], KEYS[10]
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
local s = redis.call('HMGET', K_SETTINGS, 'queue.capacity', 'queue.active_seconds',
                      'queue.idle_seconds', 'queue.paused')
local function num(v, default)
  local n = tonumber(v)
  if n == nil or n < 0 then return default end
  return math.floor(n)
end
local capacity = num(s[1], )lua" + setting_default("queue.capacity") + R"lua()
local active_s = num(s[2], )lua" + setting_default("queue.active_seconds") + R"lua()
local idle_ms = num(s[3], )lua" + setting_default("queue.idle_seconds") + R"lua() * 1000
local paused = num(s[4], )lua" + setting_default("queue.paused") + R"lua()

-- The ticket leaves its place or its slot for good.
local function forget(t)
  redis.call('ZREM', K_WAITING, t)
  redis.call('ZREM', K_ACTIVE, t)
  redis.call('ZREM', K_SEEN, t)
  redis.call('HDEL', K_OWNER, t)
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
  if paused == 1 then return end
  local free = capacity - redis.call('ZCARD', K_ACTIVE)
  local steps = 0
  while free > 0 and steps < 1000 do
    steps = steps + 1
    local head = redis.call('ZPOPMIN', K_WAITING)
    if #head == 0 then break end
    local t = head[1]
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
  if redis.call('HGET', K_OWNER, t) ~= user then return 'EXPIRED' end
  if is_idle(t) then forget(t) return 'EXPIRED' end
  local ends = redis.call('ZSCORE', K_ACTIVE, t)
  local status
  if ends then
    if tonumber(ends) <= now then forget(t) return 'EXPIRED' end
    status = 'ACTIVE'
  elseif redis.call('ZSCORE', K_WAITING, t) then
    status = 'WAITING'
  else
    forget(t)
    return 'EXPIRED'
  end
  if touch then redis.call('ZADD', K_SEEN, now, t) end
  return status
end

-- ticket, iat, status, position, admitted last minute, capacity, active
-- seconds, idle seconds; position, admissions, capacity and active seconds
-- matter only to a WAITING ticket.
local function view(t, iat, status)
  if status ~= 'WAITING' then return {tonumber(t), tonumber(iat), status, 0, 0, capacity, active_s, idle_ms / 1000} end
  return {tonumber(t), tonumber(iat), status, redis.call('ZCOUNT', K_WAITING, '-inf', t),
          redis.call('ZCARD', K_ADMITS), capacity, active_s, idle_ms / 1000}
end
)lua";
}

// KEYS[11] = {q}:u:<userId>; ARGV[1] = userId.
const Script& issue_script() {
    static const Script script(prelude() + R"lua(
local user = ARGV[1]
local held = redis.call('GET', KEYS[11])
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
redis.call('ZADD', K_WAITING, t, t)
redis.call('ZADD', K_SEEN, now, t)
redis.call('HSET', K_OWNER, t, user)
redis.call('SET', KEYS[11], t .. ' ' .. iat, 'EX', 86400)
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
if redis.call('HGET', K_OWNER, ARGV[1]) == ARGV[2] then forget(ARGV[1]) end
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

// KEYS[11] = {q}:u:<userId>; ARGV[1] = userId.
const Script& forget_user_script() {
    static const Script script(prelude() + R"lua(
local held = redis.call('GET', KEYS[11])
if held then
  local t = string.match(held, '^(%d+) ')
  if t and redis.call('HGET', K_OWNER, t) == ARGV[1] then forget(t) end
  redis.call('DEL', KEYS[11])
end
admit()
return 1
)lua");
    return script;
}

const Script& stats_script() {
    static const Script script(prelude() + R"lua(
admit()
return {tonumber(redis.call('GET', K_SEQ) or '0'), tonumber(redis.call('GET', K_TOTAL) or '0'),
        redis.call('ZCARD', K_WAITING), redis.call('ZCARD', K_ACTIVE), redis.call('ZCARD', K_ADMITS)}
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

QueueView parse_view(const redisReply* reply) {
    QueueView v;
    v.ticket = integer_at(reply, 0);
    v.issued_at = integer_at(reply, 1);
    v.status = parse_status(reply->element[2]);
    v.position = integer_at(reply, 3);
    v.wait_seconds = v.status == QueueStatus::Waiting
                         ? estimate_wait_seconds(v.position, integer_at(reply, 4), integer_at(reply, 5),
                                                 integer_at(reply, 6))
                         : 0;
    v.poll_after_seconds = poll_after_seconds(v.status, v.wait_seconds, integer_at(reply, 7));
    return v;
}

}  // namespace

QueueView queue_issue(Redis& redis, const std::string& user_id) {
    std::vector<std::string> keys = kKeys;
    keys.push_back("{q}:u:" + user_id);
    ReplyPtr reply = redis.eval(issue_script(), keys, {user_id});
    return parse_view(reply.get());
}

QueueView queue_status(Redis& redis, std::int64_t ticket, const std::string& user_id) {
    ReplyPtr reply = redis.eval(status_script(), kKeys, {std::to_string(ticket), user_id});
    return parse_view(reply.get());
}

QueueStatus queue_touch(Redis& redis, std::int64_t ticket, const std::string& user_id) {
    ReplyPtr reply = redis.eval(touch_script(), kKeys, {std::to_string(ticket), user_id});
    return parse_status(reply.get());
}

void queue_expire(Redis& redis, std::int64_t ticket, const std::string& user_id) {
    redis.eval(expire_script(), kKeys, {std::to_string(ticket), user_id});
}

PaymentClaim queue_claim_payment(Redis& redis, std::int64_t ticket, const std::string& user_id,
                                 const std::string& claim_id, std::int64_t lifetime_ms, const std::string& key_tag) {
    ReplyPtr reply = redis.eval(claim_script(), kKeys,
                                {std::to_string(ticket), user_id, claim_id, std::to_string(lifetime_ms), key_tag});
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2) throw std::runtime_error("queue: bad claim reply");
    std::string outcome(reply->element[0]->str, reply->element[0]->len);
    std::string in_flight(reply->element[1]->str, reply->element[1]->len);
    if (outcome == "CLAIMED") return {ClaimOutcome::Claimed, ""};
    if (outcome == "BUSY") return {ClaimOutcome::Busy, in_flight};
    return {ClaimOutcome::NotActive, ""};
}

void queue_release_payment(Redis& redis, std::int64_t ticket, const std::string& claim_id) {
    redis.eval(release_script(), kKeys, {std::to_string(ticket), claim_id});
}

void queue_forget_user(Redis& redis, const std::string& user_id) {
    std::vector<std::string> keys = kKeys;
    keys.push_back("{q}:u:" + user_id);
    redis.eval(forget_user_script(), keys, {user_id});
}

QueueStats queue_stats(Redis& redis) {
    ReplyPtr reply = redis.eval(stats_script(), kKeys, {});
    return QueueStats{integer_at(reply.get(), 0), integer_at(reply.get(), 1), integer_at(reply.get(), 2),
                      integer_at(reply.get(), 3), integer_at(reply.get(), 4)};
}

}  // namespace concert
