#!/usr/bin/env bash
# Turns a bench run's JSON lines into bench/results/LATEST.md and LATEST.png.
#
#   bench/report.sh LATEST.jsonl OUT_DIR SECONDS CONNECTIONS WORKERS CHECK_OK
set -euo pipefail

jsonl=$1 out=$2 seconds=$3 connections=$4 workers=$5 check=$6

rps() { jq -r --arg s "$1" 'select(.scenario == $s) | .rps' "$jsonl"; }
ping=$(rps "ping (our runtime)")

# Goals from the benchmark issue: ratio to ping in the same run.
goal_of() {
  case "$1" in
    "GET /queue/status") echo 0.7 ;;
    "GET available-seats") echo 0.5 ;;
    "POST /queue/token (fresh users)") echo 0.4 ;;
    "POST /reservations" | "POST /users/{id}/charge (many users)") echo 0.25 ;;
    "POST /payments") echo 0.15 ;;
    *) echo "" ;;
  esac
}

{
  echo "# Benchmark: latest run"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, wrk -t2 -c$connections -d${seconds}s per scenario through"
  echo "nginx, $workers workers per pool, MariaDB with innodb_flush_log_at_trx_commit=1. Written by"
  echo "\`make bench\` (bench/run.sh); never edited by hand. Raw lines: LATEST.jsonl."
  echo
  echo "| scenario | req/s | p50 ms | p99 ms | responses | ratio to ping | goal |"
  echo "|---|---:|---:|---:|---|---:|---|"
  jq -r 'select(.rps != null) | [.scenario, .rps, .p50_ms, .p99_ms,
           ((.statuses | to_entries | map("\(.key)×\(.value)") | join(" ")) +
            (if .socket_errors > 0 then " socket-errors×\(.socket_errors)" else "" end))] | @tsv' "$jsonl" |
    while IFS=$'\t' read -r name r p50 p99 mix; do
      case "$name" in *"["*) continue ;; esac
      ratio=$(awk -v a="$r" -v b="$ping" 'BEGIN { printf "%.2f", a / b }')
      goal=$(goal_of "$name")
      verdict=""
      if [ -n "$goal" ]; then
        verdict=$(awk -v a="$ratio" -v g="$goal" 'BEGIN { print (a >= g ? "≥ " g " met" : "≥ " g " **missed**") }')
      fi
      printf '| %s | %.0f | %s | %s | %s | %s | %s |\n' "$name" "$r" "$p50" "$p99" "$mix" "$ratio" "$verdict"
    done
  echo
  echo "**Where the CPU goes:** µs of CPU per request, by part of the stack, from /proc (user + system"
  echo "time of every process of the stack, before and after each scenario; the load generator is not one). Two"
  echo "cores give 2,000,000 µs per second in all, so a route's req/s is at most 2,000,000 / (total"
  echo "+ the load generator's share)."
  echo
  echo "| scenario | nginx | handler | MariaDB | Redis | other | total | largest |"
  echo "|---|---:|---:|---:|---:|---:|---:|---|"
  jq -r 'select(.cpu_us != null and (.scenario | test("\\[") | not)) | .cpu_us as $c |
         [.scenario, $c.nginx, $c.handler, $c.mariadb, $c.redis, $c.other,
          ($c.nginx + $c.handler + $c.mariadb + $c.redis + $c.other),
          ({nginx: $c.nginx, handler: $c.handler, MariaDB: $c.mariadb, Redis: $c.redis} | to_entries | max_by(.value) | .key)]
         | @tsv' "$jsonl" |
    while IFS=$'\t' read -r name n h m r o t big; do
      printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$n" "$h" "$m" "$r" "$o" "$t" "$big"
    done
  race=$(jq -r 'select(.scenario == "opening-day race") | "\(.requests) holds at once on 50 seats: \(.created) × 201, \(.conflicts) × 409, \(.other) other; every request answered in \(.seconds) s"' "$jsonl")
  echo
  echo "**Opening-day race:** $race (goal: exactly 50 × 201, settled within 1 s)."
  echo
  echo "**Journey** (sign-up → token → seats → hold → charge → pay, 8 clients): $(jq -r 'select(.scenario == "journey") | "\(.flowsPerSecond) complete purchases per second (\(.flows) in \(.seconds) s, \(.failures) failed)"' "$jsonl")."
  if grep -q '\[big\]' "$jsonl"; then
    echo
    echo "**Scale:** the same scenarios with 1,000,000 more seats (20,000 dates) and 1,000,000 waiting tickets (goal: big/small ≥ 0.8)."
    echo
    echo "| scenario | small req/s | big req/s | big/small | goal |"
    echo "|---|---:|---:|---:|---|"
    for s in "GET /queue/status" "GET available-seats" "POST /reservations"; do
      a=$(rps "$s"); b=$(rps "$s [big]")
      awk -v s="$s" -v a="$a" -v b="$b" 'BEGIN {
        r = sprintf("%.2f", b / a)
        printf "| %s | %.0f | %.0f | %s | %s |\n", s, a, b, r, (r + 0 >= 0.8 ? "≥ 0.8 met" : "≥ 0.8 **missed**")
      }'
    done
  fi
  if grep -q 'workers\]' "$jsonl"; then
    echo
    echo "**Pool size** (req/s with 1, 2, 4 and 8 workers per pool):"
    echo
    echo "| workers | ping | available-seats | holds |"
    echo "|---:|---:|---:|---:|"
    for w in 1 2 4 8; do
      printf '| %s | %.0f | %.0f | %.0f |\n' "$w" "$(rps "ping [$w workers]")" \
        "$(rps "GET available-seats [$w workers]")" "$(rps "POST /reservations [$w workers]")"
    done
  fi
  echo
  echo "\`concertctl check\` after the run: ok = $check."
} >"$out/LATEST.md"

# The chart: each route's ratio to ping, with its goal.
jq -r 'select(.rps != null and (.scenario | test("\\[|nginx") | not)) | [.scenario, .rps] | @tsv' "$jsonl" |
  while IFS=$'\t' read -r name r; do
    goal=$(goal_of "$name")
    printf '"%s"\t%s\t%s\n' "$name" "$(awk -v a="$r" -v b="$ping" 'BEGIN { printf "%.3f", a / b }')" "${goal:-NaN}"
  done >"$out/ratios.dat"
gnuplot <<EOF
set terminal pngcairo size 1100,560 font "sans,10"
set output "$out/LATEST.png"
set title "Throughput as a share of our FastCGI ping route (same run)"
set style data histograms
set style fill solid 0.8 border -1
set boxwidth 0.8
set yrange [0:*]
set ylabel "ratio to ping"
set xtics rotate by -30 left
set grid ytics
set datafile separator "\t"
plot "$out/ratios.dat" using 2:xtic(1) title "measured" lc rgb "#3b6ea8", \
     "" using 0:3 with points pt 7 ps 1.5 lc rgb "#c0392b" title "goal"
EOF
rm -f "$out/ratios.dat"
cat "$out/LATEST.md"
