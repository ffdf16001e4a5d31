-- `concertctl room open`: arg(1) the opening (Unix ms, or 'now'), arg(2)
-- the seed, arg(3) its commitment. Refused once the room issued a ticket or
-- an opening passed.
local at = arg(1) == 'now' and now or tonumber(arg(1))
if seq > 0 then return {'outcome', 'TICKETS_ISSUED', 'opens_ms', 0} end
if opens_ms and opens_ms <= now then return {'outcome', 'ALREADY_OPEN', 'opens_ms', opens_ms} end
redis.call('HSET', K.opening, 'opens_ms', at, 'seed', arg(2), 'commitment', arg(3), 'last', 0)
redis.call('HDEL', K.opening, 'calls_from')
-- Opening now a room with no ticket: no pre-queue, so calling starts at once.
if at <= now then redis.call('HSET', K.opening, 'calls_from', at) end
return {'outcome', 'OPENED', 'opens_ms', at}
