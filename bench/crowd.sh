#!/usr/bin/env bash
# `make crowd`: a crowd of CROWD clients (1,000,000) driving the real stack
# over HTTP in real time (build/bench/crowd, bench/crowd/), judged by the
# contract's rules for waiting rooms. tests/crowd/run.sh runs a small one.
#
#  1. A stack of its own (state in CROWD_STATE, var/crowd, wiped first;
#     HTTP 29080, metrics 29090, MariaDB 29306, Redis 29379), the crowd's
#     concert (CROWD_DATES × CROWD_SEATS seats), accounts for the clients
#     that take their ticket through the route and every 20th client (they
#     may buy), and the room's settings (capacity CROWD_CAPACITY, claim
#     CROWD_CLAIM s, opening spread CROWD_SPREAD s, ...).
#  2. The status capacity: GET /queue/status req/s for WAITING tokens
#     (wrk, bench/lua/queue_status.lua) on a paused room of its own, before
#     the crowd, never during it.
#  3. The opening scheduled CROWD_LEAD seconds ahead (long enough for the
#     bulk issue); the crowd issues the pre-queue (CROWD_ROUTE / 2 through
#     POST /queue/token, the rest in bulk through the store code), follows
#     the protocol through the opening draw, CROWD_SECONDS past it; the
#     operator doubles the capacity halfway (CROWD_DOUBLE_AFTER).
#  4. bench/crowd_report.sh writes CROWD.md, CROWD.png and CROWD.jsonl to
#     CROWD_RESULTS (bench/results). Exits 1 if any rule or goal FAILed or
#     `concertctl check` found a broken invariant.
#
# Environment (defaults): CROWD (1000000), CROWD_SECONDS (600),
# CROWD_ROUTE (20000: tickets through the route, half before the opening,
# half after), CROWD_CAPACITY (1000), CROWD_CLAIM (30), CROWD_SPREAD (120),
# CROWD_MAX_POLL (1200), CROWD_REJOIN (3600), CROWD_IDLE (30),
# CROWD_ACTIVE (300), CROWD_DOUBLE_AFTER (CROWD_SECONDS / 2; -1: never),
# CROWD_LEAD (seconds to the opening; from the crowd's size),
# CROWD_NO_SHOW (0.30), CROWD_WORKERS (8 per pool), CROWD_CONNECTIONS (256),
# CROWD_PROBE_SECONDS (10), CROWD_OPENING_WINDOW (60 s from the first call),
# CROWD_AFTER_FACTOR (0.2; 0.6 from 10M on),
# CROWD_STATE, CROWD_RESULTS, CROWD_HTTP_PORT (29080; metrics, MariaDB and
# Redis ports follow it: +10, +226, +299).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
clients=${CROWD:-1000000}
seconds=${CROWD_SECONDS:-600}
route=${CROWD_ROUTE:-20000}
capacity=${CROWD_CAPACITY:-1000}
claim=${CROWD_CLAIM:-30}
spread=${CROWD_SPREAD:-120}
max_poll=${CROWD_MAX_POLL:-1200}
rejoin=${CROWD_REJOIN:-3600}
idle=${CROWD_IDLE:-30}
active=${CROWD_ACTIVE:-300}
double_after=${CROWD_DOUBLE_AFTER:-$((seconds / 2))}
no_show=${CROWD_NO_SHOW:-0.30}
workers=${CROWD_WORKERS:-8}
connections=${CROWD_CONNECTIONS:-256}
probe_seconds=${CROWD_PROBE_SECONDS:-10}
opening_window=${CROWD_OPENING_WINDOW:-60}
dates=${CROWD_DATES:-100}
seats=${CROWD_SEATS:-200}
port=${CROWD_HTTP_PORT:-29080}
metrics_port=$((port + 10)) db_port=$((port + 226)) redis_port=$((port + 299))
state=${CROWD_STATE:-$root/var/crowd}
results=${CROWD_RESULTS:-$root/bench/results}
target=single
url=http://127.0.0.1:$port
data=$state/data
# The bulk issue into a room with an opening pending ran at 8,500 tickets a
# second here (v2's room, 4 processes: 980,000 in 115 s): the opening leaves
# it 8,000 a second, 30 s more, and the route's early tickets' time.
lead=${CROWD_LEAD:-$((30 + clients / 8000 + route / 4000))}
early=$((route / 2)) late=$((route - route / 2))
[ "$route" -le "$clients" ] || { echo "crowd: CROWD_ROUTE ($route) exceeds CROWD ($clients)" >&2; exit 2; }
after_factor=${CROWD_AFTER_FACTOR:-$([ "$clients" -ge 10000000 ] && echo 0.6 || echo 0.2)}
# 10M's goal: Redis ≤ 640 MB, 64 bytes per ticket (judged from 10M on).
redis_limit=$([ "$clients" -ge 10000000 ] && echo 64 || echo 0)

