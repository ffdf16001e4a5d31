-- The waiting room of one concert: what every room script shares.
-- (store/queue.hpp has the design; each script is this file followed by
-- its own, loaded as one script at build time.)
--
-- KEYS[1] is the room's "{q:N}:3:seq"; every other key of the room is named
-- from it here and shares its hash tag, so a room is one Redis Cluster slot.
-- The v3 room's state lives under "{q:N}:3:" (a v2 room's keys, left by an
-- upgrade, are never read); its settings and opening keep their names.
-- ARGV[1]: the clock in Unix ms, or '' for Redis's own (TIME); tests pass
-- one so that they control time. ARGV[2]: k, the number of settings; then k
-- setting names and k values (the global values as the caller last read
-- them: a room's own override, in its settings hash, wins). The script's own
-- arguments follow: arg(1), arg(2), ...
--
-- Every script answers a flat list of names and values, read by name.

local P = string.sub(KEYS[1], 1, -4)
local ROOM = string.sub(P, 1, -3)
local K = {
  seq = P .. 'seq',            -- tickets issued (INCR): ticket numbers 1, 2, 3...
  epoch = P .. 'epoch',        -- ms when this numbering began (its first ticket): tokens carry it
  settings = ROOM .. 'settings',  -- HASH the room's own queue.* settings ({q:N}:settings)
  opening = ROOM .. 'opening',    -- HASH opens_ms, seed, commitment, last (pre-queue size), calls_from
  called = P .. 'called',      -- places called so far (calledThrough)
  calls = P .. 'calls',        -- ZSET ticket -> ms of its call, not claimed yet
  again = P .. 'again',        -- SET tickets called a second time (rejoiners)
  active = P .. 'active',      -- ZSET ticket -> ms when its ACTIVE time ends
  seen = P .. 'seen',          -- ZSET ticket -> ms of its last request (ACTIVE only)
  lapsed = P .. 'lapsed',      -- ZSET ticket -> ms of its first call: lapsed once, may rejoin
  rejoin = P .. 'rejoin',      -- ZSET ticket -> ms it came back: waits for the next free slot
  gone = P .. 'gone',          -- BITMAP bit t: ticket t is over (any way)
  gonelog = P .. 'gonelog',    -- LIST tickets that ended while waiting uncalled, in order
  counts = P .. 'counts',      -- HASH calls, claims, lapses, rejoins, left, skipped, prequeue_left
  admits = P .. 'admits',      -- ZSET ticket -> ms of its claim, the last minute
  lapses = P .. 'lapses',      -- ZSET ticket -> ms of its lapse, the last minute
  marks = P .. 'marks',        -- ZSET "called:ms" -> ms: calledThrough once a second, the last minute
  paying = P .. 'paying',      -- HASH ticket -> "until_ms claimId keyTag": a payment in flight
}

local now
if ARGV[1] ~= '' then
  now = tonumber(ARGV[1])
else
  local clock = redis.call('TIME')
  now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)
end

local S = {}
do
  local k = tonumber(ARGV[2])
  local names = {}
  for i = 1, k do names[i] = ARGV[2 + i] end
  local own = redis.call('HMGET', K.settings, unpack(names))
  for i = 1, k do
    local v = tonumber(own[i])
    if v == nil or v < 0 then v = tonumber(ARGV[2 + k + i]) end
    S[names[i]] = math.floor(v)
  end
  S.first_arg = 2 + 2 * k
end
local function arg(i) return ARGV[S.first_arg + i] end
local capacity = S['queue.capacity']
local active_ms = S['queue.active_seconds'] * 1000
local idle_ms = S['queue.idle_seconds'] * 1000
local paused = S['queue.paused'] == 1
local claim_ms = S['queue.claim_seconds'] * 1000
local rejoin_ms = S['queue.rejoin_seconds'] * 1000

-- A user's ticket: field u (the id's 16 bytes) of one of 262,144 small
-- hashes per room, picked by the id's last 18 bits, so each stays a compact
-- listpack (under 128 fields) up to a room of 30 million.
local function users_key(u)
  local a, b, c = string.byte(u, -3, -1)
  return P .. 'u:' .. string.format('%05x', ((a % 4) * 65536 + b * 256 + c))
