#!/usr/bin/env bash
# Fault injection under a steady mixed load, on the integration stack (run by
# tests/run.sh after the other suites):
#
#   8 clients loop token -> charge -> hold -> pay (build/fault_load) for
#   FAULT_SECONDS (36) while this script kills handler workers with SIGKILL,
#   stops and restarts Redis, stops and restarts MariaDB, and holds a row
#   lock for 4 s. After each fault it measures how long until the service
#   answers again by itself. Then it reconciles every client's own record of
#   what succeeded with the balances in the database and runs concertctl check.
#
#   Last, a Redis failover: a replica of the stack's Redis joins, the primary
#   is killed with SIGKILL, the stack's Sentinel promotes the replica, and the
#   second instance (which finds Redis through that Sentinel) must issue
#   queue tokens again by itself within 10 s, answering nothing but 200 and
#   503 meanwhile. (The first instance talks to the dead primary's socket
#   and stays down: this suite runs last.)
#
#   tests/faults/run.sh STATE_DIR BASE_URL DB_PORT REDIS_PORT SECOND_URL SENTINEL_PORT
#     -> a table, then "faults: N passed, N failed"
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
state=$1 url=$2 db_port=$3 redis_port=$4 url_b=$5 sentinel_port=$6
replica_port=${FAULT_REPLICA_PORT:-26399}
seconds=${FAULT_SECONDS:-36}
tmp=$(mktemp -d /tmp/concert-faults.XXXXXX)
passed=0
failed=0
load=
lock=
# Whatever way this script ends, the load and the lock holder it started stop
# (by their pids) and the scratch directory goes.
cleanup() {
  for pid in $load $lock; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  [ -s "$tmp/replica.pid" ] && kill -TERM "$(cat "$tmp/replica.pid")" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
sql() { mariadb --socket="$state/mysql-run/mysqld.sock" -uroot -N concert "$@"; }
ctl() { CONCERT_REDIS_PORT=$redis_port CONCERT_DB_URL="unix://$state/mysql-run/mysqld.sock" "$root/bin/concertctl" "$@"; }
verdict() {  # verdict NAME CONDITION-EXIT-STATUS DETAIL
  if [ "$2" -eq 0 ]; then echo "PASS $1: $3"; passed=$((passed + 1)); else echo "FAIL $1: $3"; failed=$((failed + 1)); fi
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

# Seconds until /healthz answers 200 again (gives up after 30 s).
recovery() {
  local start
  start=$(date +%s.%N)
  for _ in $(seq 300); do
    [ "$(curl -s -o /dev/null -w '%{http_code}' -m 2 "$url/healthz")" = 200 ] && { since "$start"; return; }
    sleep 0.1
  done
  echo "never"
}

workers_of() { cat "/proc/$(cat "$state/run/$1.pid")/task/$(cat "$state/run/$1.pid")/children" 2>/dev/null; }

redis-cli -p "$redis_port" FLUSHDB >/dev/null
redis-cli -p "$redis_port" HSET '{q}:settings' queue.capacity 100000 >/dev/null
for i in $(seq 8); do
  curl -s -X POST -H 'Content-Type: application/json' "$url/api/v1/users" -d '{"name":"fault client"}' | jq -r '"\(.userId) \(.userSecret)"'
done >"$tmp/users"
[ "$(wc -l <"$tmp/users")" -eq 8 ] || { echo "faults: could not sign up the clients"; echo "faults: 0 passed, 1 failed"; exit 1; }
first=$(date -u -d '+1 day' +%F)
dates=$(for d in $(seq 1 150); do date -u -d "+$d day" +%F; done | paste -sd,)
# Each round charges 1000 and pays a seat of 1000: money flows both ways.
concert=$(ctl concert add --name "Fault injection" --dates "$dates" --price 1000 | sed 's/.*"concertId":\([0-9]*\).*/\1/')

"$root/build/fault_load" "$url" "$tmp/users" "$concert" "$first" "$seconds" "$tmp/outcomes" >"$tmp/load.json" &
load=$!
declare -a table

sleep 3
for pool in reservations_create users_charge payments_create; do
  victim=$(workers_of $pool | awk '{print $1}')
  [ -n "$victim" ] && kill -KILL "$victim"
done
start=$(date +%s.%N)
for _ in $(seq 100); do
  ok=1
  for pool in reservations_create users_charge payments_create; do [ "$(workers_of $pool | wc -w)" -ge 2 ] || ok=0; done
  [ $ok -eq 1 ] && break
  sleep 0.1
done
table+=("kill -9 a worker of 3 pools | pools whole again in $(since "$start") s")

sleep 3
redis-cli -p "$redis_port" SHUTDOWN NOSAVE >/dev/null 2>&1
sleep 3
"$root/scripts/stack.sh" start-redis --state "$state" --redis-port "$redis_port" --ephemeral
table+=("Redis stopped 3 s, restarted | answering again $(recovery) s after the restart")

sleep 4
pid=$(cat "$state/mysql-run/mysqld.pid")
kill -TERM "$pid"
while kill -0 "$pid" 2>/dev/null && [ "$(awk '{print $3}' /proc/"$pid"/stat 2>/dev/null)" != Z ]; do sleep 0.1; done
sleep 2
"$root/scripts/stack.sh" start-mariadb --state "$state" --db-port "$db_port" --ephemeral
table+=("MariaDB stopped (SIGTERM), down 2 s, restarted | answering again $(recovery) s after the restart")

sleep 4
victim_user=$(head -1 "$tmp/users" | cut -d' ' -f1)
sql -e "START TRANSACTION; SELECT id FROM users WHERE id = '$victim_user' FOR UPDATE; DO SLEEP(4); COMMIT;" >/dev/null &
lock=$!
sleep 4.5
wait $lock
lock=
table+=("a user's row locked for 4 s by another connection | answering $(recovery) s after the lock ended")

wait $load
load=
summary=$(cat "$tmp/load.json")
echo "load: $summary"
for row in "${table[@]}"; do echo "fault: $row"; done

# --- verdicts ---------------------------------------------------------------------
count() { echo "$summary" | grep -o "\"$1\":[0-9]*" | head -1 | cut -d: -f2; }
requests=$(echo "$summary" | sed 's/.*"requests":\([0-9]*\).*/\1/')
hangs=$(count 0); hangs=${hangs:-0}
e500=$(count 500); e500=${e500:-0}
e502=$(count 502); e502=${e502:-0}
unresolved=$(echo "$summary" | sed 's/.*"unresolved":\([0-9]*\).*/\1/')
verdict "load ran" "$([ "${requests:-0}" -ge 200 ]; echo $?)" "$requests requests"
verdict "no request hung past the client's 15 s timeout" "$([ "$hangs" -eq 0 ]; echo $?)" "$hangs without an answer"
verdict "no 500" "$([ "$e500" -eq 0 ]; echo $?)" "$e500 × 500"
# A worker killed with SIGKILL takes the request it was serving with it:
# nginx answers that one 502. No other 502 is acceptable.
verdict "502 only for requests in killed workers" "$([ "$e502" -le 3 ]; echo $?)" "$e502 × 502 for 3 killed workers"
verdict "every charge and payment settled" "$([ "${unresolved:-1}" -eq 0 ]; echo $?)" "$unresolved unresolved"
for row in "${table[@]}"; do
  secs=$(echo "$row" | grep -Eo '[0-9.]+ s' | tail -1 | cut -d' ' -f1)
  verdict "recovered by itself: ${row%% |*}" "$([ -n "$secs" ] && awk -v s="$secs" 'BEGIN { exit !(s <= 10) }'; echo $?)" "${row##*| }"
done
mismatches=0
while read -r user charged paid _; do
  balance=$(sql -e "SELECT balance FROM users WHERE id = '$user'")
  if [ "$balance" != $((charged - paid)) ]; then
    echo "    $user: client saw charged $charged - paid $paid, database balance $balance"
    mismatches=$((mismatches + 1))
  fi
done <"$tmp/outcomes"
totals=$(awk '{c += $2; p += $3} END {print "charged " c ", paid " p}' "$tmp/outcomes")
verdict "money reconciled with the clients' records" "$([ $mismatches -eq 0 ]; echo $?)" "$totals; $mismatches users differ"
report=$(ctl check)
verdict "concertctl check clean" "$(echo "$report" | grep -q '"ok":true'; echo $?)" "$(echo "$report" | grep -o '"counts":{[^}]*}')"

# --- a Redis failover, followed through the Sentinel --------------------------------
sentinel() { redis-cli -p "$sentinel_port" "$@"; }
mkdir -p "$tmp/replica"
redis-server --port "$replica_port" --bind 127.0.0.1 --replicaof 127.0.0.1 "$redis_port" --save '' --appendonly no \
  --dir "$tmp/replica" --daemonize yes --pidfile "$tmp/replica.pid" --logfile "$tmp/replica.log" >/dev/null
# The Sentinel learns of replicas from the primary's INFO (every 10 s).
for _ in $(seq 250); do
  redis-cli -p "$replica_port" INFO replication 2>/dev/null | grep -q 'master_link_status:up' &&
    sentinel SENTINEL replicas concert 2>/dev/null | grep -qx "$replica_port" && break
  sleep 0.1
done
read -r buyer buyer_secret < <(head -1 "$tmp/users")
token_body="{\"userId\":\"$buyer\",\"userSecret\":\"$buyer_secret\",\"concertId\":$concert}"
issue() { curl -s -o /dev/null -w '%{http_code}' -m 5 -X POST -H 'Content-Type: application/json' "$url_b/api/v1/queue/token" -d "$token_body"; }
before=$(issue)
primary_pid=$(cat "$state/run/redis.pid")
kill -KILL "$primary_pid"
start=$(date +%s.%N)
codes=()
back=never
for _ in $(seq 300); do
  code=$(issue)
  codes+=("$code")
  if [ "$code" = 200 ]; then back=$(since "$start"); break; fi
  sleep 0.1
done
promoted=$(sentinel SENTINEL get-master-addr-by-name concert | tail -1)
mix=$(printf '%s\n' "${codes[@]}" | sort | uniq -c | awk '{printf "%s%s×%s", (NR > 1 ? " " : ""), $1, $2}')
echo "fault: Redis primary killed (SIGKILL), replica promoted by the Sentinel | tokens issued again through it $back s after the kill; primary now on port $promoted; answers meanwhile: $mix"
verdict "a token was issued through the Sentinel before the failover" "$([ "$before" = 200 ]; echo $?)" "POST /queue/token -> $before"
verdict "the Sentinel promoted the replica" "$([ "$promoted" = "$replica_port" ]; echo $?)" "primary on port $promoted"
verdict "recovered by itself: Redis primary killed, handlers follow the Sentinel" \
  "$([ "$back" != never ] && awk -v s="$back" 'BEGIN { exit !(s <= 10) }'; echo $?)" "$back s"
verdict "only 200 and 503 during the failover" "$(printf '%s\n' "${codes[@]}" | grep -qvE '^(200|503)$'; [ $? -ne 0 ]; echo $?)" "$mix"
echo "faults: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
