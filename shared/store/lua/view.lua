-- The room's counters, as every process keeps them (at most a second old)
-- to answer waiting polls without Redis, and as room facts, stats and the
-- keeper read them. arg(1): the first entry of the gone log wanted, arg(2):
-- how many at most. Read only.
local counts = redis.call('HMGET', K.counts, 'calls', 'claims', 'lapses', 'rejoins', 'left', 'skipped', 'prequeue_left')
local mark = redis.call('ZRANGE', K.marks, 0, 0, 'WITHSCORES')
local mark_called, mark_ms = 0, 0
if #mark > 0 then
  mark_called = tonumber(string.match(mark[1], '^(%d+):'))
  mark_ms = tonumber(mark[2])
end
-- and the mark about ten seconds old, for the recent pace
local recent = redis.call('ZREVRANGEBYSCORE', K.marks, now - 10000, '-inf', 'WITHSCORES', 'LIMIT', 0, 1)
local recent_called, recent_ms = 0, 0
if #recent > 0 then
  recent_called = tonumber(string.match(recent[1], '^(%d+):'))
  recent_ms = tonumber(recent[2])
end
local from = tonumber(arg(1))
local gone = {}
if tonumber(arg(2)) > 0 then gone = redis.call('LRANGE', K.gonelog, from, from + tonumber(arg(2)) - 1) end
local opened = opens_ms ~= nil and not before_opening
return {
  'now', now, 'epoch', num(redis.call('GET', K.epoch)), 'seq', seq, 'called', num(redis.call('GET', K.called)),
  'opens_ms', opens_ms or 0, 'calls_from', calls_from or 0, 'prequeue', prequeue,
  'commitment', commitment or '', 'seed', (opened and seed) or '',
  'paused', paused and 1 or 0, 'capacity', capacity,
  'active', redis.call('ZCARD', K.active), 'calls_open', redis.call('ZCARD', K.calls),
  'rejoiners', redis.call('ZCARD', K.rejoin), 'lapsed_open', redis.call('ZCARD', K.lapsed),
  'admitted_minute', redis.call('ZCOUNT', K.admits, now - 60000, '+inf'),
  'lapsed_minute', redis.call('ZCOUNT', K.lapses, now - 60000, '+inf'),
  'mark_called', mark_called, 'mark_ms', mark_ms,
  'recent_called', recent_called, 'recent_ms', recent_ms,
  'calls', num(counts[1]), 'claims', num(counts[2]), 'lapses', num(counts[3]), 'rejoins', num(counts[4]),
  'left', num(counts[5]), 'skipped', num(counts[6]), 'prequeue_left', num(counts[7]),
  'gone_from', from, 'gone_total', redis.call('LLEN', K.gonelog), 'gone', gone,
  'claim_seconds', S['queue.claim_seconds'], 'rejoin_seconds', S['queue.rejoin_seconds'],
  'max_poll_seconds', S['queue.max_poll_seconds'], 'spread_seconds', S['queue.opening_spread_seconds'],
  'active_seconds', S['queue.active_seconds'], 'idle_seconds', S['queue.idle_seconds'],
}
