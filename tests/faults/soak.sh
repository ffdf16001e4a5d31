#!/usr/bin/env bash
# `make soak`: the mixed load of the fault test for SOAK_SECONDS (600) on a
# stack of its own (var/soak, HTTP 31080), no faults. Reports each pool's
# memory (resident KiB, summed over master and workers) at the start and the
# end, the responses by status, the money reconciliation and concertctl check.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
seconds=${SOAK_SECONDS:-600}
state=$root/var/soak
port=31080
rm -rf "$state"
mkdir -p "$state"
chmod 755 "$state"
scripts/stack.sh run --state "$state" --http-port $port --db-port 31306 --redis-port 31379 --ephemeral \
  --ready-file "$state/ready" >"$state/stack.txt" 2>&1 &
stack=$!
trap 'kill -TERM $stack 2>/dev/null; wait $stack 2>/dev/null' EXIT
until [ -e "$state/ready" ]; do kill -0 $stack || exit 1; sleep 0.2; done

# resident memory of every pool: "handler KiB"
memory() {
  for pidfile in "$state"/run/*.pid; do
    local name master kib=0
    name=$(basename "$pidfile" .pid)
    [ "$name" = redis ] && continue
    master=$(cat "$pidfile")
    for pid in $master $(cat "/proc/$master/task/$master/children" 2>/dev/null); do
      kib=$((kib + $(awk '/^VmRSS/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)))
    done
    echo "$name $kib"
  done
}

export CONCERT_DB_URL="unix://$state/mysql-run/mysqld.sock" CONCERT_REDIS_SOCKET="$state/run/redis.sock"
redis-cli -s "$state/run/redis.sock" HSET '{q}:settings' queue.capacity 100000 >/dev/null
for i in $(seq 8); do
  curl -s -X POST -H 'Content-Type: application/json' "http://127.0.0.1:$port/api/v1/users" -d '{"name":"soak"}' | jq -r '"\(.userId) \(.userSecret)"'
done >"$state/users"
days=$((seconds * 3 + 100))  # each client walks its own dates, ~14 seats a second
dates=$(for d in $(seq 1 "$days"); do date -u -d "+$d day" +%F; done | paste -sd,)
concert=$(bin/concertctl concert add --name Soak --dates "$dates" --price 1000 | sed 's/.*"concertId":\([0-9]*\).*/\1/')

# Warm up for a few seconds first, so start-up allocations are not counted as growth.
warm=$(bin/concertctl concert add --name Warm-up --dates "$(for d in $(seq 1 40); do date -u -d "+$d day" +%F; done | paste -sd,)" \
  --price 1000 | sed 's/.*"concertId":\([0-9]*\).*/\1/')
build/fault_load "http://127.0.0.1:$port" "$state/users" "$warm" "$(date -u -d '+1 day' +%F)" 5 "$state/warm" >/dev/null
memory >"$state/mem.start"
echo "soak: ${seconds} s of mixed load on 8 clients"
build/fault_load "http://127.0.0.1:$port" "$state/users" "$concert" "$(date -u -d '+1 day' +%F)" "$seconds" \
  "$state/outcomes" | tee "$state/load.json"
memory >"$state/mem.end"
echo "pool              KiB at start   KiB at end"
join "$state/mem.start" "$state/mem.end" | awk '{printf "%-18s %12d %12d\n", $1, $2, $3}'
mismatches=0
# Both runs' records, per user: what the clients know they charged and paid.
while read -r user net; do
  balance=$(mariadb --socket="$state/mysql-run/mysqld.sock" -uroot -N concert -e "SELECT balance FROM users WHERE id = '$user'")
  [ "$balance" = "$net" ] || mismatches=$((mismatches + 1))
done < <(cat "$state/warm" "$state/outcomes" | awk '{net[$1] += $2 - $3} END {for (u in net) print u, net[u]}')
echo "money: $mismatches users whose balance differs from their client's record"
bin/concertctl check
