-- Shared by every wrk scenario: thread ids, data files, per-status counts,
-- and one machine-readable result line:
--   BENCH {"rps":..,"p50_ms":..,"p99_ms":..,"requests":..,"statuses":{"200":..},"socket_errors":..}
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  thread:set("nthreads", 0)
  counter = counter + 1
  table.insert(threads, thread)
end

statuses = {}

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then out[#out + 1] = line end
  end
  return out
end

function words(line)
  local out = {}
  for w in line:gmatch("%S+") do out[#out + 1] = w end
  return out
end

function data(name) return os.getenv("BENCH_DATA") .. "/" .. name end

-- The lines of a data file in turn, each thread starting at its own place
-- (lines are reused: for tokens that stay valid).
function rotation(name)
  local all, i = lines(data(name)), id * 7919
  return function()
    i = i + 1
    return all[i % #all + 1]
  end
end

-- Every BENCH_THREADS-th line of a data file, thread t from line t + 1, so
-- no two threads take the same line (for things used once: fresh users,
-- prepared holds). Wraps around when a thread runs out.
function stripe(name)
  local all, step = lines(data(name)), tonumber(os.getenv("BENCH_THREADS"))
  local i = id + 1 - step
  return function()
    i = i + step
    return all[(i - 1) % #all + 1]
  end
end

-- YYYY-MM-DD of BENCH_FIRST_DATE plus k days.
local first = os.getenv("BENCH_FIRST_DATE") or "2030-01-01"
local fy, fm, fd = first:match("(%d+)-(%d+)-(%d+)")
local first_time = os.time({year = tonumber(fy), month = tonumber(fm), day = tonumber(fd), hour = 12})
function day(k) return os.date("%Y-%m-%d", first_time + k * 86400) end

-- The secret bench/run.sh gave a user it made in the database.
function bench_secret(user) return "us_" .. (user:gsub("%-", "")) .. "AAAAAAAAAAA" end

function json_headers(token)
  local h = {["Content-Type"] = "application/json"}
  if token then h["Authorization"] = "Bearer " .. token end
  return h
end

function done(summary, latency, requests)
  local merged = {}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do merged[status] = (merged[status] or 0) + n end
  end
  local parts = {}
  for status, n in pairs(merged) do parts[#parts + 1] = string.format('"%d":%d', status, n) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"rps":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"requests":%d,"statuses":{%s},"socket_errors":%d}\n',
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, table.concat(parts, ","), e.connect + e.read + e.write + e.timeout))
end
