#!/usr/bin/env bash
# `make test-cluster`: the whole contract on a real cluster (scripts/cluster.sh:
# three Galera nodes, Redis with a replica and three Sentinels, two app hosts,
# a load balancer, each host in a network namespace of its own).
#
#   Cross-host races: 200 users, half through each app host, for one seat ->
#   exactly one 201; 50 concurrent charges of one user through both hosts ->
#   all applied; 20 parallel orders of one hold through both hosts -> exactly
#   one 200; a read on one host sees a write just made on the other; the
#   opening draw with 40 tickets issued at once through both hosts (the
#   revealed seed matches its commitment, every place is the SHA-1 order).
#   Faults under a steady mixed load through the balancer (token, charge,
#   hold, pay; build/fault_load): kill -9 a Galera node and bring it back;
#   cut app1's preferred database node off (link down) and restore it; kill
#   the Redis primary (the Sentinels promote the replica); kill an app host
#   and bring it back. For each: the time until a probe through the balancer
#   answers normally again (goal: under 10 s). Then every client's own record
#   of money is reconciled with every node's balances, and concertctl check.
#
# Ends with "cluster: N passed, N failed" and the fault table; bounded (the
# load runs CLUSTER_LOAD_SECONDS, 70 by default).
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
logs=$root/build/test-logs
mkdir -p "$logs"
state=$(mktemp -d /var/tmp/concert-test-cluster.XXXXXX)
chmod 755 "$state"
tmp=$state/work
mkdir -p "$tmp"
passed=0
failed=0
cluster_pid=
load=

verdict() {  # verdict NAME EXIT-STATUS DETAIL
  if [ "$2" -eq 0 ]; then echo "PASS $1: $3"; passed=$((passed + 1)); else echo "FAIL $1: $3"; failed=$((failed + 1)); fi
}
since() { awk -v a="$1" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }'; }

finish() {
  [ -n "$load" ] && kill -TERM "$load" 2>/dev/null
  if [ -n "$cluster_pid" ]; then
    kill -TERM "$cluster_pid" 2>/dev/null
    wait "$cluster_pid" 2>/dev/null
  fi
  cp -r "$state/log" "$logs/cluster-log" 2>/dev/null
  rm -rf "$state"
}
trap finish EXIT

echo "== starting the cluster"
scripts/cluster.sh run --state "$state" --prefix ct18 --subnet 10.218.39 --front-port 8490 --no-demo \
  --ready-file "$state/ready" >"$logs/cluster-run.txt" 2>&1 &
cluster_pid=$!
deadline=$((SECONDS + 180))
until [ -e "$state/ready" ]; do
  if ! kill -0 "$cluster_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    echo "the cluster did not start:"; tail -n 30 "$logs/cluster-run.txt"
    echo "cluster: 0 passed, 1 failed"
    exit 1
  fi
  sleep 0.5
done
# shellcheck disable=SC1091
source "$state/cluster.env"
cluster() { local c=$1; shift; scripts/cluster.sh "$c" --state "$state" "$@"; }
ctl() { cluster ctl "$@"; }
sqlq() { cluster sql "$1" -N -e "$2" 2>/dev/null | tail -1; }
front=$FRONT_URL
app=("$APP1_URL" "$APP2_URL")
tail -n 3 "$logs/cluster-run.txt"

