-- POST /users/{id}/charge spread over many users.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local next_line
function init(args) next_line = rotation("tokens.txt") end
function request()
  local w = words(next_line())
  return wrk.format("POST", "/api/v1/users/" .. w[1] .. "/charge", json_headers(w[2]), '{"amount":100}')
end
