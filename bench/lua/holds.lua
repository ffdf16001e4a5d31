-- POST /reservations on distinct free seats: thread t takes seats t, t+T, ...
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local tokens, n, step, seats, concert, offset
function init(args)
  tokens = lines(data(os.getenv("BENCH_TOKENS") or "tokens.txt"))
  step = tonumber(os.getenv("BENCH_THREADS"))
  seats = tonumber(os.getenv("BENCH_SEATS"))
  concert = os.getenv("BENCH_CONCERT")
  offset = tonumber(os.getenv("BENCH_SEAT_OFFSET") or "0")
  n = offset + id - step
end
function request()
  n = n + step
  local body = string.format('{"concertId":%s,"date":"%s","seatNumber":%d}', concert, day(math.floor(n / seats)), n % seats + 1)
  return wrk.format("POST", "/api/v1/reservations", json_headers(words(tokens[n % #tokens + 1])[2]), body)
end
