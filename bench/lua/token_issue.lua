-- POST /queue/token with fresh users, each asked for once.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local next_user, concert
function init(args)
  next_user = stripe("fresh_users.txt")
  concert = os.getenv("BENCH_CONCERT")
end
function request()
  local user = next_user()
  return wrk.format("POST", "/api/v1/queue/token", json_headers(),
    '{"userId":"' .. user .. '","userSecret":"' .. bench_secret(user) .. '","concertId":' .. concert .. '}')
end
