-- GET /queue/status with many distinct tokens (reused: a status read changes
-- nothing but the ticket's last-seen time): the main users' ACTIVE tokens, or
-- BENCH_TOKENS' (the room of a million's waiting tickets).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(200)
local next_line
function init(args) next_line = rotation(os.getenv("BENCH_TOKENS") or "tokens.txt") end
function request()
  return wrk.format("GET", "/api/v1/queue/status", json_headers(words(next_line())[2]))
end
