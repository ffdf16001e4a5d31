#!/usr/bin/env bash
# `make bench`: every route through nginx against the ceilings of our own
# stack, measured in the same run, on data the size of a real sale.
#
# Starts its own stack (state in var/bench, wiped first; HTTP 28080) with
# production durability (innodb_flush_log_at_trx_commit=1) and a buffer pool
# that holds the data (1 GiB), loads the data, lets InnoDB write it out,
# runs the scenarios with wrk (bench/lua/) and bench/load.cpp, and writes
# bench/results/LATEST.md (the table), LATEST.png (ratios to ping) and
# LATEST.jsonl (raw lines). Results are never edited by hand.
#
# Environment: BENCH_SECONDS per wrk scenario (5), BENCH_CONNECTIONS (32),
# BENCH_WORKERS per pool for the main run (8), BENCH_BIG=0 to skip the
# 1,000,000-row scale run, BENCH_CURVE=0 to skip the pool-size curve,
# BENCH_HOLD=1 to load the data and keep the stack up for profiling by hand.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${BENCH_SECONDS:-5}
connections=${BENCH_CONNECTIONS:-32}
workers=${BENCH_WORKERS:-8}
threads=2
port=28080
state=$root/var/bench
results=$root/bench/results
data=$state/data
export BENCH_LUA=$root/bench/lua BENCH_DATA=$data BENCH_THREADS=$threads

# wrk, gnuplot and jq come with scripts/install-deps.sh (`make bench` runs it).
for tool in wrk gnuplot jq; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done

log() { echo "bench: $*" >&2; }
stack_pid=
# Every port below 32768: above it, a client's outgoing connection may hold
# the port (Linux's ephemeral range) and the server cannot bind it.
start_stack() {
  rm -f "$state/ready"
  scripts/stack.sh run --state "$state" --http-port $port --db-port 28306 --redis-port 28379 \
    --workers "$1" --bench --ready-file "$state/ready" >>"$state/stack.txt" 2>&1 &
  stack_pid=$!
  local deadline=$((SECONDS + 180))
  until [ -e "$state/ready" ]; do
    kill -0 $stack_pid 2>/dev/null && [ $SECONDS -lt $deadline ] || { log "stack did not start"; tail "$state/stack.txt"; exit 1; }
    sleep 0.2
  done
}
stop_stack() {
  [ -n "$stack_pid" ] || return 0
  kill -TERM $stack_pid 2>/dev/null || true
  wait $stack_pid 2>/dev/null || true
  stack_pid=
}
trap stop_stack EXIT

if curl -s -o /dev/null "http://127.0.0.1:$port/healthz"; then
  log "something already serves port $port (a bench stack left running?): stop it first"
  exit 1
fi
rm -rf "$state"
mkdir -p "$state" "$data" "$results"
chmod 755 "$state"
started=$SECONDS
log "starting the stack ($workers workers per pool)"
start_stack "$workers"
sql() { mariadb --socket="$state/mysql-run/mysqld.sock" -uroot -N concert "$@"; }
redis() { redis-cli -s "$state/run/redis.sock" "$@"; }
export CONCERT_DB_URL="unix://$state/mysql-run/mysqld.sock" CONCERT_REDIS_SOCKET="$state/run/redis.sock"
ctl() { bin/concertctl "$@" >/dev/null; }

