-- POST /queue/token with fresh users, each asked for once: BENCH_USERS names
-- this run's own file of users that never had a ticket in the room.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(200)
local next_user, concert
function init(args)
  next_user = once(os.getenv("BENCH_USERS"))
  concert = os.getenv("BENCH_CONCERT")
end
function request()
  local user = next_user()
  if not user then return ran_dry() end
  return wrk.format("POST", "/api/v1/queue/token", json_headers(),
    '{"userId":"' .. user .. '","userSecret":"' .. bench_secret(user) .. '","concertId":' .. concert .. '}')
end
