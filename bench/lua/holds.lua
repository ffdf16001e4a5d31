-- POST /reservations, each on a seat no one holds: the seats 0 ..
-- BENCH_SEAT_COUNT-1 of BENCH_CONCERT (seat n is number n % BENCH_SEATS + 1
-- on BENCH_FIRST_DATE + n / BENCH_SEATS days), each taken once (supply()).
-- bench/run.sh gives the seats back after every run.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(201)
local tokens, next_seat, seats, concert
function init(args)
  tokens = lines(data(os.getenv("BENCH_TOKENS") or "tokens.txt"))
  seats = tonumber(os.getenv("BENCH_SEATS"))
  concert = os.getenv("BENCH_CONCERT")
  next_seat = supply(tonumber(os.getenv("BENCH_SEAT_COUNT")))
end
function request()
  local n = next_seat()
  if not n then return ran_dry() end
  local body = string.format('{"concertId":%s,"date":"%s","seatNumber":%d}', concert, day(math.floor(n / seats)), n % seats + 1)
  return wrk.format("POST", "/api/v1/reservations", json_headers(words(tokens[n % #tokens + 1])[2]), body)
end