for tool in wrk gnuplot jq; do
  command -v "$tool" >/dev/null || { echo "crowd: $tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
for bin in build/bench/crowd build/bench/room build/bench/ping bin/concertctl; do
  [ -x "$bin" ] || { echo "crowd: $bin is missing: make crowd builds it" >&2; exit 1; }
done

. bench/lib/stack.sh
. bench/lib/data.sh   # add_concert, first_date
trap stop_stack EXIT

fresh_state "$data" "$results"
started=$SECONDS
log "starting the stack ($workers workers per pool) on $url"
start_stack "$workers"

# --- the crowd's concert, accounts and settings -------------------------------------
concert=$(add_concert crowd "$dates" "$seats")
probe=$(add_concert crowd-probe 1 10)
# Accounts: the clients that take their ticket through the route (the first
# and last CROWD_ROUTE / 2 indices) and every 20th client (those may buy):
# ids 00000000-0000-7000-c000-<index + 1>, secrets as bench/lib/data.sh makes them.
log "accounts"
sql -e "
  INSERT INTO users (id, name, balance, secret_hash)
    SELECT u.id, 'crowd', 1000000000, UNHEX(SHA2(CONCAT('us_', REPLACE(u.id, '-', ''), 'AAAAAAAAAAA'), 256))
    FROM (SELECT CONCAT('00000000-0000-7000-c000-', LPAD(LOWER(HEX(seq)), 12, '0')) AS id FROM seq_1_to_$clients
          WHERE (seq - 1) % 20 = 0 OR seq <= $early OR seq > $clients - $late) u;
  INSERT INTO balance_ledger (user_id, kind, amount, balance_after)
    SELECT id, 'CHARGE', balance, balance FROM users WHERE name = 'crowd';"
log "$(sql -e "SELECT COUNT(*) FROM users WHERE name = 'crowd'") accounts, concert $concert ($dates dates of $seats seats)"

# set KEY VALUE [--concert N]: a setting; one this stack does not know yet
# (a v3 setting on a v2 stack) is reported, not fatal.
set_setting() {
  local out
  if ! out=$(concertctl settings set "$@" 2>&1); then
    log "setting $1 refused: $out"
    grep -qi "unknown" <<<"$out" || exit 1
  fi
}
set_setting queue.capacity "$capacity" --concert "$concert"
set_setting queue.active_seconds "$active" --concert "$concert"
set_setting queue.idle_seconds "$idle" --concert "$concert"
# max_poll_seconds must stay below half of rejoin_seconds at every step:
# lowering both, max_poll first; raising, rejoin first.
if [ $((max_poll * 2)) -lt 3600 ]; then
  set_setting queue.max_poll_seconds "$max_poll" --concert "$concert"
  set_setting queue.rejoin_seconds "$rejoin" --concert "$concert"
else
  set_setting queue.rejoin_seconds "$rejoin" --concert "$concert"
  set_setting queue.max_poll_seconds "$max_poll" --concert "$concert"
fi
set_setting queue.claim_seconds "$claim" --concert "$concert"
set_setting queue.opening_spread_seconds "$spread" --concert "$concert"
set_setting hold.seconds 300
set_setting queue.paused 1 --concert "$probe"

# --- the status capacity, before the crowd ------------------------------------------
secret=$(cat "$state/token-secret")
log "status capacity: 5000 WAITING tokens in a paused room, wrk -c64 for $probe_seconds s"
CONCERT_TOKEN_SECRET=$secret build/bench/room fill "$probe" 5000 2 5000 "$data/probe_tokens.txt" >"$data/probe_fill.json"
probe_line=$(BENCH_LUA=$root/bench/lua BENCH_DATA=$data BENCH_THREADS=2 BENCH_TOKENS=probe_tokens.txt \
  wrk -t2 -c64 -d"${probe_seconds}s" --timeout 5s -s bench/lua/queue_status.lua "$url" | grep '^BENCH ' | sed 's/^BENCH //')
status_capacity=$(jq -r '.rps // 0' <<<"$probe_line")
probe_other=$(jq -r '[.statuses // {} | to_entries[] | select(.key != "200") | .value] | add // 0' <<<"$probe_line")
log "status capacity: $status_capacity req/s ($(jq -c .statuses <<<"$probe_line"))"
if [ "$probe_other" != 0 ] || [ "$(jq -r '.socket_errors // 0' <<<"$probe_line")" != 0 ]; then
  log "FAIL: the status capacity probe got other statuses or socket errors: $probe_line"
  exit 1
fi

# --- the opening and the crowd ------------------------------------------------------
opens_at=$(date -u -d "+$lead seconds" +%Y-%m-%dT%H:%M:%S.000Z)
opens_ms=$(($(date -u -d "$opens_at" +%s) * 1000))
concertctl room open --concert "$concert" --at "$opens_at" >"$data/opening.json"
log "the room opens at $opens_at (in $lead s): $(cat "$data/opening.json")"
pools=()
for bin in bin/*; do [ "$(basename "$bin")" = concertctl ] || pools+=(--pool "$(basename "$bin")"); done
log "the crowd: $clients clients ($early + $late through the route), $seconds s after the opening"
rc=0
CONCERT_TOKEN_SECRET=$secret build/bench/crowd --port "$port" --connections "$connections" --concert "$concert" \
  --clients "$clients" --early "$early" --late "$late" --opens-ms "$opens_ms" --seconds "$seconds" \
  --double-after "$double_after" --capacity "$capacity" --claim-seconds "$claim" --status-capacity "$status_capacity" \
  --after-factor "$after_factor" --opening-window "$opening_window" --redis-limit "$redis_limit" --no-show "$no_show" --concertctl bin/concertctl \
  --stack-pid "$stack_pid" --stack-pid "$(cat "$state/run/redis.pid")" "${pools[@]}" --jsonl "$data/crowd.jsonl" \
  --claims "$data/claims.tsv" \
  2> >(tee "$data/crowd.log" >&2) || rc=$?

check=$(concertctl check | jq -r '.ok // false' 2>/dev/null || echo false)
stop_stack
log "done in $((SECONDS - started)) s; crowd exit $rc; concertctl check ok: $check"
[ -s "$data/crowd.jsonl" ] && grep -q '"kind":"summary"' "$data/crowd.jsonl" || { log "FAIL: the crowd wrote no summary"; exit 1; }
bench/crowd_report.sh "$data/crowd.jsonl" "$results" "$check" "$probe_line" "$((SECONDS - started))" \
  "capacity $capacity, claim $claim s, spread $spread s, max poll $max_poll s, rejoin $rejoin s, idle $idle s, active $active s, $workers workers per pool, $connections connections"
[ "$rc" = 0 ] && [ "$check" = true ] || { log "FAIL (see $results/CROWD.md)"; exit 1; }
log "PASS (see $results/CROWD.md)"
