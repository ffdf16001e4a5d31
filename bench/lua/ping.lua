-- Our runtime's ceiling: a FastCGI route that does no I/O.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
expect(200)
function request() return wrk.format("GET", "/__bench/ping") end
