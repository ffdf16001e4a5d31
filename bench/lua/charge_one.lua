-- POST /users/{id}/charge to ONE user from every connection: the optimistic worst case.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local w
function init(args) w = words(lines(data("tokens.txt"))[1]) end
function request()
  return wrk.format("POST", "/api/v1/users/" .. w[1] .. "/charge", json_headers(w[2]), '{"amount":100}')
end
