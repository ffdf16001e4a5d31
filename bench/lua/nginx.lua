-- The HTTP ceiling: nginx's own `return 200`, no handler.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(200)
function request() return wrk.format("GET", "/__bench/nginx") end
