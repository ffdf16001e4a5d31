-- POST /users/{id}/charge spread over many users. Users are reused: a
-- charge of 100 moves a balance of 10^9 nowhere near its cap of 10^12.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(200)
local next_line
function init(args) next_line = rotation("tokens.txt") end
function request()
  local w = words(next_line())
  return wrk.format("POST", "/api/v1/users/" .. w[1] .. "/charge", json_headers(w[2]), '{"amount":100}')
end