api() {  # api METHOD URL [BODY] [BEARER] [IDEMPOTENCY-KEY] -> "STATUS BODY"
  local body=$tmp/body.$BASHPID.$RANDOM  # named once: a nested $(...) has another BASHPID
  local args=(-s -m 20 -o "$body" -w '%{http_code}' -X "$1" -H 'Content-Type: application/json')
  [ -n "${3:-}" ] && args+=(-d "$3")
  [ -n "${4:-}" ] && args+=(-H "Authorization: Bearer $4")
  [ -n "${5:-}" ] && args+=(-H "Idempotency-Key: $5")
  local code
  code=$(curl "${args[@]}" "$2")
  echo "$code $(cat "$body" 2>/dev/null)"
  rm -f "$body"
}
# at_once: the commands queued with 'racer' (each waits for the go file),
# released together; waits for those only (the cluster is a child too).
racers=()
racer() {
  ( while [ ! -e "$tmp/go" ]; do sleep 0.01; done; "$@" ) &
  racers+=($!)
}
at_once() {
  sleep 1
  touch "$tmp/go"
  wait "${racers[@]}"
  racers=()
  rm -f "$tmp/go"
}
# new_user HOST_URL -> "userId userSecret"
new_user() { api POST "$1/api/v1/users" '{"name":"cluster tester"}' | cut -d' ' -f2- | jq -r '"\(.userId) \(.userSecret)"'; }
# token HOST_URL USER SECRET CONCERT -> token
token() {
  api POST "$1/api/v1/queue/token" "{\"userId\":\"$2\",\"userSecret\":\"$3\",\"concertId\":$4}" | cut -d' ' -f2- | jq -r .token
}
day() { date -u -d "+$1 day" +%F; }
# metric NAME [HANDLER] -> its sum over both app hosts' /metrics (each host's
# internal listener, on the loopback of its own namespace)
metric() {
  local h
  for h in app1 app2; do cluster exec "$h" curl -s -m 5 http://127.0.0.1:9180/metrics; done |
    awk -v n="$1" -v h="${2:-}" '$1 ~ "^" n "({|$)" && (h == "" || index($1, "handler=\"" h "\"")) { s += $2 } END { print s + 0 }'
}
concert() { ctl concert add --name "$1" --dates "$2" --seats "${3:-50}" --price "${4:-1000}" | jq -r .concertId; }

ctl settings set queue.capacity 100000 >/dev/null
ctl settings set hold.max_per_user 4 >/dev/null
sleep 1.2  # handlers keep settings for a second

# --- a read on one host sees a write just made on the other -------------------------
echo "== causal reads across hosts (wsrep_sync_wait)"
stale=0
for i in $(seq 20); do
  read -r u s < <(new_user "${app[0]}")
  api POST "${app[0]}/api/v1/users/$u/charge" '{"amount":1234}' "$s" "k$i" >/dev/null
  b=$(api GET "${app[1]}/api/v1/users/$u/balance" "" "$s" | cut -d' ' -f2- | jq -r .balance)
  [ "$b" = 1234 ] || stale=$((stale + 1))
done
verdict "a charge through app1 is seen at once by a balance read through app2 (20 times)" "$([ $stale -eq 0 ]; echo $?)" "$stale stale reads"

# --- 200 users, half through each host, for one seat --------------------------------
echo "== races across hosts"
race=$(concert "Cluster race" "$(day 3)")
: >"$tmp/racers"
for i in $(seq 200); do
  h=$((i % 2))
  read -r u s < <(new_user "${app[$h]}")
  echo "$h $(token "${app[$h]}" "$u" "$s" "$race")" >>"$tmp/racers"
done
active=$(awk '$2 != "null" && $2 != ""' "$tmp/racers" | wc -l)
hold_seat_7() { api POST "${app[$1]}/api/v1/reservations" "{\"concertId\":$race,\"date\":\"$(day 3)\",\"seatNumber\":7}" "$2" | cut -d' ' -f1 >>"$tmp/race.codes"; }
while read -r h t; do racer hold_seat_7 "$h" "$t"; done <"$tmp/racers"
at_once
mix=$(sort "$tmp/race.codes" | uniq -c | awk '{printf "%s%s×%s", (NR > 1 ? " " : ""), $1, $2}')
won=$(grep -c '^201$' "$tmp/race.codes")
lost=$(grep -c '^409$' "$tmp/race.codes")
held=$(sqlq 3 "SELECT COUNT(*) FROM concert.reservations r JOIN concert.seats s ON s.id = r.seat_id JOIN concert.concert_dates d ON d.id = s.concert_date_id WHERE d.concert_id = $race")
verdict "200 users ($active with tokens) through both hosts for one seat: exactly one 201" \
  "$([ "$won" = 1 ] && [ "$lost" = 199 ] && [ "$held" = 1 ]; echo $?)" "$mix; $held reservation(s) on node 3"