# --- data ---------------------------------------------------------------------
log "loading data"
ctl settings set queue.capacity 1000000
ctl settings set queue.active_seconds 86400
ctl settings set queue.idle_seconds 86400
ctl settings set hold.seconds 86400
ctl settings set hold.max_per_user 1000
first_date=$(date -u -d '+1 day' +%F)
export BENCH_FIRST_DATE=$first_date
# Users with money (and the ledger rows that explain it), and fresh users
# that have never asked for a token. Each one's secret is made from its id
# ("us_", the id's 32 hex digits, 11 × "A": 43 base64url characters), so the
# clients (bench/load.cpp, bench/lua/common.lua) know it without a file.
sql -e "
  INSERT INTO users (id, name, balance) SELECT CONCAT('00000000-0000-7000-8000-', LPAD(LOWER(HEX(seq)), 12, '0')),
    'bench', 1000000000 FROM seq_1_to_25000;
  UPDATE users SET secret_hash = UNHEX(SHA2(CONCAT('us_', REPLACE(id, '-', ''), 'AAAAAAAAAAA'), 256));
  INSERT INTO balance_ledger (user_id, kind, amount, balance_after)
    SELECT id, 'CHARGE', 1000000000, 1000000000 FROM users WHERE name = 'bench';
  INSERT INTO users (id, name) SELECT CONCAT('00000000-0000-7000-9000-', LPAD(LOWER(HEX(seq)), 12, '0')),
    'fresh' FROM seq_1_to_100000;
  UPDATE users SET secret_hash = UNHEX(SHA2(CONCAT('us_', REPLACE(id, '-', ''), 'AAAAAAAAAAA'), 256))
    WHERE name = 'fresh';"
sql -e "SELECT id FROM users WHERE name = 'bench' ORDER BY id" >"$data/users.txt"
sql -e "SELECT id FROM users WHERE name = 'fresh' ORDER BY id" >"$data/fresh_users.txt"

# add_concert NAME DATES SEATS -> id; dates from tomorrow on, in bulk.
add_concert() {
  sql -e "INSERT INTO concerts (name) VALUES ('$1');
    SET @c = LAST_INSERT_ID();
    INSERT INTO concert_dates (concert_id, play_date, total_seats)
      SELECT @c, '$first_date' + INTERVAL (seq - 1) DAY, $3 FROM seq_1_to_$2;
    INSERT INTO seats (concert_date_id, seat_number, price)
      SELECT d.id, s.seq, 50000 FROM concert_dates d JOIN seq_1_to_$3 s WHERE d.concert_id = @c;
    SELECT @c;"
}
small=$(add_concert bench-small 2000 50)   # 100,000 seats: reads and holds
payc=$(add_concert bench-pay 300 50)       # holds prepared for payments
racec=$(add_concert bench-race 1 50)       # the opening-day race
journeyc=$(add_concert bench-journey 400 50)

