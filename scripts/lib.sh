# Process helpers shared by scripts/stack.sh and scripts/cluster.sh (sourced;
# the caller defines log() and $logs).

# A process that exited may still answer kill -0 until it is reaped: read
# its state instead.
alive() {
  local s
  s=$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null) || return 1
  [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}
pid_of() { [ -s "$1" ] && cat "$1"; }

# wait_for WHAT PID TIMEOUT CMD...: waits until CMD succeeds, up to TIMEOUT
# seconds; fails if PID (if given) died meanwhile. Leaves at once when the
# caller's stop_requested is 1.
wait_for() {
  local what=$1 pid=$2 timeout=$3
  shift 3
  local deadline=$((SECONDS + timeout))
  until "$@" >/dev/null 2>&1; do
    [ "${stop_requested:-0}" -eq 1 ] && exit 0
    if [ -n "$pid" ] && ! alive "$pid"; then log "$what exited during start-up (see $logs)"; return 1; fi
    if [ $SECONDS -ge $deadline ]; then log "$what not ready after ${timeout}s (see $logs)"; return 1; fi
    sleep 0.1
  done
}
