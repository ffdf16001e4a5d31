-- POST /payments for prepared holds, each paid once: BENCH_PAY names this
-- run's own file of "token reservationId" lines (one admission each).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(200)
local next_pair
function init(args) next_pair = once(os.getenv("BENCH_PAY")) end
function request()
  local pair = next_pair()
  if not pair then return ran_dry() end
  local w = words(pair)
  return wrk.format("POST", "/api/v1/payments", json_headers(w[1]), '{"reservationId":"' .. w[2] .. '"}')
end