head -n 5000 "$data/users.txt" >"$data/u_main.txt"
sed -n '5001,19000p' "$data/users.txt" >"$data/u_pay.txt"
sed -n '19001,21000p' "$data/users.txt" >"$data/u_race.txt"
# Tokens are of one concert's room each: the main users wait in the small
# concert's room, the payers in bench-pay's, the racers in bench-race's.
build/bench/load tokens "http://127.0.0.1:$port" "$data/u_main.txt" "$data/tokens.txt" 16 "$small"
build/bench/load tokens "http://127.0.0.1:$port" "$data/u_pay.txt" "$data/paytokens.txt" 16 "$payc"
build/bench/load tokens "http://127.0.0.1:$port" "$data/u_race.txt" "$data/racetokens.txt" 16 "$racec"
build/bench/load holds "http://127.0.0.1:$port" "$data/paytokens.txt" "$payc" "$first_date" 50 "$data/pay.txt" 16
# settle: InnoDB writes the freshly loaded pages out before anything is
# measured, so that every scenario (and the scale run against the small one)
# compares steady states, not a load's aftermath in the background.
settle() {
  local dirty deadline=$((SECONDS + 120))
  sql -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
  while dirty=$(sql -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | awk '{print $2}') &&
    [ "$dirty" -gt 100 ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.5
  done
  sql -e "SET GLOBAL innodb_max_dirty_pages_pct = 90"
  log "InnoDB settled: $dirty dirty pages left"
}
settle
log "data loaded in $((SECONDS - started)) s: $(sql -e 'SELECT COUNT(*) FROM seats') seats"

if [ "${BENCH_HOLD:-0}" = 1 ]; then
  # For profiling one route by hand: the stack and data stay up until Ctrl-C.
  log "BENCH_HOLD=1: stack on http://127.0.0.1:$port, data in $data; Ctrl-C stops it"
  while kill -0 $stack_pid 2>/dev/null; do sleep 1; done
  exit 0
fi

# --- scenarios ------------------------------------------------------------------
: >"$results/LATEST.jsonl"
# Where the CPU goes: clock ticks (user + system) of every process of the
# stack (the stack script and Redis, which runs as a daemon, and their
# descendants), by part: nginx, the handler pools, MariaDB, Redis, and the
# rest ("other": the stack's own scripts).
# The load generator is not part of the stack.
handler_names=$( (ls bin; echo ping) | cut -c1-15 | tr '\n' ' ')
# cpu_snapshot -> lines "PID:STARTTIME PART TICKS"
cpu_snapshot() {
  # One cat for them all; a process may exit between the listing and the
  # read, which is not an error.
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |
    awk -v roots="$stack_pid $(cat "$state"/run/redis.pid 2>/dev/null)" -v handlers="$handler_names" '
      BEGIN {
        n = split(handlers, h, " "); for (i = 1; i <= n; i++) is_handler[h[i]] = 1
        n = split(roots, r, " "); for (i = 1; i <= n; i++) is_root[r[i]] = 1
      }
      {
        # comm is in parentheses and may hold spaces or ")": the fields
        # after it count from the last ")".
        open = index($0, "("); match($0, /.*\)/); shut = RLENGTH
        pid = $1; name[pid] = substr($0, open + 1, shut - open - 1)
        split(substr($0, shut + 2), f, " ")
        ppid[pid] = f[2]; ticks[pid] = f[12] + f[13]; start[pid] = f[20]
      }
      END {
        for (p in name) {
          q = p; mine = 0
          for (depth = 0; depth < 64 && q + 0 > 1; depth++) { if (q in is_root) { mine = 1; break }; q = ppid[q] }
          if (!mine) continue
          c = name[p]
          part = c == "nginx" ? "nginx" : c == "mariadbd" ? "mariadb" : c == "redis-server" ? "redis" \
               : (c in is_handler) ? "handler" : "other"
          print p ":" start[p], part, ticks[p]
        }
      }'
}
# cpu_per_request BEFORE AFTER REQUESTS -> "nginx":us,... (CPU µs per request).
# A process that started meanwhile counts whole; one that ended is lost.
cpu_per_request() {
  local hz
  hz=$(getconf CLK_TCK)
  awk -v req="$3" -v hz="$hz" 'NR == FNR { before[$1] = $3; next }
    { d[$2] += $3 - (($1 in before) ? before[$1] : 0) }
    END {
      out = ""
      split("nginx handler mariadb redis other", parts, " ")
      for (i = 1; i <= 5; i++) {
        p = parts[i]
        out = out sprintf("%s\"%s\":%.0f", (i > 1 ? "," : ""), p, (req > 0 ? d[p] * 1e6 / hz / req : 0))
      }
      print out
    }' "$1" "$2"
}

# run NAME LUA [ENV=VALUE...]: one wrk scenario -> one JSON line.
run() {
  local name=$1 script=$2
  shift 2
  local line cpu requests
  cpu_snapshot >"$state/cpu.before"
  line=$(env "$@" wrk -t$threads -c"$connections" -d"${seconds}s" -s "$BENCH_LUA/$script" "http://127.0.0.1:$port" |
    grep '^BENCH ' | sed 's/^BENCH //')
  cpu_snapshot >"$state/cpu.after"
  requests=$(echo "$line" | sed 's/.*"requests":\([0-9]*\).*/\1/')
  cpu=$(cpu_per_request "$state/cpu.before" "$state/cpu.after" "$requests")
  line="${line%\}},\"cpu_us\":{$cpu}}"
  echo "{\"scenario\":\"$name\",${line#\{}" >>"$results/LATEST.jsonl"
  log "$name: $line"
  last_requests=$requests
}
seat_offset=0
holds_run() {  # holds on fresh seats each time: NAME CONCERT [ENV=VALUE...]
  run "$1" holds.lua BENCH_CONCERT="$2" BENCH_SEATS=50 BENCH_SEAT_OFFSET=$seat_offset "${@:3}"
  seat_offset=$((seat_offset + last_requests + 1000))
}