end
local function ticket_of(u) return tonumber(redis.call('HGET', users_key(u), u)) end

local o = redis.call('HMGET', K.opening, 'opens_ms', 'seed', 'last', 'calls_from', 'commitment')
local opens_ms, seed, prequeue = tonumber(o[1]), o[2], tonumber(o[3]) or 0
local calls_from, commitment = tonumber(o[4]), o[5]
local before_opening = opens_ms ~= nil and now < opens_ms
local seq = tonumber(redis.call('GET', K.seq) or '0')

local function count(field, by) redis.call('HINCRBY', K.counts, field, by or 1) end
local function is_gone(t) return redis.call('GETBIT', K.gone, t) == 1 end

-- Where ticket t stands: 'active', 'called', 'rejoined' (came back after a
-- lapse, waits for a slot), 'lapsed', 'gone', or 'waiting' (not called yet).
local function state_of(t)
  if redis.call('ZSCORE', K.active, t) then return 'active' end
  if redis.call('ZSCORE', K.calls, t) then return 'called' end
  if redis.call('ZSCORE', K.rejoin, t) then return 'rejoined' end
  if redis.call('ZSCORE', K.lapsed, t) then return 'lapsed' end
  if is_gone(t) or tonumber(t) > seq then return 'gone' end
  return 'waiting'
end

-- Ticket t is over for good (left, paid, timed out, idle, lapsed past its
-- rejoin, reset): out of every set, its bit set. One that ends while still
-- waiting for its call is also logged, so that every process answering
-- waiting polls without Redis learns of it (and its place, once called, is
-- skipped). With its user u, the user's entry goes too.
local function end_ticket(t, u)
  local st = state_of(t)
  if st == 'gone' then return end
  if st == 'waiting' then
    redis.call('RPUSH', K.gonelog, t)
    count('left')
    if tonumber(t) <= prequeue then count('prequeue_left') end
  end
  redis.call('ZREM', K.active, t)
  redis.call('ZREM', K.seen, t)
  redis.call('ZREM', K.calls, t)
  redis.call('SREM', K.again, t)
  redis.call('ZREM', K.lapsed, t)
  redis.call('ZREM', K.rejoin, t)
  redis.call('HDEL', K.paying, t)
  redis.call('SETBIT', K.gone, t, 1)
  if u and ticket_of(u) == tonumber(t) then redis.call('HDEL', users_key(u), u) end
end

local function call(t, again)
  redis.call('ZADD', K.calls, now, t)
  if again then redis.call('SADD', K.again, t) end
  count('calls')
end

-- A call not claimed in time: the first lapses (its holder may rejoin within
-- queue.rejoin_seconds of that call), a second ends the ticket.
local function lapse(t)
  local at = tonumber(redis.call('ZSCORE', K.calls, t))
  redis.call('ZREM', K.calls, t)
  count('lapses')
  redis.call('ZADD', K.lapses, now, t)
  if redis.call('SREM', K.again, t) == 1 then
    redis.call('SETBIT', K.gone, t, 1)
  else
    redis.call('ZADD', K.lapsed, at, t)
  end
end

local function claim(t)
  redis.call('ZREM', K.calls, t)
  redis.call('SREM', K.again, t)
  redis.call('ZADD', K.active, now + active_ms, t)
  redis.call('ZADD', K.seen, now, t)
  redis.call('ZADD', K.admits, now, t)
  count('claims')
end

