-- POST /payments for prepared holds, each paid once.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local next_pair
function init(args) next_pair = stripe("pay.txt") end
function request()
  local w = words(next_pair())
  return wrk.format("POST", "/api/v1/payments", json_headers(w[1]), '{"reservationId":"' .. w[2] .. '"}')
end
