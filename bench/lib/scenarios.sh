# Running the rows of bench/scenarios.table: run_rows WHEN... runs, in the
# table's order, every row whose "when" is one of WHEN. Sourced by
# bench/run.sh and bench/metrics.sh after bench/lib/stack.sh and
# bench/lib/data.sh; they set conns, workers, seconds, timeout, threads,
# engine, selftest, per_run, journey_days and the concerts' ids the table
# names.

# shellcheck source=bench/lib/measure.sh
. "$root/bench/lib/measure.sh"

# BENCH_ONLY, an extended regular expression: only the scenarios and engines
# whose names match it run.
only=${BENCH_ONLY:-}
if [ -n "$only" ]; then
  rc=0; [[ "" =~ $only ]] || rc=$?
  [ "$rc" -le 1 ] || { echo "bench: BENCH_ONLY is not a regular expression: '$only'" >&2; exit 1; }
fi
wanted() { [ -z "$only" ] || [[ "$1" =~ $only ]]; }  # wanted NAME: BENCH_ONLY lets it run

# The table's rows as tab-separated fields, trimmed; each row checked once.
table=$(awk -F'|' '!/^#/ && NF {
    for (i = 1; i <= NF; i++) gsub(/^[ \t]+|[ \t]+$/, "", $i)
    if (NF != 9) { print "bench/scenarios.table:" NR ": " NF " columns, not 9" > "/dev/stderr"; exit 1 }
    OFS = "\t"; $1 = $1; print
  }' "$root/bench/scenarios.table")
mapfile -t table_rows <<<"$table"
for row in "${table_rows[@]}"; do
  IFS=$'\t' read -r _ when kind _ at _ <<<"$row"
  [[ "$when" =~ ^(main|single|selftest|big|curve|metrics)$ && "$kind" =~ ^(wrk|engine|race|journey)$ &&
     "$at" =~ ^(each|first|pool|[1-9][0-9]*)$ ]] ||
    { echo "bench: bench/scenarios.table: a row I cannot run: $row" >&2; exit 1; }
done

# expand TEXT: every $name in TEXT replaced by the shell variable name's value.
expand() {
  local text=$1 out='' re='^([^$]*)[$]([a-z_]+)(.*)$'
  while [[ $text =~ $re ]]; do
    local var=${BASH_REMATCH[2]}
    [ -n "${!var+set}" ] || { log "bench/scenarios.table names \$$var, which this run has not set"; exit 1; }
    out+=${BASH_REMATCH[1]}${!var}
    text=${BASH_REMATCH[3]}
  done
  printf '%s' "$out$text"
}

# run_rows WHEN...: the table's rows of those kinds, in order. "single" rows
# run on one stack only, "selftest" rows only under BENCH_SELFTEST=1.
run_rows() {
  local row name when kind program at holds of args expects k c
  for row in "${table_rows[@]}"; do
    IFS=$'\t' read -r name when kind program at holds of args expects <<<"$row"
    [[ " $* " == *" $when "* ]] || continue
    [ "$when" != single ] || [ "$target" = single ] || continue
    [ "$when" != selftest ] || [ "$selftest" = 1 ] || continue
    [ "$kind" != engine ] || [ "$engine" = 1 ] || continue
    case $at in
      each) for k in "${!conns[@]}"; do c=${conns[$k]}; run_row; done ;;
      first) k=0 c=${conns[0]}; run_row ;;
      pool) k=0 c=$workers; run_row ;;
      *) k=0 c=$at; run_row ;;
    esac
  done
}

# run_row: one run of run_rows' current row at $c connections (the k-th
# count), judged and recorded; then the seats it held are given back.
run_row() {
  local title argv line cpu mark='' seats='' opts=()
  title=$(expand "$name")
  wanted "$title" || return 0
  argv=$(expand "$args")
  [ "$argv" = - ] || read -ra opts <<<"$argv"
  [ "$holds" = - ] || seats=$(expand "$holds")
  [ "$when" != selftest ] || mark=',"selftest":true'
  if [ "$kind" = wrk ] || [ "$kind" = engine ]; then cpu_snapshot >"$state/cpu.before"; fi
  case $kind in
    wrk)
      [ -z "$seats" ] || opts+=(BENCH_CONCERT="$seats" BENCH_SEATS=50 BENCH_SEAT_COUNT="$per_run")
      line=$(env "${opts[@]}" wrk -t"$threads" -c"$c" -d"${seconds}s" --timeout "${timeout}s" -s "$BENCH_LUA/$program" \
        "$url" | grep '^BENCH ' | sed 's/^BENCH //') || true
      cpu=$(cpu_since "$line")
      record "$title" "$c" "$expects" "$line" "{\"cpu_us\":{$cpu}$mark}" ;;
    engine)
      # The route's own engine with no HTTP in front (bench/engine.cpp: the
      # route's store function, the same statements or script, against the
      # same MariaDB and Redis), from as many processes with one connection
      # each as the route's pool has workers; its CPU per request is taken
      # like a scenario's, with the engine's own processes (client_cpu_us,
      # from the engine) in the handler's place.
      [ -z "$seats" ] || opts+=(--concert "$seats" --seat-count "$per_run")
      line=$(build/bench/engine "$program" -c "$c" -d "$seconds" "${opts[@]}" 2>>"$state/engine.txt") || true
      cpu=$(cpu_since "$line")
      [ "$of" = - ] || mark+=",\"route\":$(jq -Rc . <<<"$of")"
      record "$title" "$c" "$expects" "$line" "{\"engine\":true,\"engine_cpu_us\":{$cpu}$mark}" ;;
    race)
      log "$title: $c holds at once on 50 seats"
      line=$(build/bench/load race "$url" "$data/${opts[0]}" "${opts[1]}" "$first_date" "$c") || true
      record "$title" "$c" "$expects" "$line" "{${mark#,}}" ;;
    journey)
      # Each connection count has its own dates.
      line=$(build/bench/load journey "$url" "${opts[0]}" "$first_date" $((k * journey_days)) \
        "$journey_days" "$seconds" "$c") || true
      record "$title" "$c" "$expects" "$line" "{${mark#,}}" ;;
  esac
  [ -z "$seats" ] || give_back "$seats"
}
