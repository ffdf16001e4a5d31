-- A payment that did not happen gives its claim back: arg(1) the ticket,
-- arg(2) the claim's id (only that claim is released).
local held = redis.call('HGET', K.paying, arg(1))
if held and string.match(held, '^%d+ (%S+) ') == arg(2) then redis.call('HDEL', K.paying, arg(1)) end
return {'done', 1}
