#!/usr/bin/env bash
# `make bench`: every route through nginx against the ceilings of our own
# stack, measured in the same run, on data the size of a real sale.
#
# Starts its own stack (state in var/bench, wiped first; HTTP 28080) with
# production durability (innodb_flush_log_at_trx_commit=1) and a buffer pool
# that holds the data (1 GiB), loads the data (bench/lib/data.sh), lets
# InnoDB write it out, runs the scenarios of bench/scenarios.table (wrk with
# bench/lua/, bench/load.cpp, each route's engine: bench/lib/scenarios.sh),
# each at every connection count of BENCH_CONNECTIONS, and writes
# bench/results/LATEST.md (the table), LATEST.png (each route's ratio to its
# engine) and LATEST.jsonl (raw lines), and regenerates docs/SCALING.md's
# one-host table (bench/docs.sh). Results are never edited by hand.
#
# A bench that cannot lie: every scenario declares the statuses it expects
# (the table's "expects", which must be what bench/lua/*.lua, bench/load.cpp
# or bench/engine.cpp counted), and its req/s counts only those. A scenario
# FAILs on any other status, on any socket error or timeout (wrk --timeout
# BENCH_TIMEOUT; curl's own), on prepared data that ran out (it never wraps
# around: the thread stops and the shortfall is counted), or with no
# expected response at all. Prepared data is sized for (BENCH_SECONDS + 1) ×
# BENCH_RATE_BOUND requests per run (see "sizing" below). After writing the
# report, the run exits 1 if any scenario FAILed or `concertctl check` found
# a broken invariant.
#
# Environment: BENCH_SECONDS per wrk scenario (5), BENCH_CONNECTIONS, the
# connection counts every scenario runs at ("32 64"), BENCH_WORKERS per pool
# for the main run (8), BENCH_RATE_BOUND (20000 req/s, see "sizing"),
# BENCH_TIMEOUT (5 s: a slower answer is a socket error), BENCH_BIG=0 to skip
# the 1,000,000-row scale run, BENCH_CURVE=0 to skip the pool-size curve,
# BENCH_ENGINE=0 to skip the engines, BENCH_HOLD=1 to load the data and keep
# the stack up for profiling by hand, BENCH_ONLY, an extended regular
# expression: only the scenarios and engines whose names match it run (the
# data is loaded as always; bench/ab.sh uses it). Experiments that compare
# stacks started two ways are targets of their own (`make bench-metrics`).
#
# BENCH_TARGET=cluster runs the same scenarios through the load balancer of
# a cluster (scripts/cluster.sh: three Galera nodes, Redis with Sentinels,
# two app hosts of BENCH_WORKERS workers per pool) instead of one stack; it
# skips nginx/ping (the cluster has no bench routes), the scale run and the
# pool curve. bench/cluster.sh (`make bench-cluster`) runs it next to a
# single stack of the same size and compares them.
#
# BENCH_SELFTEST=1 (`make bench-selftest`) tests the bench itself: besides
# every scenario it runs the table's self-test rows (pays the same holds a
# second time through HTTP and through the payments engine, pays from a
# file of too few holds, and runs the race again on seats already taken);
# each of those must be reported FAIL. It writes to var/bench-selftest/
# (never over bench/results/) and exits 1 when they all FAILed as they must,
# 2 if the bench let one of them pass.
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
big_run=${BENCH_BIG:-1}
curve=${BENCH_CURVE:-1}
threads=2
port=28080
state=${BENCH_STATE:-$root/var/bench}
case "$target" in
  single) ;;
  cluster)
    port=28480  # the cluster's load balancer
    [ "$selftest" = 1 ] && { echo "bench: BENCH_SELFTEST runs on one stack only" >&2; exit 1; }
    big_run=0 curve=0 ;;
  *) echo "bench: BENCH_TARGET is single or cluster, got '$target'" >&2; exit 1 ;;
esac
url=http://127.0.0.1:$port
if [ "$selftest" = 1 ]; then
  results=${BENCH_RESULTS:-$root/var/bench-selftest}
else
  results=${BENCH_RESULTS:-$root/bench/results}
fi
jsonl=$results/LATEST.jsonl
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
# The engine runs (each route's statements or script with no HTTP; the
# table's engine rows; BENCH_ENGINE=0 skips them) pay and issue tokens from
# slices of their own: one more run's share of holds, and two of fresh
# users, since Redis alone issues tokens faster than the rate bound (21,000
# a second here).
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

. bench/lib/stack.sh
. bench/lib/data.sh
. bench/lib/scenarios.sh
trap stop_stack EXIT

fresh_state "$data" "$results"
started=$SECONDS
log "starting the stack ($workers workers per pool)"
start_stack "$workers"
log "loading data"
load_data
log "InnoDB settling"
settle
log "data loaded in $((SECONDS - started)) s: $(sql -e 'SELECT COUNT(*) FROM seats') seats"

if [ "${BENCH_HOLD:-0}" = 1 ]; then
  # For profiling one route by hand: the stack and data stay up until Ctrl-C.
  log "BENCH_HOLD=1: stack on $url, data in $data; Ctrl-C stops it"
  while kill -0 "$stack_pid" 2>/dev/null; do sleep 1; done
  exit 0
fi

: >"$jsonl"
run_rows main single selftest
# The scale run: a million seats and a million tickets.
if [ "$big_run" = 1 ]; then
  load_big
  run_rows big
fi
# The pool-size curve: the curve's rows on stacks of 1, 2, 4 and 8 workers.
if [ "$curve" = 1 ]; then
  for w in 1 2 4 8; do
    stop_stack
    start_stack "$w"
    run_rows curve
  done
fi

check=$(concertctl check | sed 's/.*"ok":\([a-z]*\).*/\1/')
stop_stack
log "done in $((SECONDS - started)) s; concertctl check ok: $check"
bench/report.sh "$jsonl" "$results" "$seconds" "${conns[*]}" "$workers" "$check" \
  "$bound" "$timeout" "$selftest"
# docs/SCALING.md's one-host table comes from a full run's lines (never by hand).
if [ "$results" = "$root/bench/results" ] && [ "$target" = single ] && [ "$selftest" != 1 ]; then
  bench/docs.sh one-host "$jsonl"
fi

# The verdict, after the report is written.
failed=$(jq -r 'select(.verdict == "FAIL" and (.selftest | not)) | "  \(.scenario) -c\(.connections): \(.why | join("; "))"' "$jsonl")
[ -z "$failed" ] || log "FAIL:"$'\n'"$failed"
[ "$check" = true ] || log "FAIL: concertctl check found broken invariants"
if [ "$selftest" = 1 ]; then
  provoked=$(jq -s 'map(select(.selftest)) | length' "$jsonl")
  caught=$(jq -s 'map(select(.selftest and .verdict == "FAIL")) | length' "$jsonl")
  jq -r 'select(.selftest) | "  \(.verdict) \(.scenario) -c\(.connections): \(.why | join("; "))"' "$jsonl" >&2
  if [ "$caught" -ne "$provoked" ]; then
    log "SELF-TEST BROKEN: the bench passed $((provoked - caught)) of $provoked scenarios it must fail"
    exit 2
  fi
  log "self-test: all $provoked provoked scenarios FAILED, as they must ($( [ -z "$failed" ] && echo "every other scenario passed" || echo "and other scenarios failed too, above")); report in $results"
  exit 1
fi
[ -z "$failed" ] && [ "$check" = true ] || exit 1
log "every scenario PASSED"
