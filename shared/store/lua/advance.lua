-- The keeper's step (store/keeper.hpp): arg(1) the place the drawn list
-- starts after ('' for none), arg(2..) the tickets of the next pre-queue
-- places in the draw's order. arg(1) of 'fix' fixes the opening window's
-- end (calls_from, Unix ms) once, the first time it is given.
if arg(1) == 'fix' then
  if opens_ms ~= nil and calls_from == nil and not before_opening then
    redis.call('HSET', K.opening, 'calls_from', arg(2))
    calls_from = tonumber(arg(2))
  end
  return {'calls_from', calls_from or 0}
end
local base = tonumber(arg(1))
local drawn = {}
local i = 2
while arg(i) ~= nil do drawn[#drawn + 1] = arg(i) i = i + 1 end
advance(base, drawn)
return {'called', num(redis.call('GET', K.called))}