conflicts_before=$(metric concert_commit_conflicts_total users_charge)
retries_before=$(metric concert_optimistic_retries_total users_charge)
read -r cu cs < <(new_user "${app[0]}")
charge_1000() { api POST "${app[$(($1 % 2))]}/api/v1/users/$cu/charge" '{"amount":1000}' "$cs" "c$1" | cut -d' ' -f1 >>"$tmp/charge.codes"; }
for i in $(seq 50); do racer charge_1000 "$i"; done
at_once
ok=$(grep -c '^200$' "$tmp/charge.codes")
balances=$(for n in 1 2 3; do sqlq "$n" "SELECT balance FROM concert.users WHERE id = '$cu'"; done | paste -sd/)
ledger=$(sqlq 1 "SELECT COUNT(*) FROM concert.balance_ledger WHERE user_id = '$cu'")
verdict "50 concurrent charges of one user through both hosts: all applied" \
  "$([ "$ok" = 50 ] && [ "$balances" = 50000/50000/50000 ] && [ "$ledger" = 50 ]; echo $?)" \
  "$ok × 200; balance on nodes 1/2/3 $balances; $ledger ledger rows; retried: $(($(metric concert_commit_conflicts_total users_charge) - conflicts_before)) certification failures at COMMIT, $(($(metric concert_optimistic_retries_total users_charge) - retries_before)) retries in all"

orders=$(concert "Cluster orders" "$(day 4)")
read -r ou os < <(new_user "${app[1]}")
ot=$(token "${app[1]}" "$ou" "$os" "$orders")
api POST "${app[0]}/api/v1/users/$ou/charge" '{"amount":5000}' "$os" o-charge >/dev/null
hold=$(api POST "${app[0]}/api/v1/reservations" "{\"concertId\":$orders,\"date\":\"$(day 4)\",\"seatNumber\":1}" "$ot" |
  cut -d' ' -f2- | jq -r .reservationId)
pay_hold() { api POST "${app[$(($1 % 2))]}/api/v1/payments" "{\"reservationIds\":[\"$hold\"]}" "$ot" | cut -d' ' -f1 >>"$tmp/order.codes"; }
for i in $(seq 20); do racer pay_hold "$i"; done
at_once
paid=$(grep -c '^200$' "$tmp/order.codes")
mix=$(sort "$tmp/order.codes" | uniq -c | awk '{printf "%s%s×%s", (NR > 1 ? " " : ""), $1, $2}')
payments=$(sqlq 2 "SELECT COUNT(*) FROM concert.payments WHERE user_id = '$ou'")
balance=$(sqlq 2 "SELECT balance FROM concert.users WHERE id = '$ou'")
verdict "20 parallel orders of one hold through both hosts: exactly one 200" \
  "$([ "$paid" = 1 ] && [ "$payments" = 1 ] && [ "$balance" = 4000 ] && ! grep -q '^5' "$tmp/order.codes"; echo $?)" \
  "$mix; $payments payment, balance $balance"

