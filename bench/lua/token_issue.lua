-- POST /queue/token with fresh users: thread t takes users t, t+T, ...
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local users, i, step
function init(args)
  users = lines(data("fresh_users.txt"))
  step = tonumber(os.getenv("BENCH_THREADS"))
  i = id + 1 - step
end
function request()
  i = i + step
  return wrk.format("POST", "/api/v1/queue/token", json_headers(),
    '{"userId":"' .. users[(i - 1) % #users + 1] .. '"}')
end
