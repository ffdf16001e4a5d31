#!/usr/bin/env bash
# Interleaved A/B runs of the bench: is a change faster, measured on this
# noisy machine in one session? Two revisions of this repository, each built
# in a git worktree of its own (var/ab/a, var/ab/b), run one after the other
# ROUNDS times, alternating which goes first (A B, B A, A B, ...), so that
# the machine's drift over the minutes falls on both alike. Each run is
# bench/run.sh as `make bench` runs it (same scenarios, same FAIL rules, own
# stack and data), without the scale run and the pool curve. A run with a
# FAILed scenario stops the comparison.
#
#   bench/ab.sh REV_A REV_B [ROUNDS]        ROUNDS: 3
#   (both revisions need `make bench-build` and BENCH_ONLY: 6adf443 or later)
#   BENCH_ONLY='regex'   only the scenarios and engines it matches (bench/run.sh)
#
# Writes each run's lines to var/ab/<a|b>-<round>/LATEST.jsonl and the
# comparison to var/ab/AB.md (and stdout): for each scenario and connection
# count, every run's req/s per side, the medians, B/A of the medians, and
# the median p99s and CPU µs per request.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ $# -ge 2 ] || { echo "usage: bench/ab.sh REV_A REV_B [ROUNDS]" >&2; exit 2; }
rounds=${3:-3}
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench/ab.sh: ROUNDS must be a number, got '$rounds'" >&2; exit 2; }
out=$root/var/ab
mkdir -p "$out"
rev_a=$(git rev-parse --verify "$1^{commit}") && rev_b=$(git rev-parse --verify "$2^{commit}") ||
  { echo "bench/ab.sh: not a revision: '$1' or '$2'" >&2; exit 2; }
declare -A rev=([a]=$rev_a [b]=$rev_b)

for side in a b; do
  dir=$out/$side
  if [ -d "$dir" ]; then
    git -C "$dir" checkout -q --detach "${rev[$side]}"
  else
    git worktree add -q --detach "$dir" "${rev[$side]}"
  fi
  echo "ab: $side = $(git -C "$dir" log -1 --format='%h %s' | cut -c1-100)" >&2
  make --no-print-directory -C "$dir" bench-build >&2
done

for ((r = 1; r <= rounds; r++)); do
  order="a b"
  [ $((r % 2)) = 0 ] && order="b a"
  for side in $order; do
    echo "ab: round $r of $rounds: $side" >&2
    rm -rf "${out:?}/$side-$r"
    # (The two ROUNDS knobs turn off the off/on rounds of revisions whose
    # `make bench` still ran them; later ones ignore them.)
    (cd "$out/$side" && BENCH_BIG=0 BENCH_CURVE=0 BENCH_METRICS_ROUNDS=0 BENCH_KEEPALIVE_ROUNDS=0 \
      BENCH_RESULTS="$out/$side-$r" bench/run.sh) ||
      { echo "ab: the run of $side in round $r failed (report in $out/$side-$r); no comparison" >&2; exit 1; }
  done
done

# One line per scenario and connection count: each side's req/s in run order.
{
  echo "# A/B: ${rev[a]:0:7} (A) against ${rev[b]:0:7} (B), $rounds rounds interleaved"
  echo
  echo "A: $(git log -1 --format='%h %s' "${rev[a]}" | cut -c1-120)"
  echo "B: $(git log -1 --format='%h %s' "${rev[b]}" | cut -c1-120)"
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), bench/ab.sh; req/s counts expected responses only."
  echo
  echo "| scenario | -c | A req/s (runs) | B req/s (runs) | A median | B median | B / A | p99 ms A | p99 ms B | CPU µs A | CPU µs B |"
  echo "|---|---:|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for side in a b; do
    for ((r = 1; r <= rounds; r++)); do
      jq -c --arg side "$side" 'select(.rps != null) | {side: $side, s: .scenario, c: .connections, rps, p99: .p99_ms, cpu: (if .cpu_us then (.cpu_us | add) else null end)}' \
        "$out/$side-$r/LATEST.jsonl"
    done
  done | jq -rs '
    def median: sort | if length % 2 == 1 then .[length / 2 | floor] else (.[length / 2 - 1] + .[length / 2]) / 2 end;
    def r: . * 100 | round / 100;
    group_by([.s, .c])[]
    | (map(select(.side == "a"))) as $a | (map(select(.side == "b"))) as $b
    | select(($a | length) > 0 and ($b | length) > 0)
    | ($a | map(.rps) | median) as $ma | ($b | map(.rps) | median) as $mb
    | "| \(.[0].s) | \(.[0].c) | \($a | map(.rps | round) | join(", ")) | \($b | map(.rps | round) | join(", ")) | \($ma | round) | \($mb | round) | \(if $ma > 0 then ($mb / $ma | r) else "—" end) | \($a | map(.p99 // 0) | median | r) | \($b | map(.p99 // 0) | median | r) | \($a | map(.cpu // empty) | if length > 0 then median | round else "—" end) | \($b | map(.cpu // empty) | if length > 0 then median | round else "—" end) |"'
} | tee "$out/AB.md"
