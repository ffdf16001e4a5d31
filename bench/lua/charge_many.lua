-- POST /users/{id}/charge spread over many users.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local tokens, i
function init(args)
  tokens = lines(data("tokens.txt"))
  i = id * 7919
end
function request()
  i = i + 1
  local w = words(tokens[i % #tokens + 1])
  return wrk.format("POST", "/api/v1/users/" .. w[1] .. "/charge", json_headers(w[2]), '{"amount":100}')
end
