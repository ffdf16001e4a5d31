-- POST /users/{id}/charge to ONE user from every connection: the optimistic
-- worst case (every charge is retried until it applies, so still 200).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(200)
local w
function init(args)
  w = words(lines(data("tokens.txt"))[1])
  reused = 1
end
function request()
  return wrk.format("POST", "/api/v1/users/" .. w[1] .. "/charge", json_headers(w[2]), '{"amount":100}')
end
