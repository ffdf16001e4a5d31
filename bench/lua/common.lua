-- Shared by every wrk scenario: thread ids, data files, per-status counts,
-- the statuses a scenario expects, what its prepared data allowed, and one
-- machine-readable result line:
--   BENCH {"rps":..,"rps_all":..,"p50_ms":..,"p99_ms":..,"requests":..,"expected":..,
--          "expect":[201],"statuses":{"201":..},"socket_errors":..,"errors":{..},
--          "data":{"had":..,"used":..,"short":..} or {"reused":..}}
-- rps counts only the expected statuses; rps_all counts every response.
-- bench/run.sh judges the line (any other status, a socket error, data that
-- ran short or no expected response at all is a FAIL).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

statuses = {}
-- Per thread: data items handed out (used), the thread's share of the
-- prepared items (had), requests that found none left (short), and the size
-- of a file whose lines may be reused (reused).
used, had, short, reused = 0, 0, 0, 0

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

-- The statuses this scenario counts as its work, e.g. expect(201) or
-- expect(201, 409). Every scenario declares them.
local expected = nil
function expect(...) expected = {...} end

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
-- (lines are reused: for tokens that stay valid and users charged again).
function rotation(name)
  local all, i = lines(data(name)), id * 7919
  reused = #all
  return function()
    i = i + 1
    return all[i % #all + 1]
  end
end

-- Hands out 0 .. count-1, each once: thread t takes t, t+T, t+2T, ...
-- (T = BENCH_THREADS), so no two threads take the same one. It never wraps
-- around: past its share it returns nil, counts the request it could not
-- make (short) and stops the thread, and the scenario FAILs as run dry.
-- (wrk calls request() once before the run to check it: that item is used
-- but never sent.)
function supply(count)
  local step = tonumber(os.getenv("BENCH_THREADS"))
  local i = id - step
  had = had + math.max(0, math.floor((count - id + step - 1) / step))
  return function()
    if i + step >= count then
      short = short + 1
      wrk.thread:stop()
      return nil
    end
    i = i + step
    used = used + 1
    return i
  end
end

-- The lines of a data file, each used once (fresh users, prepared holds):
-- supply() over them.
function once(name)
  local all = lines(data(name))
  local next_index = supply(#all)
  return function()
    local i = next_index()
    return i and all[i + 1]
  end
end

-- What a thread sends after its data ran out, while it stops: a path no
-- route serves (404), so it can never count as work.
function ran_dry()
  return wrk.format("GET", "/__bench/ran-dry")
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
  assert(expected, "the scenario must declare its expected statuses with expect(...)")
  local is_expected = {}
  for _, s in ipairs(expected) do is_expected[s] = true end
  local merged, d = {}, {used = 0, had = 0, short = 0, reused = 0}
  for _, t in ipairs(threads) do
    for status, n in pairs(t:get("statuses")) do merged[status] = (merged[status] or 0) + n end
    for k in pairs(d) do d[k] = d[k] + t:get(k) end
  end
  local parts, good = {}, 0
  for status, n in pairs(merged) do
    parts[#parts + 1] = string.format('"%d":%d', status, n)
    if is_expected[status] then good = good + n end
  end
  local want = {}
  for _, s in ipairs(expected) do want[#want + 1] = tostring(s) end
  local data_json
  if d.reused > 0 then
    data_json = string.format('{"reused":%d}', d.reused / #threads)
  elseif d.had > 0 or d.short > 0 then
    data_json = string.format('{"had":%d,"used":%d,"short":%d}', d.had, d.used, d.short)
  else
    data_json = "null"
  end
  local e, seconds = summary.errors, summary.duration / 1e6
  io.write(string.format(
    'BENCH {"rps":%.1f,"rps_all":%.1f,"p50_ms":%.3f,"p99_ms":%.3f,"requests":%d,"expected":%d,' ..
    '"expect":[%s],"statuses":{%s},"socket_errors":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"data":%s}\n',
    good / seconds, summary.requests / seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    summary.requests, good, table.concat(want, ","), table.concat(parts, ","),
    e.connect + e.read + e.write + e.timeout, e.connect, e.read, e.write, e.timeout, data_json))
end