# --- the opening draw with tickets issued on both hosts -----------------------------
# 40 users take tickets at once, half through each host, before a scheduled
# opening; after it the room reveals its seed, and every ticket's place (asked
# through the other host) must be its rank in the contract's order: ascending
# SHA-1 hex of "<seed>:<ticket>", recomputed here with sha1sum.
echo "== the opening draw across hosts"
drawc=$(concert "Cluster draw" "$(day 5)")
ctl settings set queue.capacity 1 --concert "$drawc" >/dev/null
: >"$tmp/drawers"
for i in $(seq 40); do echo "$((i % 2)) $(new_user "${app[$((i % 2))]}")" >>"$tmp/drawers"; done
# Far enough ahead that all 40 are issued before it on a loaded two-core
# box (at +6 s one CI run issued 33 in time): a ticket issued after the
# opening joins behind the draw, which is the contract, not this check.
opens_at=$(date -u -d '+15 sec' +%FT%TZ)
commitment=$(ctl room open --concert "$drawc" --at "$opens_at" | jq -r .seedCommitment)
draw_token() { echo "$1 $(token "${app[$1]}" "$2" "$3" "$drawc")" >>"$tmp/draw.tokens"; }
while read -r h u s; do racer draw_token "$h" "$u" "$s"; done <"$tmp/drawers"
at_once
# tkt: the ticket number in the token's claims (base64url, unpadded).
ticket_of() {
  local p
  p=$(cut -d. -f2 <<<"$1" | tr '_-' '/+')
  while [ $((${#p} % 4)) -ne 0 ]; do p+='='; done
  base64 -d <<<"$p" 2>/dev/null | jq -r .tkt
}
before=$(while read -r h t; do api GET "${app[$((1 - h))]}/api/v1/queue/status" "" "$t" | cut -d' ' -f2- | jq -r .status; done \
  <"$tmp/draw.tokens" | sort | uniq -c | awk '{printf "%s%s %s", (NR > 1 ? ", " : ""), $1, $2}')
while [ "$(date -u +%s)" -le "$(date -u -d "$opens_at" +%s)" ]; do sleep 0.2; done
facts=$(api GET "${app[1]}/api/v1/concerts/$drawc/room" | cut -d' ' -f2-)
seed=$(jq -r .seed <<<"$facts")
pre=$(jq -r .preQueueTickets <<<"$facts")
opened=$(printf '%s' "$seed" | sha256sum | cut -d' ' -f1)
expected=$(for t in $(seq "$pre"); do echo "$(printf '%s:%d' "$seed" "$t" | sha1sum | cut -d' ' -f1) $t"; done |
  sort | awk '{printf "%s%s", (NR > 1 ? " " : ""), $2}')
seen=$(while read -r h t; do
  st=$(api GET "${app[$((1 - h))]}/api/v1/queue/status" "" "$t" | cut -d' ' -f2-)
  rank=$(jq -r 'if .status == "ACTIVE" then 0 else .queuePosition end' <<<"$st")
  echo "$rank $(ticket_of "$t")"
done <"$tmp/draw.tokens" | sort -n | awk '{printf "%s%s", (NR > 1 ? " " : ""), $2}')
hosts=$(cut -d' ' -f1 "$tmp/draw.tokens" | sort | uniq -c | awk '{printf "%s%s through app%d", (NR > 1 ? ", " : ""), $1, $2 + 1}')
distinct=$(while read -r _ t; do ticket_of "$t"; done <"$tmp/draw.tokens" | sort -un | paste -sd' ')
echo "draw: seed $seed; order $seen"
verdict "the opening draw with tickets issued on both hosts: the revealed seed's order" \
  "$([ "$opened" = "$commitment" ] && [ "$pre" = 40 ] && [ "$distinct" = "$(seq -s' ' 40)" ] && [ "$before" = "40 WAITING" ] &&
    [ "$seen" = "$expected" ]; echo $?)" \
  "tickets $hosts (1..40, each once); before the opening $before; seed matches its commitment: $([ "$opened" = "$commitment" ] && echo yes || echo no); $pre in the pre-queue; places $([ "$seen" = "$expected" ] && echo "= the SHA-1 order" || echo "$seen, expected $expected")"

# --- faults under a steady mixed load ------------------------------------------------
echo "== faults under load"
for i in $(seq 8); do new_user "$front"; done >"$tmp/users"
dates=$(for d in $(seq 1 150); do day "$d"; done | paste -sd,)
fc=$(concert "Cluster faults" "$dates" 50 1000)
seconds=${CLUSTER_LOAD_SECONDS:-70}
build/fault_load "$front" "$tmp/users" "$fc" "$(day 1)" "$seconds" "$tmp/outcomes" >"$tmp/load.json" 2>"$tmp/load.err" &
load=$!
declare -a table
# Seconds until a sign-up through the balancer answers 201 again (a write to
# the database through either host), probing every 100 ms; "never" after 30 s.
recovery() {
  local start=$1
  for _ in $(seq 300); do
    [ "$(api POST "$front/api/v1/users" '{"name":"probe"}' | cut -d' ' -f1)" = 201 ] && { since "$start"; return; }
    sleep 0.1
  done
  echo never
}
sleep 6
start=$(date +%s.%N); cluster kill-db 2 >>"$tmp/faults.txt" 2>&1
table+=("kill -9 Galera node 2 | answering normally $(recovery "$start") s after the kill")
sleep 3
cluster start-db 2 >>"$tmp/faults.txt" 2>&1
table+=("node 2 back | $(grep -o 'Synced after [0-9.]* s ([A-Z]*' "$tmp/faults.txt" | tail -1 | tr -d '(')")
sleep 4
start=$(date +%s.%N); cluster link-down db1 >>"$tmp/faults.txt" 2>&1
table+=("app1's preferred node (db1) cut off, link down | answering normally $(recovery "$start") s after the cut")
sleep 4
cluster link-up db1 >>"$tmp/faults.txt" 2>&1
sleep 4
start=$(date +%s.%N); cluster kill-redis-primary >>"$tmp/faults.txt" 2>&1
table+=("kill -9 the Redis primary (Sentinels promote the replica) | answering normally $(recovery "$start") s after the kill")
sleep 4
start=$(date +%s.%N); cluster kill-app 2 >>"$tmp/faults.txt" 2>&1
table+=("kill app host 2 | answering normally $(recovery "$start") s after the kill")
sleep 3
cluster start-app 2 >>"$tmp/faults.txt" 2>&1
wait "$load"
load=
summary=$(cat "$tmp/load.json")
echo "load: $summary"
for row in "${table[@]}"; do echo "fault: $row"; done

count() { echo "$summary" | jq -r ".statuses[\"$1\"] // 0"; }
requests=$(echo "$summary" | jq -r '.requests // 0')
other5xx=$(echo "$summary" | jq -r '[.statuses | to_entries[] | select((.key | startswith("5")) and .key != "503" and .key != "502") | .value] | add // 0')
verdict "load ran through the balancer" "$([ "$requests" -ge 500 ]; echo $?)" "$requests requests: $(echo "$summary" | jq -c .statuses)"
verdict "no request hung past the client's 15 s timeout" "$([ "$(count 0)" -eq 0 ]; echo $?)" "$(count 0) without an answer"
verdict "no 5xx but 503 (and 502 for a request in flight on the killed host)" \
  "$([ "$other5xx" -eq 0 ] && [ "$(count 502)" -le 8 ]; echo $?)" "$(count 502) × 502, $other5xx other 5xx"
verdict "every charge and payment settled" "$([ "$(echo "$summary" | jq -r .unresolved)" = 0 ]; echo $?)" \
  "$(echo "$summary" | jq -r .unresolved) unresolved"
for row in "${table[@]}"; do
  case "$row" in node*) continue ;; esac
  secs=$(echo "$row" | grep -Eo '[0-9.]+ s after' | cut -d' ' -f1)
  verdict "recovered by itself within 10 s: ${row%% |*}" "$([ -n "$secs" ] && awk -v s="$secs" 'BEGIN { exit !(s <= 10) }'; echo $?)" "${row##*| }"
done
sleep 2  # node 2 and app host 2 settle
mismatches=0
while read -r user charged paid _; do
  for n in 1 2 3; do
    b=$(sqlq "$n" "SELECT balance FROM concert.users WHERE id = '$user'")
    [ "$b" = $((charged - paid)) ] || { echo "    node $n: $user: client saw $charged - $paid, balance $b"; mismatches=$((mismatches + 1)); }
  done
done <"$tmp/outcomes"
totals=$(awk '{c += $2; p += $3} END {print "charged " c ", paid " p}' "$tmp/outcomes")
verdict "money reconciled with the clients' records on all three nodes" "$([ $mismatches -eq 0 ]; echo $?)" "$totals; $mismatches differ"
payments=$(for n in 1 2 3; do sqlq "$n" "SELECT COUNT(*) FROM concert.payments"; done | paste -sd/)
verdict "the three nodes agree" "$([ "$(echo "$payments" | tr '/' '\n' | sort -u | wc -l)" = 1 ]; echo $?)" "payments on nodes 1/2/3: $payments"
report=$(ctl check)
verdict "concertctl check clean" "$(echo "$report" | grep -q '"ok":true'; echo $?)" "$(echo "$report" | grep -o '"counts":{[^}]*}')"
settled=$(grep -h "settled after" "$state"/log/app*-*.log 2>/dev/null | wc -l)
certification=$(grep -h "write conflict at COMMIT" "$state"/log/app*-*.log 2>/dev/null | wc -l)
moved=$(grep -h "db: now on node" "$state"/log/app*-*.log 2>/dev/null | wc -l)
echo "handlers: $moved moves to another database node; $settled writes settled after optimistic retries; $certification certification failures at COMMIT retried"
echo "cluster: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
