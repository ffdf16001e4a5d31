#!/usr/bin/env bash
# `make bench`: every route through nginx against the ceilings of our own
# stack, measured in the same run, on data the size of a real sale.
#
# Starts its own stack (state in var/bench, wiped first; HTTP 28080) with
# production durability (innodb_flush_log_at_trx_commit=1) and a buffer pool
# that holds the data (1 GiB), loads the data, lets InnoDB write it out,
# runs the scenarios with wrk (bench/lua/) and bench/load.cpp, each at every
# connection count of BENCH_CONNECTIONS, and writes bench/results/LATEST.md
# (the table), LATEST.png (each route's ratio to its engine) and
# LATEST.jsonl (raw lines), and regenerates docs/SCALING.md's one-host table
# (bench/docs.sh). Results are never edited by hand.
#
# A bench that cannot lie: every scenario declares the statuses it expects
# (expect(...) in bench/lua/*.lua; race and journey in bench/load.cpp), and
# its req/s counts only those. A scenario FAILs on any other status, on any
# socket error or timeout (wrk --timeout BENCH_TIMEOUT; curl's own), on
# prepared data that ran out (it never wraps around: the thread stops and
# the shortfall is counted), or with no expected response at all. Prepared
# data is sized for (BENCH_SECONDS + 1) × BENCH_RATE_BOUND requests per run
# (see "sizing" below). After writing the report, the run exits 1 if any
# scenario FAILed or `concertctl check` found a broken invariant.
#
# Environment: BENCH_SECONDS per wrk scenario (5), BENCH_CONNECTIONS, the
# connection counts every scenario runs at ("32 64"), BENCH_WORKERS per pool
# for the main run (8), BENCH_RATE_BOUND (20000 req/s, see "sizing"),
# BENCH_TIMEOUT (5 s: a slower answer is a socket error), BENCH_BIG=0 to skip
# the 1,000,000-row scale run, BENCH_CURVE=0 to skip the pool-size curve,
# BENCH_METRICS_ROUNDS (3; 0 skips) off/on pairs measuring what the pools'
# metrics counters cost, BENCH_KEEPALIVE_ROUNDS (3; 0 skips) off/on pairs
# measuring kept FastCGI connections (BENCH_KEEPALIVE idle ones per nginx
# worker, default BENCH_WORKERS / 2),
# BENCH_HOLD=1 to load the data and keep the stack up for profiling by hand,
# BENCH_ONLY, an extended regular expression: only the scenarios and engines
# whose names match it run (the data is loaded as always; bench/ab.sh uses it).
#
# BENCH_TARGET=cluster runs the same scenarios through the load balancer of
# a cluster (scripts/cluster.sh: three Galera nodes, Redis with Sentinels,
# two app hosts of BENCH_WORKERS workers per pool) instead of one stack; it
# skips nginx/ping (the cluster has no bench routes), the scale run, the
# pool curve and the metrics rounds. bench/cluster.sh (`make bench-cluster`)
# runs it next to a single stack of the same size and compares them.
#
# BENCH_SELFTEST=1 (`make bench-selftest`) tests the bench itself: besides
# every scenario it pays the same holds a second time (through HTTP and
# through the payments engine), pays from a file of too few holds, and runs
# the race again on seats already taken; each of
# those must be reported FAIL. It writes to var/bench-selftest/ (never over
# bench/results/) and exits 1 when they all FAILed as they must, 2 if the
# bench let one of them pass.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
seconds=${BENCH_SECONDS:-5}
connections=${BENCH_CONNECTIONS:-32 64}
workers=${BENCH_WORKERS:-8}
bound=${BENCH_RATE_BOUND:-20000}
timeout=${BENCH_TIMEOUT:-5}
selftest=${BENCH_SELFTEST:-0}
target=${BENCH_TARGET:-single}
threads=2
port=28080
state=${BENCH_STATE:-$root/var/bench}
case "$target" in
  single) ;;
  cluster)
    port=28480  # the cluster's load balancer
    [ "$selftest" = 1 ] && { echo "bench: BENCH_SELFTEST runs on one stack only" >&2; exit 1; }
    BENCH_BIG=0 BENCH_CURVE=0 BENCH_METRICS_ROUNDS=0 BENCH_KEEPALIVE_ROUNDS=0 ;;
  *) echo "bench: BENCH_TARGET is single or cluster, got '$target'" >&2; exit 1 ;;
