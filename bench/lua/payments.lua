-- POST /payments for prepared holds: thread t pays holds t, t+T, ...
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local pairs_, i, step
function init(args)
  pairs_ = lines(data("pay.txt"))
  step = tonumber(os.getenv("BENCH_THREADS"))
  i = id + 1 - step
end
function request()
  i = i + step
  local w = words(pairs_[(i - 1) % #pairs_ + 1])
  return wrk.format("POST", "/api/v1/payments", json_headers(w[1]), '{"reservationId":"' .. w[2] .. '"}')
end
