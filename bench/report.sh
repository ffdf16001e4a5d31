#!/usr/bin/env bash
# Turns a bench run's JSON lines (judged by bench/run.sh) into
# bench/results/LATEST.md and LATEST.png.
#
#   bench/report.sh LATEST.jsonl OUT_DIR SECONDS "CONNECTIONS..." WORKERS CHECK_OK [RATE_BOUND TIMEOUT SELFTEST]
set -euo pipefail

jsonl=$1 out=$2 seconds=$3 connections=$4 workers=$5 check=$6
bound=${7:-20000} timeout=${8:-5} selftest=${9:-0}
read -ra conns <<<"$connections"

# rps NAME CONNECTIONS -> expected responses per second ("" if not run).
rps() { jq -r --arg s "$1" --argjson c "$2" 'select(.scenario == $s and .connections == $c) | .rps' "$jsonl"; }
# failed NAME CONNECTIONS -> " (FAIL)" if that run failed.
failed() {
  jq -r --arg s "$1" --argjson c "$2" 'select(.scenario == $s and .connections == $c and .verdict == "FAIL") | " (FAIL)"' "$jsonl"
}

# Each route's own engine (the engine rows of bench/scenarios.table, whose
# lines name their "route"; run with as many connections as the route's
# pool has workers), and the goal: every route at least 0.7 of its engine's
# figure in the same run.
engine_goal=0.7
# engine_rps ROUTE -> its engine's expected outcomes per second ("" if none).
engine_rps() {
  jq -r --arg r "$1" 'select(.engine and .route == $r and .verdict == "PASS") | .rps' "$jsonl" | tail -1
}

dashc=$(printf -- '-c%s and ' "${conns[@]}")
dashc=${dashc% and }
runs=$(jq -s 'map(select(.verdict)) | length' "$jsonl")
fails=$(jq -s 'map(select(.verdict == "FAIL")) | length' "$jsonl")