esac
url=http://127.0.0.1:$port
if [ "$selftest" = 1 ]; then
  results=${BENCH_RESULTS:-$root/var/bench-selftest}
else
  results=${BENCH_RESULTS:-$root/bench/results}
fi
data=$state/data
export BENCH_LUA=$root/bench/lua BENCH_DATA=$data BENCH_THREADS=$threads

# --- sizing ---------------------------------------------------------------------
# Data used once (seats to hold, holds to pay, users that never had a ticket,
# dates for journeys) is sized so that no run can use it up on any machine of
# this kind: each run gets its own (BENCH_SECONDS + 1) × BENCH_RATE_BOUND
# items. The bound, 20,000 req/s, is above anything these routes can do on
# two cores: ≥ 7× the best holds and payments ever measured here (2,200 and
# 2,800 req/s), 2.4× token issue's (8,100), and over 3× what MariaDB commits
# for even a bare 3-statement transaction (6,000/s, STACK-NOTES.md). Raise it
# if a faster machine gets near: a run that wants more than it was given
# stops and FAILs ("ran dry"), it never reuses an item.
per_run=$(((seconds + 1) * bound))
read -ra conns <<<"$connections"
[ ${#conns[@]} -gt 0 ] || { echo "bench: BENCH_CONNECTIONS names no connection count" >&2; exit 1; }
max_conns=0
for c in "${conns[@]}"; do
  [[ "$c" =~ ^[1-9][0-9]*$ ]] || { echo "bench: BENCH_CONNECTIONS must be numbers, got '$connections'" >&2; exit 1; }
  [ "$c" -gt "$max_conns" ] && max_conns=$c
done
runs=${#conns[@]}
# The engine runs (each route's statements or script with no HTTP, below;
# BENCH_ENGINE=0 skips them) pay and issue tokens from slices of their own:
# one more run's share of holds, and two of fresh users, since Redis alone
# issues tokens faster than the rate bound (21,000 a second here).
engine=${BENCH_ENGINE:-$([ "$target" = single ] && echo 1 || echo 0)}
pay_lines=$(((runs + engine) * per_run))
selftest_holds=100  # the self-test's too-small file of holds to pay
[ "$selftest" = 1 ] && pay_lines=$((pay_lines + selftest_holds))
fresh_lines=$(((runs + 2 * engine) * per_run))
hold_dates=$(((per_run + 49) / 50))
# A journey is 6 requests; each run has its own dates, plus one per client
# for the uneven split of dates among clients.
journey_days=$(((per_run / 6 + 49) / 50 + max_conns))

# wrk, gnuplot and jq come with scripts/install-deps.sh (`make bench` runs it).
for tool in wrk gnuplot jq; do
  command -v "$tool" >/dev/null || { echo "bench: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done

log() { echo "bench: [$((SECONDS - ${started:-0})) s] $*" >&2; }
only=${BENCH_ONLY:-}
if [ -n "$only" ]; then
  rc=0; [[ "" =~ $only ]] || rc=$?
  [ "$rc" -le 1 ] || { echo "bench: BENCH_ONLY is not a regular expression: '$only'" >&2; exit 1; }
fi
wanted() { [ -z "$only" ] || [[ "$1" =~ $only ]]; }  # wanted NAME: BENCH_ONLY lets it run
stack_pid=
# Every port below 32768: above it, a client's outgoing connection may hold
# the port (Linux's ephemeral range) and the server cannot bind it.
start_stack() {  # WORKERS [stack.sh options...]
  rm -f "$state/ready"
  if [ "$target" = cluster ]; then
    scripts/cluster.sh run --state "$state/cluster" --prefix cb18 --subnet 10.218.41 --front-port $port --no-demo \
      --workers "$1" --ready-file "$state/ready" >>"$state/stack.txt" 2>&1 &
  else
  scripts/stack.sh run --state "$state" --http-port $port --metrics-port 28090 --db-port 28306 --redis-port 28379 \
    --workers "$1" --bench --ready-file "$state/ready" "${@:2}" >>"$state/stack.txt" 2>&1 &
  fi
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

if curl -s -o /dev/null "$url/healthz"; then
  log "something already serves port $port (a bench stack left running?): stop it first"
  exit 1
fi
rm -rf "$state"
mkdir -p "$state" "$data" "$results"
chmod 755 "$state"
started=$SECONDS
log "starting the stack ($workers workers per pool)"
start_stack "$workers"
if [ "$target" = cluster ]; then
  # Loads go to Galera node 1 (they replicate); concertctl finds a Synced
  # node and Sentinel's primary by itself.
  sql() { scripts/cluster.sh sql 1 --state "$state/cluster" -N "$@"; }
  concertctl() { scripts/cluster.sh ctl --state "$state/cluster" "$@"; }
else
  sql() { mariadb --socket="$state/mysql-run/mysqld.sock" -uroot -N concert "$@"; }
  export CONCERT_DB_URL="unix://$state/mysql-run/mysqld.sock" CONCERT_REDIS_SOCKET="$state/run/redis.sock"
  concertctl() { bin/concertctl "$@"; }
fi
ctl() { concertctl "$@" >/dev/null; }

# --- data ---------------------------------------------------------------------
log "loading data"
ctl settings set queue.capacity 1000000
ctl settings set queue.active_seconds 86400
ctl settings set queue.idle_seconds 86400
ctl settings set hold.seconds 86400
ctl settings set hold.max_per_user 1000
first_date=$(date -u -d '+1 day' +%F)
export BENCH_FIRST_DATE=$first_date
# add_users NAME VARIANT COUNT BALANCE: COUNT users named NAME, ids
# 00000000-0000-7000-VARIANT-<n>, with BALANCE (and the ledger row that
# explains it). Each one's secret is made from its id ("us_", the id's 32
# hex digits, 11 × "A": 43 base64url characters), so the clients
# (bench/load.cpp, bench/lua/common.lua) know it without a file.
add_users() {
  sql -e "
    INSERT INTO users (id, name, balance, secret_hash)
      SELECT u.id, '$1', $4, UNHEX(SHA2(CONCAT('us_', REPLACE(u.id, '-', ''), 'AAAAAAAAAAA'), 256))
      FROM (SELECT CONCAT('00000000-0000-7000-$2-', LPAD(LOWER(HEX(seq)), 12, '0')) AS id FROM seq_1_to_$3) u;
    INSERT INTO balance_ledger (user_id, kind, amount, balance_after)
      SELECT id, 'CHARGE', balance, balance FROM users WHERE name = '$1' AND balance > 0;"
  sql -e "SELECT id FROM users WHERE name = '$1' ORDER BY id"
}
# Users with money (the main users and the racers), payers (one prepared
# hold each), and fresh users that have never asked for a token.
log "$((7000 + pay_lines + fresh_lines)) users"
add_users bench 8000 7000 1000000000 >"$data/users.txt"
add_users payer a000 $pay_lines 1000000000 >"$data/payers.txt"
add_users fresh 9000 $fresh_lines 0 >"$data/fresh_users.txt"

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
log "concerts"
small=$(add_concert bench-small 2000 50)             # 100,000 seats: reads
holdc=$(add_concert bench-holds $hold_dates 50)      # one run's holds, given back after each
payc=$(add_concert bench-pay $(((pay_lines + 49) / 50)) 50)  # holds prepared for payments
racec=$(add_concert bench-race 1 50)                 # the opening-day race
journeyc=$(add_concert bench-journey $((runs * journey_days)) 50)

head -n 5000 "$data/users.txt" >"$data/u_main.txt"
sed -n '5001,7000p' "$data/users.txt" >"$data/u_race.txt"
# Tokens are of one concert's room each: the main users wait in the small
# concert's room and in bench-holds', the payers in bench-pay's, the racers
# in bench-race's.
tokens() { build/bench/load tokens "$url" "$data/$1" "$data/$2" 16 "$3"; }
tokens u_main.txt tokens.txt "$small"
tokens u_main.txt holdtokens.txt "$holdc"
tokens u_race.txt racetokens.txt "$racec"
log "$pay_lines tokens for payers"
tokens payers.txt paytokens.txt "$payc"
# The holds to pay, one per payer on a seat of its own, made as
# POST /reservations makes them (seat HELD and its version bumped, the
# holder's version bumped, a TEMPORARILY_RESERVED reservation ending with the
# hold) but in bulk: through HTTP they would take minutes.
log "$pay_lines holds to pay"
sql -e "
  CREATE TEMPORARY TABLE plan (seat_id BIGINT UNSIGNED PRIMARY KEY, user_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin,
    price BIGINT, rid CHAR(36) CHARACTER SET ascii COLLATE ascii_bin)
    SELECT s.id AS seat_id, u.id AS user_id, s.price, UUID() AS rid
    FROM (SELECT id, ROW_NUMBER() OVER (ORDER BY id) AS n FROM users WHERE name = 'payer') u
    JOIN (SELECT s.id, s.price, ROW_NUMBER() OVER (ORDER BY s.id) AS n FROM seats s
          JOIN concert_dates d ON d.id = s.concert_date_id WHERE d.concert_id = $payc) s ON s.n = u.n;
  SET @until = NOW(3) + INTERVAL 86400 SECOND;
  UPDATE seats s JOIN plan p ON p.seat_id = s.id
    SET s.status = 'HELD', s.holder_id = p.user_id, s.hold_expires_at = @until, s.version = s.version + 1;
  UPDATE users u JOIN plan p ON p.user_id = u.id SET u.version = u.version + 1;
  INSERT INTO reservations (id, user_id, seat_id, price, status, expires_at)
    SELECT rid, user_id, seat_id, price, 'TEMPORARILY_RESERVED', @until FROM plan;
  SELECT user_id, rid FROM plan ORDER BY user_id;" >"$data/holds.txt"
# "token reservationId", one line per payer; each run pays its own slice.
awk 'NR == FNR { token[$1] = $2; next } { print token[$1], $2 }' "$data/paytokens.txt" "$data/holds.txt" >"$data/pay.txt"
[ "$(wc -l <"$data/pay.txt")" -eq "$pay_lines" ] || { log "prepared $(wc -l <"$data/pay.txt") holds to pay, not $pay_lines"; exit 1; }
# slice FILE K COUNT OUT: lines K*COUNT+1 .. (K+1)*COUNT of FILE.
slice() { sed -n "$(($2 * $3 + 1)),$((($2 + 1) * $3))p" "$data/$1" >"$data/$4"; }
for k in "${!conns[@]}"; do
  slice pay.txt "$k" "$per_run" "pay.c${conns[$k]}.txt"
  slice fresh_users.txt "$k" "$per_run" "fresh.c${conns[$k]}.txt"
done
if [ "$engine" = 1 ]; then
  slice pay.txt "$runs" "$per_run" pay.engine.txt
  sed -n "$((runs * per_run + 1)),$(((runs + 2) * per_run))p" "$data/fresh_users.txt" >"$data/fresh.engine.txt"
fi
[ "$selftest" = 1 ] && tail -n $selftest_holds "$data/pay.txt" >"$data/pay.selftest.txt"
# settle: InnoDB writes the freshly loaded pages out before anything is
# measured, so that every scenario (and the scale run against the small one)
# compares steady states, not a load's aftermath in the background.
# (On a cluster, every node.)
each_node() {
  if [ "$target" = cluster ]; then
    local n
    for n in 1 2 3; do scripts/cluster.sh sql "$n" --state "$state/cluster" -N "$@"; done
  else
    sql "$@"
  fi
}
settle() {
  local dirty deadline=$((SECONDS + 120))
  each_node -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
  while dirty=$(each_node -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | awk '{s += $2} END {print s + 0}') &&
    [ "$dirty" -gt 100 ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.5
  done
  each_node -e "SET GLOBAL innodb_max_dirty_pages_pct = 90"
  log "InnoDB settled: $dirty dirty pages left; $(sql -e "
    SELECT CONCAT(ROUND(SUM(data_length + index_length) / 1048576), ' MB of data and indexes, buffer pool ',
      @@innodb_buffer_pool_size DIV 1048576, ' MB') FROM information_schema.tables WHERE table_schema = 'concert'")"
}
log "InnoDB settling"
settle
log "data loaded in $((SECONDS - started)) s: $(sql -e 'SELECT COUNT(*) FROM seats') seats"

if [ "${BENCH_HOLD:-0}" = 1 ]; then
  # For profiling one route by hand: the stack and data stay up until Ctrl-C.
  log "BENCH_HOLD=1: stack on $url, data in $data; Ctrl-C stops it"
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

# judge: a result line gets "verdict" (PASS or FAIL) and "why" (the reasons
# it failed): any status it did not expect, any socket error or timeout,
# prepared data that ran out, no expected response at all, and what the
# scenario itself reported as wrong ("problems", from bench/load.cpp).
judge='
  (.expect // [] | map(tostring)) as $want
  | ([.statuses // {} | to_entries[] | select(.key as $k | $want | any(. == $k) | not) | .value] | add // 0) as $other
  | [ (if $other > 0 then "\($other) unexpected responses" else empty end),
      (if (.socket_errors // 0) > 0 then "\(.socket_errors) socket errors or timeouts" else empty end),
      (if (.data.short // 0) > 0 then "ran dry: had \(.data.had), \(.data.short) more wanted" else empty end),
      (if (.expected // 0) == 0 then "no expected response" else empty end),
      (.problems // [])[] ] as $why
  | . + {verdict: (if $why == [] then "PASS" else "FAIL" end), why: $why}'
# record NAME CONNECTIONS JSON [EXTRA_JSON]: judges one result and appends it
# to LATEST.jsonl; a scenario that printed nothing is a FAIL of its own.
record() {
  local line=${3:-} extra=${4:-}
  jq -e 'type == "object"' >/dev/null 2>&1 <<<"$line" || line='{"problems":["no result line"]}'
  [ -n "$extra" ] || extra='{}'
  line=$(jq -c --arg s "$1" --argjson c "$2" --argjson extra "$extra" \
    "{scenario: \$s, connections: \$c} + . + \$extra | $judge" <<<"$line")
  echo "$line" >>"$results/LATEST.jsonl"
  log "$1 -c$2: $(jq -r '"\(.verdict) \(.rps // "-") req/s \(.statuses) \(.why | join("; "))"' <<<"$line")"
}

# cpu_since LINE: the CPU per request (cpu_per_request's fields) of the run
# that printed the result LINE, from $state/cpu.before, taken before it,
# to now.
cpu_since() {
  local requests=0
  cpu_snapshot >"$state/cpu.after"
  jq -e 'type == "object"' >/dev/null 2>&1 <<<"$1" && requests=$(jq -r '.requests // 0' <<<"$1")
  cpu_per_request "$state/cpu.before" "$state/cpu.after" "$requests"
}
# run NAME CONNECTIONS LUA [ENV=VALUE...]: one wrk scenario -> one JSON line.
run() {
  local name=$1 c=$2 script=$3
  shift 3
  wanted "$name" || return 0
  local line cpu
  cpu_snapshot >"$state/cpu.before"
  line=$(env "$@" wrk -t$threads -c"$c" -d"${seconds}s" --timeout "${timeout}s" -s "$BENCH_LUA/$script" \
    "$url" | grep '^BENCH ' | sed 's/^BENCH //') || true
  cpu=$(cpu_since "$line")
  record "$name" "$c" "$line" "{\"cpu_us\":{$cpu}${selftest_mark:-}${run_mark:-}}"
}
# holds_run NAME CONCERT CONNECTIONS [ENV=VALUE...]: holds on seats 0 ..
# per_run-1 of CONCERT, then every hold of CONCERT given back as
# DELETE /reservations/{id} does (CANCELLED, seat FREE), in bulk: each run
# starts on free seats, and one run's share of seats is enough.
holds_run() {
  run "$1" "$3" holds.lua BENCH_CONCERT="$2" BENCH_SEATS=50 BENCH_SEAT_COUNT=$per_run "${@:4}"
  give_back "$2"
}
give_back() {  # give_back CONCERT: every live hold of CONCERT cancelled, its seat FREE
  sql -e "
    UPDATE concert_dates d JOIN seats s ON s.concert_date_id = d.id
      JOIN reservations r ON r.seat_id = s.id AND r.user_id = s.holder_id AND r.expires_at = s.hold_expires_at
    SET r.status = 'CANCELLED', r.version = r.version + 1,
      s.status = 'FREE', s.holder_id = NULL, s.hold_expires_at = NULL, s.version = s.version + 1
    WHERE d.concert_id = $1 AND s.status = 'HELD' AND r.status = 'TEMPORARILY_RESERVED'"
}
# engine NAME MODE [OPTIONS...]: the route's own engine with no HTTP in front
# (bench/engine.cpp: the route's store function, the same statements or
# script, against the same MariaDB and Redis), from as many processes with
# one connection each as the route's pool has workers; judged like the rest.
# Its CPU per request is taken like a scenario's, with the engine's own
# processes (client_cpu_us, from the engine) in the handler's place.
engine_run() {
  [ "$engine" = 1 ] && wanted "$1" || return 0
  local line cpu
  cpu_snapshot >"$state/cpu.before"
  line=$(build/bench/engine "$2" -c "$workers" -d "$seconds" "${@:3}" 2>>"$state/engine.txt") || true
  cpu=$(cpu_since "$line")
  record "$1" "$workers" "$line" "{\"engine\":true,\"engine_cpu_us\":{$cpu}${selftest_mark:-}}"
}
# each NAME LUA [ENV=VALUE...]: a wrk scenario at every connection count
# (ENV values may name @C@, the connection count).
each() {
  local name=$1 script=$2 c
  shift 2
  for c in "${conns[@]}"; do run "$name" "$c" "$script" "${@//@C@/$c}"; done
}

if [ "$target" = single ]; then
  each "nginx return 200" nginx.lua
  each "ping (our runtime)" ping.lua
fi
each "GET /queue/status" queue_status.lua
engine_run "engine: Redis of GET /queue/status" redis-status --tokens tokens.txt
each "POST /queue/token (fresh users)" token_issue.lua BENCH_CONCERT="$small" BENCH_USERS=fresh.c@C@.txt
engine_run "engine: Redis of POST /queue/token" redis-token --concert "$small" --users fresh.engine.txt
each "GET available-seats" seats.lua BENCH_CONCERT="$small" BENCH_DATES=2000
engine_run "engine: SQL of GET available-seats" sql-seats --concert "$small" --dates 2000
for c in "${conns[@]}"; do holds_run "POST /reservations" "$holdc" "$c" BENCH_TOKENS=holdtokens.txt; done
if [ "$engine" = 1 ]; then
  engine_run "engine: SQL of POST /reservations" sql-holds --concert "$holdc" --seat-count $per_run --users holdtokens.txt
  give_back "$holdc"
fi
each "POST /users/{id}/charge (many users)" charge_many.lua
engine_run "engine: SQL of POST /users/{id}/charge (many users)" sql-charge --users tokens.txt
each "POST /users/{id}/charge (one user)" charge_one.lua
engine_run "engine: SQL of POST /users/{id}/charge (one user)" sql-charge --users tokens.txt --one
each "POST /payments" payments.lua BENCH_PAY=pay.c@C@.txt
engine_run "engine: SQL of POST /payments" sql-payments --pay pay.engine.txt
if [ "$selftest" = 1 ]; then
  # The bench's own test: these must FAIL. The first run's file of holds
  # again, so that the holds it paid are paid a second time (the faster
  # machine's bug, on purpose), and a file of too few holds.
  selftest_mark=',"selftest":true'
  run "POST /payments (self-test: the same holds again)" "${conns[0]}" payments.lua BENCH_PAY="pay.c${conns[0]}.txt"
  run "POST /payments (self-test: $selftest_holds holds for ${seconds} s)" "${conns[0]}" payments.lua BENCH_PAY=pay.selftest.txt
  # The engines are judged alike: paying the engine's holds again must FAIL.
  engine_run "engine: SQL of POST /payments (self-test: the same holds again)" sql-payments --pay pay.engine.txt
  selftest_mark=
fi

if wanted "opening-day race"; then
  log "opening-day race: 2000 holds at once on 50 seats"
  race=$(build/bench/load race "$url" "$data/racetokens.txt" "$racec" "$first_date" 2000) || true
  record "opening-day race" 2000 "$race"
fi
if [ "$selftest" = 1 ]; then
  race=$(build/bench/load race "$url" "$data/racetokens.txt" "$racec" "$first_date" 2000) || true
  record "opening-day race (self-test: seats already taken)" 2000 "$race" '{"selftest":true}'
fi
for k in "${!conns[@]}"; do
  wanted journey || break
  c=${conns[$k]}
  journey=$(build/bench/load journey "$url" "$journeyc" "$first_date" $((k * journey_days)) \
    "$journey_days" "$seconds" "$c") || true
  record "journey" "$c" "$journey"
done

# --- what metrics cost: ping and queue status with the pools' counters off and on,
# interleaved (off, on, off, on, ...) on freshly started stacks, so the machine's
# drift over the minutes falls on both alike. BENCH_METRICS_ROUNDS (3) pairs.
if [ "${BENCH_METRICS_ROUNDS:-3}" -gt 0 ]; then
  for round in $(seq "${BENCH_METRICS_ROUNDS:-3}"); do
    for state_of_metrics in off on; do
      stop_stack
      if [ "$state_of_metrics" = off ]; then start_stack "$workers" --no-metrics; else start_stack "$workers"; fi
      run "ping [metrics $state_of_metrics]" "${conns[0]}" ping.lua
      run "GET /queue/status [metrics $state_of_metrics]" "${conns[0]}" queue_status.lua
    done
  done
  stop_stack
  start_stack "$workers"
fi

# --- kept FastCGI connections: the same scenarios on stacks started without
# and with them (scripts/stack.sh --fastcgi-keepalive: an upstream group per
# route, fastcgi_keep_conn, up to BENCH_KEEPALIVE idle connections per nginx
# worker, default half the pool's workers; a worker serves every connection
# it holds, so idle ones never pin it), interleaved off/on,
# BENCH_KEEPALIVE_ROUNDS (3) pairs; req/s and p99.
if [ "${BENCH_KEEPALIVE_ROUNDS:-3}" -gt 0 ]; then
  keep=${BENCH_KEEPALIVE:-$((workers / 2))}
  [ "$keep" -ge 1 ] || keep=1
  for round in $(seq "${BENCH_KEEPALIVE_ROUNDS:-3}"); do
    for kept in off on; do
      stop_stack
      run_mark=
      if [ "$kept" = off ]; then start_stack "$workers"; else start_stack "$workers" --fastcgi-keepalive "$keep"; run_mark=",\"keepalive\":$keep"; fi
      for c in "${conns[@]}"; do
        run "GET /queue/status [keepalive $kept]" "$c" queue_status.lua
        run "GET available-seats [keepalive $kept]" "$c" seats.lua BENCH_CONCERT="$small" BENCH_DATES=2000
        holds_run "POST /reservations [keepalive $kept]" "$holdc" "$c" BENCH_TOKENS=holdtokens.txt
      done
    done
  done
  run_mark=
  stop_stack
  start_stack "$workers"
fi

# --- scale: a million seats and a million tickets --------------------------------
if [ "${BENCH_BIG:-1}" = 1 ]; then
  log "loading 1,000,000 seats (20,000 dates) and a room of 1,000,000 waiting tickets"
  # At least a million seats, and at least one run's share for the holds.
  big=$(add_concert bench-big $(( hold_dates > 20000 ? hold_dates : 20000 )) 50)
  # A room of a million: a concert of its own whose room admits the default
  # 100; 1,000,100 tickets issued through the code POST /queue/token runs
  # (bench/room.cpp: the same script, every key a ticket has), so 100 are
  # ACTIVE and 1,000,000 wait. Redis's memory is read before and after.
  # Tokens for 5,000 of the waiting, spread over the line, are what the
  # status scenario polls. (Idle and ACTIVE time are the bench's day: nobody
  # lapses while it is measured.)
  million=$(add_concert bench-million 1 50)
  ctl settings set queue.capacity 100 --concert "$million"
  fill=$(CONCERT_TOKEN_SECRET=$(cat "$state/token-secret") build/bench/room fill "$million" 1000100 4 5000 "$data/milliontokens.txt")
  echo "$fill" | jq -c '{scenario: "a room of a million: fill", kind: "million"} + .' >>"$results/LATEST.jsonl"
  log "room now: $(concertctl queue stats --concert "$million"); $(jq -r '"\(.bytes_per_ticket) bytes of Redis memory per ticket, filled in \(.seconds) s"' <<<"$fill")"
  # The poll rate server pacing implies for that room with the contract's
  # default settings (capacity 100, ACTIVE 600 s, idle 120 s), admitting 100
  # a minute (every slot turning over once a minute; slower admission asks
  # for fewer polls), and with a room override of queue.idle_seconds 360.
  for idle in 120 360; do
    build/bench/room pacing 1000000 100 600 "$idle" 100 |
      jq -c '{scenario: "a room of a million: pacing", kind: "million"} + .' >>"$results/LATEST.jsonl"
  done
  # The big concert's seats are read and held with tokens of its own room.
  tokens u_main.txt bigtokens.txt "$big"
  settle
  each "GET /queue/status [big]" queue_status.lua BENCH_TOKENS=milliontokens.txt
  each "GET available-seats [big]" seats.lua BENCH_CONCERT="$big" BENCH_DATES=20000 BENCH_TOKENS=bigtokens.txt
  for c in "${conns[@]}"; do holds_run "POST /reservations [big]" "$big" "$c" BENCH_TOKENS=bigtokens.txt; done
fi

# --- pool-size curve ----------------------------------------------------------------
if [ "${BENCH_CURVE:-1}" = 1 ]; then
  for w in 1 2 4 8; do
    stop_stack
    start_stack "$w"
    each "ping [$w workers]" ping.lua
    each "GET available-seats [$w workers]" seats.lua BENCH_CONCERT="$small" BENCH_DATES=2000
    for c in "${conns[@]}"; do holds_run "POST /reservations [$w workers]" "$holdc" "$c" BENCH_TOKENS=holdtokens.txt; done
  done
fi

check=$(concertctl check | sed 's/.*"ok":\([a-z]*\).*/\1/')
stop_stack
log "done in $((SECONDS - started)) s; concertctl check ok: $check"
bench/report.sh "$results/LATEST.jsonl" "$results" "$seconds" "${conns[*]}" "$workers" "$check" \
  "$bound" "$timeout" "$selftest"
# docs/SCALING.md's one-host table comes from a full run's lines (never by hand).
if [ "$results" = "$root/bench/results" ] && [ "$target" = single ] && [ "$selftest" != 1 ]; then
  bench/docs.sh one-host "$results/LATEST.jsonl"
fi

# The verdict, after the report is written.
failed=$(jq -r 'select(.verdict == "FAIL" and (.selftest | not)) | "  \(.scenario) -c\(.connections): \(.why | join("; "))"' \
  "$results/LATEST.jsonl")
[ -z "$failed" ] || log "FAIL:"$'\n'"$failed"
[ "$check" = true ] || log "FAIL: concertctl check found broken invariants"
if [ "$selftest" = 1 ]; then
  provoked=$(jq -s 'map(select(.selftest)) | length' "$results/LATEST.jsonl")
  caught=$(jq -s 'map(select(.selftest and .verdict == "FAIL")) | length' "$results/LATEST.jsonl")
  jq -r 'select(.selftest) | "  \(.verdict) \(.scenario) -c\(.connections): \(.why | join("; "))"' "$results/LATEST.jsonl" >&2
  if [ "$caught" -ne "$provoked" ]; then
    log "SELF-TEST BROKEN: the bench passed $((provoked - caught)) of $provoked scenarios it must fail"
    exit 2
  fi
  log "self-test: all $provoked provoked scenarios FAILED, as they must ($( [ -z "$failed" ] && echo "every other scenario passed" || echo "and other scenarios failed too, above")); report in $results"
  exit 1
fi
[ -z "$failed" ] && [ "$check" = true ] || exit 1
log "every scenario PASSED"
