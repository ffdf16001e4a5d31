-- GET available-seats across many dates and tokens (reused: a read).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(200)
local tokens, i, dates, concert
function init(args)
  tokens = lines(data(os.getenv("BENCH_TOKENS") or "tokens.txt"))
  reused = #tokens
  dates = tonumber(os.getenv("BENCH_DATES"))
  concert = os.getenv("BENCH_CONCERT")
  i = id * 104729
end
function request()
  i = i + 1
  return wrk.format("GET", "/api/v1/concerts/" .. concert .. "/available-seats?date=" .. day(i % dates),
    json_headers(words(tokens[i % #tokens + 1])[2]))
end
