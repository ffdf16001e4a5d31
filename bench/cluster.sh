#!/usr/bin/env bash
# `make bench-cluster`: the bench's scenarios on one stack and then on the
# cluster (scripts/cluster.sh: three Galera nodes, Redis with a replica and
# three Sentinels, two app hosts, a load balancer), in one run, on the same
# data, and the two side by side in bench/results/CLUSTER.md (raw lines:
# CLUSTER.jsonl) and in docs/SCALING.md's cluster table (bench/docs.sh).
# Never edited by hand.
#
# Both are bench/run.sh (BENCH_TARGET=single, then cluster), so both count
# only the statuses a scenario expects and FAIL on any other. The same
# number of handler processes serve each route: BENCH_WORKERS (8) per pool
# on the one stack, half of it per pool on each of the two app hosts.
# Everything shares this machine's two cores, so the cluster's figures are
# what replication (every write certified and applied on three nodes) and
# the extra hop through the balancer cost, not what more machines would add.
#
# Environment: BENCH_SECONDS (5), BENCH_CONNECTIONS ("32 64"),
# BENCH_WORKERS (8), BENCH_RATE_BOUND (12000 req/s: data for that rate is
# loaded into the cluster, over Galera, for each run).
# Exits non-zero if either side FAILed a scenario or broke an invariant.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
workers=${BENCH_WORKERS:-8}
[ "$workers" -ge 2 ] && [ $((workers % 2)) -eq 0 ] || { echo "bench-cluster: BENCH_WORKERS must be even, got $workers" >&2; exit 1; }
results=${BENCH_RESULTS:-$root/bench/results}
work=$root/var/bench-cluster
rm -rf "$work"
mkdir -p "$work" "$results"
export BENCH_SECONDS=${BENCH_SECONDS:-5} BENCH_CONNECTIONS=${BENCH_CONNECTIONS:-32 64}
# No engines here (BENCH_ENGINE=0): the comparison is route against route.
export BENCH_RATE_BOUND=${BENCH_RATE_BOUND:-12000} BENCH_BIG=0 BENCH_CURVE=0 BENCH_ENGINE=0
started=$(date -u '+%F %H:%M UTC')

status=0
echo "bench-cluster: one stack, $workers workers per pool" >&2
BENCH_TARGET=single BENCH_WORKERS=$workers BENCH_STATE=$work/single-state BENCH_RESULTS=$work/single \
  bench/run.sh || status=1
echo "bench-cluster: the cluster, $((workers / 2)) workers per pool on each of two app hosts" >&2
BENCH_TARGET=cluster BENCH_WORKERS=$((workers / 2)) BENCH_STATE=$work/cluster-state BENCH_RESULTS=$work/cluster \
  bench/run.sh || status=1

{
  jq -c '{target: "single"} + .' "$work/single/LATEST.jsonl"
  jq -c '{target: "cluster"} + .' "$work/cluster/LATEST.jsonl"
} >"$results/CLUSTER.jsonl"
check() { grep -o 'check.*' "$1/LATEST.md" | grep -q 'ok = true' && echo true || echo false; }
single_check=$(check "$work/single")
cluster_check=$(check "$work/cluster")

{
  cat <<EOF
# Benchmark: one stack next to the cluster

$started, $(nproc) cores, wrk -t2, -c ${BENCH_CONNECTIONS// /, -c } for ${BENCH_SECONDS} s per scenario. Written by
\`make bench-cluster\` (bench/cluster.sh); never edited by hand. Raw lines: CLUSTER.jsonl.

Both columns come from one run of the same scenarios (bench/run.sh) on the same data, one after the
other: **one stack** (nginx, $workers workers per pool, one MariaDB, one Redis) and **the cluster**
(\`scripts/cluster.sh\`: three MariaDB Galera nodes, a Redis primary, a replica and three Sentinels, two
app hosts of $((workers / 2)) workers per pool each, an nginx load balancer in front; each host a network
namespace). Every process of both runs on this one machine's $(nproc) cores, so the ratio is the
price of replication (each write certified and applied on three nodes) and of the balancer's extra
hop — not the gain of more machines, which needs more cores. req/s counts only the statuses a
scenario expects; "CPU µs" is the whole stack's CPU time per request (every process of it, all nodes).

| scenario | -c | expects | one stack req/s | cluster req/s | cluster / one | p99 ms one | p99 ms cluster | CPU µs one | CPU µs cluster | verdict |
|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|
EOF
  jq -rs '
    def cpu: if .cpu_us then ([.cpu_us[]] | add | round | tostring) else "—" end;
    def num: if . == null then "—" else (. | round | tostring) end;
    (map(select(.target == "single")) | map({key: "\(.scenario)|\(.connections)", value: .}) | from_entries) as $one
    | map(select(.target == "cluster"))[]
    | . as $c | ($one["\(.scenario)|\(.connections)"] // {}) as $s
    | "| \(.scenario) | \(.connections) | \(.expect | map(tostring) | join(" ")) | \($s.rps | num) | \($c.rps | num) | \(if ($s.rps // 0) > 0 then ($c.rps / $s.rps * 100 | round / 100 | tostring) else "—" end) | \($s.p99_ms // "—") | \($c.p99_ms // "—") | \($s | cpu) | \($c | cpu) | \(if $s.verdict == "PASS" and $c.verdict == "PASS" then "PASS" else "FAIL: " + (($s.why // ["one stack: missing"]) + $c.why | join("; ")) end) |"
  ' "$results/CLUSTER.jsonl"
  cat <<EOF

\`concertctl check\` after each run: one stack ok = $single_check, the cluster ok = $cluster_check.
EOF
} >"$results/CLUSTER.md"
cat "$results/CLUSTER.md"
# docs/SCALING.md's cluster table comes from these lines (never by hand).
[ "$results" = "$root/bench/results" ] && bench/docs.sh cluster "$results/CLUSTER.md"
fails=$(jq -r 'select(.verdict == "FAIL") | "  \(.target): \(.scenario) -c\(.connections): \(.why | join("; "))"' "$results/CLUSTER.jsonl")
[ -z "$fails" ] || { echo "bench-cluster: FAIL:"; echo "$fails"; } >&2
[ -z "$fails" ] && [ "$single_check" = true ] && [ "$cluster_check" = true ] && [ $status -eq 0 ]