{
  if [ "$selftest" = 1 ]; then
    echo "# Benchmark self-test (BENCH_SELFTEST=1): the scenarios marked self-test must FAIL"
  else
    echo "# Benchmark: latest run"
  fi
  echo
  echo "$(date -u -r "$jsonl" '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, wrk -t2 $dashc -d${seconds}s --timeout ${timeout}s per scenario"
  echo "through nginx, $workers workers per pool, MariaDB with innodb_flush_log_at_trx_commit=1. Written by"
  echo "\`make bench\` (bench/run.sh); never edited by hand. Raw lines: LATEST.jsonl."
  echo
  echo "**req/s counts only the statuses a scenario expects** (\"expects\"). A scenario fails (its verdict says why) on any"
  echo "other status (its mix is under \"responses\"), on any socket error or timeout (an answer slower than"
  echo "${timeout} s), when its prepared data ran out (\"data\": used / had; seats, holds and fresh users are"
  echo "used once, never reused, and each run has its own, sized for (${seconds} s + 1) × ${bound} req/s; \"reuses\""
  echo "marks data that may be used again, such as tokens for reads), or with no expected response at all;"
  echo "\`make bench\` then exits non-zero after writing this report. This run: $runs scenario runs, $fails failed."
  echo
  echo "\"ratio to engine\" is the route's req/s over its own engine's in this run (the route's statements or"
  echo "Redis script with no HTTP in front: bench/engine.cpp, $workers connections like the route's pool; table below);"
  echo "goal ≥ $engine_goal. \"ratio to ping\" compares with our FastCGI runtime's own ceiling."
  echo
  echo "| scenario | -c | expects | req/s | p50 ms | p99 ms | responses | data used / had | ratio to ping | ratio to engine | goal | verdict |"
  echo "|---|---:|---|---:|---:|---:|---|---|---:|---:|---|---|"
  jq -r 'def dash: if . == "" then "—" else . end;
         select((.scenario | test("\\[") | not) and .verdict != null and (.engine | not)) |
         [.scenario, .connections, (.expect // [] | map(tostring) | join(" ") | dash), (.rps // 0), (.p50_ms // "-"), (.p99_ms // "-"),
          ((.statuses // {} | to_entries | map("\(.key)×\(.value)") | join(" ")) +
           (if (.socket_errors // 0) > 0 then " socket-errors×\(.socket_errors)" else "" end) | dash),
          (if .data == null then "—"
           elif .data.reused != null then "reuses \(.data.reused)"
           else "\(.data.used) / \(.data.had)" + (if .data.short > 0 then " **ran dry**" else "" end) end),
          (if .cpu_us != null then "wrk" else "load" end),
          (if .verdict == "PASS" then "PASS" else "**FAIL**: " + (.why | join("; ")) end)] | @tsv' "$jsonl" |
    while IFS=$'\t' read -r name c expects r p50 p99 mix data kind verdict; do
      ping=$(rps "ping (our runtime)" "$c")
      ratio="" to_engine="" goal=""
      if [ "$kind" = wrk ] && [ -n "$ping" ]; then
        ratio=$(awk -v a="$r" -v b="$ping" 'BEGIN { printf "%.2f", a / b }')
      fi
      e=$(engine_rps "$name")
      if [ -n "$e" ]; then
        to_engine=$(awk -v a="$r" -v b="$e" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
        goal=$(awk -v a="$to_engine" -v g="$engine_goal" 'BEGIN { print (a >= g ? "≥ " g " met" : "≥ " g " **missed**") }')
      fi
      printf '| %s | %s | %s | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
        "$name" "$c" "$expects" "$r" "$p50" "$p99" "$mix" "$data" "$ratio" "$to_engine" "$goal" "$verdict"
    done
  if grep -q '"engine":true' "$jsonl"; then
    echo
    echo "**Each route's engine** (bench/engine.cpp): the route's own store function — the same statements in the"
    echo "same transaction with the same retries, or the same Redis script — against the same MariaDB or Redis and"
    echo "the same data, from $workers processes with one connection each (the route's pool), no HTTP, for ${seconds} s."
    echo "Token issue's engine is its Redis script only (the route also reads the user's secret and the concert in MariaDB)."
    echo
    echo "CPU µs per call as for the routes (\"Where the CPU goes\"), with the engine's own processes in place of"
    echo "nginx, the handler and the load generator: what the same store work costs MariaDB or Redis without HTTP."
    echo
    echo "| engine | connections | expects | req/s | p50 ms | p99 ms | CPU µs: MariaDB | Redis | engine | responses | data used / had | verdict |"
    echo "|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|---|"
    jq -r 'select(.engine) |
      "| \(.scenario | sub("^engine: "; "")) | \(.connections) | \(.expect // [] | map(tostring) | join(" ")) | \(.rps // 0 | round) | \(.p50_ms // "-") | \(.p99_ms // "-") | " +
      "\(.engine_cpu_us.mariadb // "—") | \(.engine_cpu_us.redis // "—") | \(.client_cpu_us // "—") | " +
      "\(.statuses // {} | to_entries | map("\(.key)×\(.value)") | join(" ")) | " +
      "\(if .data == null then "—" elif .data.reused != null then "reuses \(.data.reused)" else "\(.data.used) / \(.data.had)" end) | " +
      "\(if .verdict == "PASS" then "PASS" else "**FAIL**: " + (.why | join("; ")) end) |"' "$jsonl"
  fi
  if [ "$fails" -gt 0 ]; then
    echo
    echo "**Failed** (all parts of the run, the scale run and the pool curve included):"
    echo
    jq -r 'select(.verdict == "FAIL") | "- \(.scenario) -c\(.connections): \(.why | join("; "))" +
           (if .selftest then " (self-test: must FAIL)" else "" end)' "$jsonl"
  fi
  echo
  echo "**Where the CPU goes:** µs of CPU per request (every response, expected or not), by part of the"
  echo "stack, from /proc (user + system time of every process of the stack, before and after each scenario;"
  echo "the load generator is not one). Two cores give 2,000,000 µs per second in all, so a route's req/s is"
  echo "at most 2,000,000 / (total + the load generator's share)."
  echo
  echo "| scenario | -c | nginx | handler | MariaDB | Redis | other | total | largest |"
  echo "|---|---:|---:|---:|---:|---:|---:|---:|---|"
  jq -r 'select(.cpu_us != null and (.scenario | test("\\[") | not)) | .cpu_us as $c |
         [.scenario, .connections, $c.nginx, $c.handler, $c.mariadb, $c.redis, $c.other,
          ($c.nginx + $c.handler + $c.mariadb + $c.redis + $c.other),
          ({nginx: $c.nginx, handler: $c.handler, MariaDB: $c.mariadb, Redis: $c.redis} | to_entries | max_by(.value) | .key)]
         | @tsv' "$jsonl" |
    while IFS=$'\t' read -r name c n h m r o t big; do
      printf '| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' "$name" "$c" "$n" "$h" "$m" "$r" "$o" "$t" "$big"
    done
  race=$(jq -r 'select(.scenario == "opening-day race") | "\(.requests) holds at once on 50 seats: \(.created) × 201, \(.conflicts) × 409, \(.other) other; every request answered in \(.seconds) s"' "$jsonl")
  echo
  echo "**Opening-day race:** $race (goal: exactly 50 × 201, settled within 1 s)."
  echo
  echo "**Journey** (sign-up → token → seats → hold → charge → pay, one client per connection): $(jq -rs 'map(select(.scenario == "journey") |
    "\(.connections) clients, \(.flowsPerSecond) complete purchases per second (\(.flows) in \(.seconds) s, \(.failures) failed)") | join("; ")' "$jsonl")."
  if grep -q '\[big\]' "$jsonl"; then
    echo
    echo "**Scale:** the same scenarios with 1,000,000 more seats (20,000 dates) and a room of 1,000,000 waiting tickets"
    echo "(goal: big/small ≥ 0.8). Queue status: small = ACTIVE tokens of a small room; big = 5,000 tokens of waiting"
    echo "tickets spread over the room of a million (each poll finds its place among the million)."
    echo
    echo "| scenario | -c | small req/s | big req/s | big/small | goal |"
    echo "|---|---:|---:|---:|---:|---|"
    for s in "GET /queue/status" "GET available-seats" "POST /reservations"; do
      for c in "${conns[@]}"; do
        a=$(rps "$s" "$c") b=$(rps "$s [big]" "$c")
        awk -v s="$s" -v c="$c" -v a="$a" -v b="$b" -v fa="$(failed "$s" "$c")" -v fb="$(failed "$s [big]" "$c")" 'BEGIN {
          r = sprintf("%.2f", a > 0 ? b / a : 0)
          printf "| %s | %s | %.0f%s | %.0f%s | %s | %s |\n", s, c, a, fa, b, fb, r, (r + 0 >= 0.8 ? "≥ 0.8 met" : "≥ 0.8 **missed**")
        }'
      done
    done
  fi
  if grep -q '"kind":"million"' "$jsonl"; then
    # The room of a million: capacity is the best -c of the status scenario
    # on its waiting tickets (expected responses only; a FAILed run counts 0).
    capacity=$(jq -s '[.[] | select(.scenario == "GET /queue/status [big]") | if .verdict == "PASS" then .rps else 0 end] | max // 0' "$jsonl")
    jq -rs --argjson cap "$capacity" '
      (map(select(.scenario == "a room of a million: fill")) | last) as $f |
      (map(select(.scenario == "a room of a million: pacing"))) as $p |
      ($p | map(select(.waiting == 1000000)) | last) as $d |
      ($p | map(select(.waiting == 10000000)) | last) as $o |
      def n: . * 10 | round / 10;
      def goal($r): if $r <= 0.8 * $cap then "≤ 0.8 × capacity: met" else "≤ 0.8 × capacity: **missed**" end;
      "", "**A room of a million** (one two-core machine): \($f.tickets) tickets issued through the token route'"'"'s own code",
      "(bench/room.cpp) in \($f.seconds) s; 100 ACTIVE (the default capacity) and the rest WAITING.", "",
      "| measure | figure | goal |", "|---|---:|---|",
      "| queue-status capacity, polls of waiting tickets (best -c, 200s only) | \($cap | round) req/s | |",
      "| poll rate server pacing implies, 1,000,000 waiting, \($d.places_per_second) places/s (polls every \($d.poll_first)–\($d.poll_last) s) | \($d.implied_rps | round) req/s = \(($d.implied_rps / (if $cap > 0 then $cap else 1 end)) * 100 | round / 100) × capacity | \(goal($d.implied_rps)) |",
      "| the same for 10,000,000 waiting (polls every \($o.poll_first)–\($o.poll_last) s) | \($o.implied_rps | round) req/s = \(($o.implied_rps / (if $cap > 0 then $cap else 1 end)) * 100 | round / 100) × capacity | \(goal($o.implied_rps)) |",
      "| Redis memory per ticket (`used_memory` after − before, ÷ tickets; every key of a ticket) | \($f.bytes_per_ticket | n) bytes | ≤ 64 \(if $f.bytes_per_ticket <= 64 then "met" else "**missed**" end) |",
      "", "Pacing as computed by the routes'"'"' own code (bench/room.cpp pacing) for every place of the line",
      "(v3: a tenth of the wait, at most queue.max_poll_seconds), plus the 100 ACTIVE tickets at their own pace."' "$jsonl"
  fi
  if grep -q 'workers\]' "$jsonl"; then
    echo
    echo "**Pool size** (req/s with 1, 2, 4 and 8 workers per pool):"
    echo
    echo "| workers | -c | ping | available-seats | holds |"
    echo "|---:|---:|---:|---:|---:|"
    for w in 1 2 4 8; do
      for c in "${conns[@]}"; do
        row="| $w | $c |"
        for s in "ping" "GET available-seats" "POST /reservations"; do
          r=$(rps "$s [$w workers]" "$c")
          row="$row $(printf '%.0f' "${r:-0}")$(failed "$s [$w workers]" "$c") |"
        done
        echo "$row"
      done
    done
  fi
  echo
  echo "\`concertctl check\` after the run: ok = $check."
} >"$out/LATEST.md"

# The chart: each route's ratio to its own engine at each connection count,
# with the goal.
jq -r 'select(.cpu_us != null and (.selftest | not) and (.scenario | test("\\[|nginx|ping") | not)) | .scenario' "$jsonl" |
  awk '!seen[$0]++' |
  while IFS= read -r name; do
    e=$(engine_rps "$name")
    [ -n "$e" ] || continue
    # A route with a FAILed run says so under its bars.
    mark=$(jq -rs --arg s "$name" 'if any(.[]; .scenario == $s and .verdict == "FAIL") then " (FAIL)" else "" end' "$jsonl")
    line="\"$name$mark\""
    for c in "${conns[@]}"; do
      r=$(rps "$name" "$c")
      line="$line"$'\t'$(awk -v a="${r:-0}" -v b="$e" 'BEGIN { printf "%.3f", (b > 0 ? a / b : 0) }')
    done
    printf '%s\t%s\n' "$line" "$engine_goal"
  done >"$out/ratios.dat"
plot="" col=2 xtic=":xtic(1)"
for c in "${conns[@]}"; do
  plot="$plot${plot:+, }\"$out/ratios.dat\" using $col$xtic title \"-c$c\""
  col=$((col + 1)) xtic=""
done
plot="$plot, \"\" using 0:$col with points pt 7 ps 1.5 lc rgb \"#c0392b\" title \"goal\""
if [ -s "$out/ratios.dat" ]; then
  gnuplot <<EOF
set terminal pngcairo size 1100,560 font "sans,10"
set output "$out/LATEST.png"
set title "Each route's throughput (expected responses only) as a share of its own engine's (same run; engine: $workers connections)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:1.1]
set ylabel "ratio to its engine"
set xtics rotate by -30 left
set grid ytics
set datafile separator "\t"
plot $plot
EOF
fi
rm -f "$out/ratios.dat"
cat "$out/LATEST.md"