-- A request of ticket t's holder u (any request whose token authenticates):
-- claims a call, stamps an ACTIVE ticket, brings back a lapsed one within
-- its rejoin time. Returns 'ACTIVE', 'WAITING' or 'EXPIRED'.
local function touch(t, u)
  if ticket_of(u) ~= tonumber(t) then return 'EXPIRED' end
  local st = state_of(t)
  if st == 'active' then
    local ends = tonumber(redis.call('ZSCORE', K.active, t))
    local seen = tonumber(redis.call('ZSCORE', K.seen, t)) or 0
    if ends <= now or seen <= now - idle_ms then end_ticket(t, u) return 'EXPIRED' end
    redis.call('ZADD', K.seen, now, t)
    return 'ACTIVE'
  end
  if st == 'called' then
    if tonumber(redis.call('ZSCORE', K.calls, t)) + claim_ms >= now then
      claim(t)
      return 'ACTIVE'
    end
    lapse(t)
    st = state_of(t)
  end
  if st == 'lapsed' then
    if tonumber(redis.call('ZSCORE', K.lapsed, t)) + rejoin_ms >= now then
      redis.call('ZREM', K.lapsed, t)
      redis.call('ZADD', K.rejoin, now, t)
      count('rejoins')
      return 'WAITING'
    end
    end_ticket(t, u)
    return 'EXPIRED'
  end
  if st == 'rejoined' or st == 'waiting' then return 'WAITING' end
  return 'EXPIRED'
end

-- 1 + the rejoiners ahead of a rejoined ticket; 0 for any other.
local function rejoin_position(t)
  local r = redis.call('ZRANK', K.rejoin, t)
  return r and r + 1 or 0
end

-- Whether the room may call now: not paused, and past its opening window.
local function calling()
  if paused or before_opening then return false end
  if opens_ms ~= nil and (calls_from == nil or now < calls_from) then return false end
  return true
end

-- Keeps the room moving: ends ACTIVE tickets whose time is up or that went
-- idle, lapses calls not claimed in time, ends lapses past their rejoin
-- time, then fills free slots: rejoiners first, then the next places in
-- order. Place p is ticket p, except the pre-queue's places 1..n, whose
-- tickets only the caller knows (the draw's order: store/draw.hpp):
-- 'drawn' lists the tickets of places base+1, base+2, ...; calling stops at
-- a pre-queue place it does not list. A place whose ticket is gone is
-- passed over (counted as called through). Each part does at most 1000
-- steps (places: 10,000, most of them passed over at the cost of a GETBIT),
-- so no call holds Redis long; the next call goes on.
local function advance(base, drawn)
  for _, t in ipairs(redis.call('ZRANGEBYSCORE', K.active, '-inf', now, 'LIMIT', 0, 1000)) do end_ticket(t) end
  for _, t in ipairs(redis.call('ZRANGEBYSCORE', K.seen, '-inf', now - idle_ms, 'LIMIT', 0, 1000)) do end_ticket(t) end
  for _, t in ipairs(redis.call('ZRANGEBYSCORE', K.calls, '-inf', now - claim_ms - 1, 'LIMIT', 0, 1000)) do lapse(t) end
  for _, t in ipairs(redis.call('ZRANGEBYSCORE', K.lapsed, '-inf', now - rejoin_ms - 1, 'LIMIT', 0, 1000)) do end_ticket(t) end
  redis.call('ZREMRANGEBYSCORE', K.admits, '-inf', now - 60000)
  redis.call('ZREMRANGEBYSCORE', K.lapses, '-inf', now - 60000)
  local k = tonumber(redis.call('GET', K.called) or '0')
  if calling() then
    local free = capacity - redis.call('ZCARD', K.active) - redis.call('ZCARD', K.calls)
    while free > 0 do
      local r = redis.call('ZPOPMIN', K.rejoin)
      if #r == 0 then break end
      call(r[1], true)
      free = free - 1
    end
    local steps = 0
    while free > 0 and steps < 10000 do
      local place, t = k + 1, nil
      if place <= prequeue then
        if base == nil or drawn == nil or place <= base then break end
        t = tonumber(drawn[place - base])
        if t == nil then break end
      else
        t = place
        if t > seq then break end
      end
      steps = steps + 1
      k = place
      if is_gone(t) then count('skipped') else call(t) free = free - 1 end
    end
    redis.call('SET', K.called, k)
  end
  local last = redis.call('ZREVRANGE', K.marks, 0, 0, 'WITHSCORES')
  if #last == 0 or tonumber(last[2]) <= now - 1000 then
    redis.call('ZADD', K.marks, now, k .. ':' .. now)
    redis.call('ZREMRANGEBYSCORE', K.marks, '-inf', now - 61000)
  end
end

local function num(v) return tonumber(v) or 0 end
