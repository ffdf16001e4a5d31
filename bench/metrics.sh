#!/usr/bin/env bash
# `make bench-metrics`: what the pools' metrics counters (CONCERT_METRICS_DIR)
# cost on the request path, as a one-off A/B experiment apart from
# `make bench`. The table's "metrics" rows (ping and queue status, the first
# connection count of BENCH_CONNECTIONS) on stacks started without
# (scripts/stack.sh --no-metrics) and with the counters, interleaved off,
# on, off, on, ... on freshly started stacks, so that the machine's drift
# over the minutes falls on both alike; judged like every bench scenario.
#
# Environment: BENCH_METRICS_ROUNDS off/on pairs (3), BENCH_SECONDS (5),
# BENCH_CONNECTIONS ("32 64": the first is used), BENCH_WORKERS (8),
# BENCH_TIMEOUT (5), BENCH_ONLY (bench/run.sh's).
# Writes var/bench-metrics/METRICS.md (mean req/s off and on, the cost; goal:
# at most 3%) and METRICS.jsonl (raw lines); exits 1 if a run FAILed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
rounds=${BENCH_METRICS_ROUNDS:-3}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench-metrics: BENCH_METRICS_ROUNDS must be a number, got '$rounds'" >&2; exit 1; }
seconds=${BENCH_SECONDS:-5}
read -ra conns <<<"${BENCH_CONNECTIONS:-32 64}"
workers=${BENCH_WORKERS:-8}
timeout=${BENCH_TIMEOUT:-5}
threads=2 port=28080 target=single selftest=0 engine=0
url=http://127.0.0.1:$port
results=$root/var/bench-metrics
state=$results/stack
jsonl=$results/METRICS.jsonl
data=$state/data
export BENCH_LUA=$root/bench/lua BENCH_DATA=$data BENCH_THREADS=$threads
command -v wrk >/dev/null || { echo "bench-metrics: wrk is missing: run scripts/install-deps.sh" >&2; exit 1; }

. bench/lib/stack.sh
. bench/lib/data.sh
. bench/lib/scenarios.sh
trap stop_stack EXIT

fresh_state "$data" "$results"
: >"$jsonl"
started=$SECONDS
# The data lives on between the stacks (state stays); queue status polls
# the tokens of 5,000 users in a small concert's room.
start_stack "$workers"
room_settings
add_users bench 8000 5000 0 >"$data/u_main.txt"
tokens u_main.txt tokens.txt "$(add_concert bench-small 1 50)"
for round in $(seq "$rounds"); do
  for metrics in off on; do
    stop_stack
    if [ "$metrics" = off ]; then start_stack "$workers" --no-metrics; else start_stack "$workers"; fi
    log "round $round of $rounds, metrics $metrics"
    run_rows metrics
  done
done
stop_stack

{
  echo "# What metrics cost"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), \`make bench-metrics\` (bench/metrics.sh): the pools' shared-memory counters"
  echo "(CONCERT_METRICS_DIR) off and on, on stacks started each way, interleaved off/on, $rounds rounds,"
  echo "wrk -t$threads -c${conns[0]} -d${seconds}s, $workers workers per pool. Mean req/s (expected responses only) over the rounds."
  echo
  echo "| scenario | rounds | off req/s | on req/s | cost | goal | verdict |"
  echo "|---|---:|---:|---:|---:|---|---|"
  jq -rs 'group_by(.scenario | sub(" \\[metrics (off|on)\\]$"; ""))[]
    | (.[0].scenario | sub(" \\[metrics (off|on)\\]$"; "")) as $s
    | (map(select(.scenario | endswith("[metrics off]")) | .rps // 0)) as $a
    | (map(select(.scenario | endswith("[metrics on]")) | .rps // 0)) as $b
    | select(($a | length) > 0 and ($b | length) > 0)
    | (($a | add) / ($a | length)) as $ma | (($b | add) / ($b | length)) as $mb
    | (if $ma > 0 then ($ma - $mb) / $ma * 100 else 0 end) as $cost
    | "| \($s) | \($a | length) | \($ma | floor) | \($mb | floor) | \($cost * 10 | round / 10)% | " +
      (if $cost <= 3 then "≤ 3% met" else "≤ 3% **missed**" end) + " | " +
      (if all(.[]; .verdict == "PASS") then "PASS" else "**FAIL**: " + ([.[].why[]] | unique | join("; ")) end) + " |"' "$jsonl"
} >"$results/METRICS.md"
cat "$results/METRICS.md"
failed=$(jq -r 'select(.verdict == "FAIL") | "  \(.scenario) -c\(.connections): \(.why | join("; "))"' "$jsonl")
[ -z "$failed" ] || { log "FAIL:"$'\n'"$failed"; exit 1; }
log "every run PASSED; report in $results/METRICS.md"
