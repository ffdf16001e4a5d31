-- One order per admission: arg(1) the ticket, arg(2) its user, arg(3) the
-- claim's id, arg(4) its lifetime in ms, arg(5) the payment's key tag.
-- The ticket must be ACTIVE (this request claims a call too).
local t = arg(1)
if touch(t, arg(2)) ~= 'ACTIVE' then return {'outcome', 'NOT_ACTIVE', 'tag', ''} end
local held = redis.call('HGET', K.paying, t)
if held then
  local until_ms, tag = string.match(held, '^(%d+) %S+ (%S+)$')
  if until_ms and tonumber(until_ms) > now then return {'outcome', 'BUSY', 'tag', tag} end
end
redis.call('HSET', K.paying, t, (now + tonumber(arg(4))) .. ' ' .. arg(3) .. ' ' .. arg(5))
return {'outcome', 'CLAIMED', 'tag', ''}
