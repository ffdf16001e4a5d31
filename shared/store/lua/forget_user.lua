-- `concertctl user reset-secret`: arg(1) the user. Ends the user's ticket
-- in this room, whatever its state.
local u = arg(1)
local t = ticket_of(u)
if t then end_ticket(t, u) end
redis.call('HDEL', users_key(u), u)
advance(nil, nil)
return {'ticket', t or 0}
