# Measuring and judging one run of a scenario: where the stack's CPU went,
# and the verdict on its result line. Sourced by bench/lib/scenarios.sh;
# record appends to $jsonl.

# Where the CPU goes: clock ticks (user + system) of every process of the
# stack (the stack script and Redis, which runs as a daemon, and their
# descendants), by part: nginx, the handler pools, MariaDB, Redis, and the
# rest ("other": the stack's own scripts). The load generator is not part
# of the stack.
handler_names=$( (ls bin; echo ping) | cut -c1-15 | tr '\n' ' ')
# cpu_snapshot -> lines "PID:STARTTIME PART TICKS"
cpu_snapshot() {
  # One cat for them all; a process may exit between the listing and the
  # read, which is not an error.
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } |
    awk -v roots="$stack_pid $(cat "$state"/run/redis.pid 2>/dev/null)" -v handlers="$handler_names" '
      BEGIN {
        n = split(handlers, h, " "); for (i = 1; i <= n; i++) is_handler[h[i]] = 1
        n = split(roots, r, " "); for (i = 1; i <= n; i++) is_root[r[i]] = 1
      }
      {
        # comm is in parentheses and may hold spaces or ")": the fields
        # after it count from the last ")".
        open = index($0, "("); match($0, /.*\)/); shut = RLENGTH
        pid = $1; name[pid] = substr($0, open + 1, shut - open - 1)
        split(substr($0, shut + 2), f, " ")
        ppid[pid] = f[2]; ticks[pid] = f[12] + f[13]; start[pid] = f[20]
      }
      END {
        for (p in name) {
          q = p; mine = 0
          for (depth = 0; depth < 64 && q + 0 > 1; depth++) { if (q in is_root) { mine = 1; break }; q = ppid[q] }
          if (!mine) continue
          c = name[p]
          part = c == "nginx" ? "nginx" : c == "mariadbd" ? "mariadb" : c == "redis-server" ? "redis" \
               : (c in is_handler) ? "handler" : "other"
          print p ":" start[p], part, ticks[p]
        }
      }'
}
# cpu_per_request BEFORE AFTER REQUESTS -> "nginx":us,... (CPU µs per request).
# A process that started meanwhile counts whole; one that ended is lost.
cpu_per_request() {
  local hz
  hz=$(getconf CLK_TCK)
  awk -v req="$3" -v hz="$hz" 'NR == FNR { before[$1] = $3; next }
    { d[$2] += $3 - (($1 in before) ? before[$1] : 0) }
    END {
      out = ""
      split("nginx handler mariadb redis other", parts, " ")
      for (i = 1; i <= 5; i++) {
        p = parts[i]
        out = out sprintf("%s\"%s\":%.0f", (i > 1 ? "," : ""), p, (req > 0 ? d[p] * 1e6 / hz / req : 0))
      }
      print out
    }' "$1" "$2"
}
# cpu_since LINE: the CPU per request (cpu_per_request's fields) of the run
# that printed the result LINE, from $state/cpu.before, taken before it,
# to now.
cpu_since() {
  local requests=0
  cpu_snapshot >"$state/cpu.after"
  jq -e 'type == "object"' >/dev/null 2>&1 <<<"$1" && requests=$(jq -r '.requests // 0' <<<"$1")
  cpu_per_request "$state/cpu.before" "$state/cpu.after" "$requests"
}

# judge: a result line gets "verdict" (PASS or FAIL) and "why" (the reasons
# it failed): any status the table ($want) does not expect, a generator
# that counted other statuses as expected, any socket error or timeout,
# prepared data that ran out, no expected response at all, and what the
# scenario itself reported as wrong ("problems", from bench/load.cpp).
judge='
  (.expect // null | if . then map(tostring) else . end) as $counted
  | ([.statuses // {} | to_entries[] | select(.key as $k | $want | any(. == $k) | not) | .value] | add // 0) as $other
  | [ (if $counted != null and ($counted | sort) != ($want | sort)
       then "counted \($counted | join(", ")) as expected, the table expects \($want | join(", "))" else empty end),
      (if $other > 0 then "\($other) unexpected responses" else empty end),
      (if (.socket_errors // 0) > 0 then "\(.socket_errors) socket errors or timeouts" else empty end),
      (if (.data.short // 0) > 0 then "ran dry: had \(.data.had), \(.data.short) more wanted" else empty end),
      (if (.expected // 0) == 0 then "no expected response" else empty end),
      (.problems // [])[] ] as $why
  | . + {verdict: (if $why == [] then "PASS" else "FAIL" end), why: $why}'
# record NAME CONNECTIONS EXPECTS JSON [EXTRA_JSON]: judges one result
# (EXPECTS: the table's, "201, 409") and appends it to $jsonl; a scenario
# that printed nothing is a FAIL of its own.
record() {
  local line=${4:-} extra=${5:-} want
  jq -e 'type == "object"' >/dev/null 2>&1 <<<"$line" || line='{"problems":["no result line"]}'
  [ -n "$extra" ] || extra='{}'
  want=$(jq -Rc 'split(", ")' <<<"$3")
  line=$(jq -c --arg s "$1" --argjson c "$2" --argjson want "$want" --argjson extra "$extra" \
    "{scenario: \$s, connections: \$c} + . + \$extra | $judge" <<<"$line")
  echo "$line" >>"$jsonl"
  log "$1 -c$2: $(jq -r '"\(.verdict) \(.rps // "-") req/s \(.statuses) \(.why | join("; "))"' <<<"$line")"
}
