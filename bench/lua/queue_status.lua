-- GET /queue/status with many distinct ACTIVE tokens.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local tokens, i
function init(args)
  tokens = lines(data("tokens.txt"))
  i = id * 7919
end
function request()
  i = i + 1
  return wrk.format("GET", "/api/v1/queue/status", json_headers(words(tokens[i % #tokens + 1])[2]))
end
