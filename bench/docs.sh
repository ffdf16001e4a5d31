#!/usr/bin/env bash
# Regenerates the measured tables of docs/SCALING.md from the bench's
# results, so that they are never edited by hand:
#
#   bench/docs.sh one-host [LATEST.jsonl]    (make bench runs it)
#   bench/docs.sh cluster  [CLUSTER.md]      (make bench-cluster runs it)
#
# Each replaces the lines between "<!-- bench/docs.sh NAME -->" and
# "<!-- end NAME -->" in docs/SCALING.md.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
doc=${BENCH_DOC:-$root/docs/SCALING.md}
part=${1:-}

table_one_host() {
  local jsonl=$1
  echo "From \`bench/results/LATEST.md\` ($(date -u -r "$jsonl" '+%Y-%m-%d %H:%M UTC'), \`make bench\`: wrk through nginx, 8 workers per"
  echo "pool, \`innodb_flush_log_at_trx_commit=1\`, everything on the same two cores). req/s counts expected"
  echo "responses only; \"engine\" is the route's own statements or Redis script with no HTTP, 8 connections."
  echo
  echo "| route | req/s -c32 | req/s -c64 | p99 ms -c32 | engine req/s | best ratio to engine | CPU µs per request, -c32 (largest part) |"
  echo "|---|---:|---:|---:|---:|---:|---|"
  jq -rs '
    def r: if . == null then "—" else (round | tostring) end;
    . as $all
    | def at($s; $c): ($all | map(select(.scenario == $s and .connections == $c and .verdict == "PASS")) | last);
    ($all | map(select(.cpu_us != null and (.scenario | test("\\[") | not))) | map(.scenario)
       | reduce .[] as $n ([]; if index([$n]) then . else . + [$n] end))[]
    | . as $s
    | at($s; 32) as $a | at($s; 64) as $b
    | ($all | map(select(.engine and .route == $s and .verdict == "PASS")) | last) as $e
    | ($a.cpu_us // {}) as $cpu
    | ([$cpu | to_entries[] | select(.key != "other")] | max_by(.value)) as $big
    | "| \($s) | \($a.rps | r) | \($b.rps | r) | \($a.p99_ms // "—") | \($e.rps | r) | " +
      (if $e then ((([$a.rps, $b.rps] | map(. // 0) | max) / $e.rps * 100 | round / 100) | tostring) else "" end) + " | " +
      (if $a.cpu_us then "\([$cpu[]] | add | round) (\({nginx: "nginx", handler: "handler", mariadb: "MariaDB", redis: "Redis"}[$big.key]) \($big.value | round))" else "" end) + " |"
  ' "$jsonl"
  echo
  jq -rs '
    (map(select(.scenario == "a room of a million: fill")) | last) as $f
    | (map(select(.scenario == "a room of a million: pacing")) ) as $p
    | ([.[] | select(.scenario == "GET /queue/status [big]" and .verdict == "PASS") | .rps] | max) as $cap
    | select($f != null and $cap != null)
    | ($p | map(select(.waiting == 1000000)) | last) as $d
    | ($p | map(select(.waiting == 10000000)) | last) as $o
    | "A room of a million (\($f.tickets) tickets issued through the token route'"'"'s code): queue status serves " +
      "\($cap | round) req/s polled by its waiting tickets; pacing calling \($d.places_per_second) places a second asks for " +
      "\($d.implied_rps | round) req/s (\($d.implied_rps / $cap * 100 | round / 100) × that; goal ≤ 0.8), and of a room of " +
      "ten million \($o.implied_rps | round) req/s (\($o.implied_rps / $cap * 100 | round / 100) ×); " +
      "Redis holds \($f.bytes_per_ticket | round) bytes per waiting ticket (goal ≤ 64)."
  ' "$jsonl"
}

table_cluster() {  # CLUSTER.md: its table, as bench/cluster.sh wrote it
  local md=$1
  echo "From \`bench/results/CLUSTER.md\` ($(date -u -r "$md" '+%Y-%m-%d %H:%M UTC'), \`make bench-cluster\`: the same scenarios on one"
  echo "stack and then on the cluster, same data, one run; 8 handler processes per route on each side)."
  echo
  grep '^|' "$md"
}

# replace NAME < new lines: the lines between the markers become stdin.
replace() {
  local name=$1 body
  body=$(cat)
  grep -q "^<!-- bench/docs.sh $name -->\$" "$doc" && grep -q "^<!-- end $name -->\$" "$doc" ||
    { echo "docs.sh: $doc has no markers for $name" >&2; exit 1; }
  BODY=$body awk -v start="<!-- bench/docs.sh $name -->" -v stop="<!-- end $name -->" '
    $0 == start { print; print ENVIRON["BODY"]; skip = 1; next }
    $0 == stop { skip = 0 }
    !skip' "$doc" >"$doc.new"
  mv "$doc.new" "$doc"
}

case "$part" in
  one-host) body=$(table_one_host "${2:-$root/bench/results/LATEST.jsonl}"); replace one-host <<<"$body" ;;
  cluster) body=$(table_cluster "${2:-$root/bench/results/CLUSTER.md}"); replace cluster <<<"$body" ;;
  *) echo "usage: bench/docs.sh one-host|cluster [JSONL]" >&2; exit 2 ;;
esac
