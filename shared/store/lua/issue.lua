-- POST /queue/token: arg(1) the user (16 bytes). The user's live ticket
-- (WAITING or ACTIVE, same place) if there is one, else a new one at the
-- back; a ticket called at once is claimed by this very request. The
-- answer also carries the room's places called and rejoiners as of now, so
-- that the new ticket's position is exact.
local u = arg(1)
local t = ticket_of(u)
if t then
  local status = touch(t, u)
  if status ~= 'EXPIRED' then
    return {'ticket', t, 'status', status, 'rejoin_position', rejoin_position(t), 'epoch', num(redis.call('GET', K.epoch)),
            'called', num(redis.call('GET', K.called)), 'rejoiners', redis.call('ZCARD', K.rejoin)}
  end
end
t = redis.call('INCR', K.seq)
redis.call('SET', K.epoch, now, 'NX')
seq = t
if before_opening then
  redis.call('HSET', K.opening, 'last', t)
  prequeue = t
end
redis.call('HSET', users_key(u), u, t)
advance(nil, nil)
local status = 'WAITING'
if redis.call('ZSCORE', K.calls, t) then
  claim(t)
  status = 'ACTIVE'
end
return {'ticket', t, 'status', status, 'rejoin_position', 0, 'epoch', num(redis.call('GET', K.epoch)),
        'called', num(redis.call('GET', K.called)), 'rejoiners', redis.call('ZCARD', K.rejoin)}
