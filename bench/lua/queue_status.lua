-- GET /queue/status with many distinct ACTIVE tokens (reused: a status read
-- changes nothing).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(200)
local next_line
function init(args) next_line = rotation("tokens.txt") end
function request()
  return wrk.format("GET", "/api/v1/queue/status", json_headers(words(next_line())[2]))
end