run "nginx return 200" nginx.lua
run "ping (our runtime)" ping.lua
run "GET /queue/status" queue_status.lua
run "POST /queue/token (fresh users)" token_issue.lua BENCH_CONCERT="$small"
run "GET available-seats" seats.lua BENCH_CONCERT="$small" BENCH_DATES=2000
holds_run "POST /reservations" "$small"
run "POST /users/{id}/charge (many users)" charge_many.lua
run "POST /users/{id}/charge (one user)" charge_one.lua
run "POST /payments" payments.lua

log "opening-day race: 2000 holds at once on 50 seats"
race=$(build/bench/load race "http://127.0.0.1:$port" "$data/racetokens.txt" "$racec" "$first_date" 2000) || race_failed=1
echo "{\"scenario\":\"opening-day race\",${race#\{}" >>"$results/LATEST.jsonl"
log "race: $race"
journey=$(build/bench/load journey "http://127.0.0.1:$port" "$journeyc" "$first_date" "$seconds" 8) || true
echo "{\"scenario\":\"journey\",${journey#\{}" >>"$results/LATEST.jsonl"
log "journey: $journey"

# --- scale: a million seats and a million tickets --------------------------------
if [ "${BENCH_BIG:-1}" = 1 ]; then
  log "loading 1,000,000 seats (20,000 dates) and 1,000,000 waiting tickets"
  big=$(add_concert bench-big 20000 50)
  # A million tickets behind ours, alive (seen far in the future) and, with
  # admission paused, all still waiting.
  # The million wait in the small concert's room, behind the tokens measured.
  ctl settings set queue.paused 1 --concert "$small"
  redis EVAL "
    local first = redis.call('INCRBY', KEYS[1], 1000000) - 999999
    for t = first, first + 999999 do
      redis.call('ZADD', KEYS[2], t, t)
      redis.call('ZADD', KEYS[3], 9999999999999, t)
    end
    return redis.call('ZCARD', KEYS[2])" 3 "{q:$small}:seq" "{q:$small}:waiting" "{q:$small}:seen" >/dev/null
  log "room now: $(bin/concertctl queue stats --concert "$small")"
  # The big concert's seats are read and held with tokens of its own room.
  build/bench/load tokens "http://127.0.0.1:$port" "$data/u_main.txt" "$data/bigtokens.txt" 16 "$big"
  settle
  run "GET /queue/status [big]" queue_status.lua
  run "GET available-seats [big]" seats.lua BENCH_CONCERT="$big" BENCH_DATES=20000 BENCH_TOKENS=bigtokens.txt
  holds_run "POST /reservations [big]" "$big" BENCH_TOKENS=bigtokens.txt
  ctl settings set queue.paused 0 --concert "$small"
fi

# --- pool-size curve ----------------------------------------------------------------
if [ "${BENCH_CURVE:-1}" = 1 ]; then
  for w in 1 2 4 8; do
    stop_stack
    start_stack "$w"
    run "ping [$w workers]" ping.lua
    run "GET available-seats [$w workers]" seats.lua BENCH_CONCERT="$small" BENCH_DATES=2000
    holds_run "POST /reservations [$w workers]" "$small"
  done
fi

check=$(bin/concertctl check | sed 's/.*"ok":\([a-z]*\).*/\1/')
stop_stack
log "done in $((SECONDS - started)) s; concertctl check ok: $check"
bench/report.sh "$results/LATEST.jsonl" "$results" "$seconds" "$connections" "$workers" "$check"
[ -z "${race_failed:-}" ] || { log "the race did not end with exactly 50 holds"; exit 1; }
