-- GET /queue/status with many distinct ACTIVE tokens.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local next_line
function init(args) next_line = rotation("tokens.txt") end
function request()
  return wrk.format("GET", "/api/v1/queue/status", json_headers(words(next_line())[2]))
end
