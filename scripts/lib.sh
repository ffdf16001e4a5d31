# shellcheck shell=bash
# Helpers shared by scripts/stack.sh and scripts/cluster.sh (sourced; the
# caller defines log(), $root and $logs).

# --- processes -----------------------------------------------------------------
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

# stop_pids GRACE PID...: TERM to every pid given, then waits up to GRACE
# seconds for them all, then KILL.
stop_pids() {
  local grace=$1 pid
  shift
  for pid in "$@"; do
    if alive "$pid"; then kill -TERM "$pid" 2>/dev/null || true; fi
  done
  local deadline=$((SECONDS + grace))
  for pid in "$@"; do
    while alive "$pid"; do
      if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  done
}

# reachable_by USER DIR: whether USER can reach DIR, or what exists of its
# path (a server that drops to USER must reach its state directory).
reachable_by() {
  local d=$2
  while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  runuser -u "$1" -- test -x "$d" 2>/dev/null
}

# --- the parts every stack has ------------------------------------------------------
# write_secret FILE: the token secret, 32 random bytes in hex, readable by
# its owner only.
write_secret() { (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d " \n" >"$1"); }

# fill_template FILE NAME=VALUE...: FILE on stdout with every @NAME@ replaced
# by its VALUE (a VALUE holds no '|', '&' or newline).
fill_template() {
  local file=$1 pair edits=()
  shift
  for pair in "$@"; do edits+=(-e "s|@${pair%%=*}@|${pair#*=}|g"); done
  sed "${edits[@]}" "$file"
}

# concert_db_init SOCKET [HOST...]: as root over SOCKET, the concert database
# and its user, allowed from localhost, 127.0.0.1 and every HOST (a MariaDB
# host pattern, as 10.218.37.%); then every migration (scripts/migrate.sh,
# whose report goes to stdout).
concert_db_init() {
  local socket=$1 host sql="CREATE DATABASE IF NOT EXISTS concert CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;"
  shift
  for host in localhost 127.0.0.1 "$@"; do
    sql+=" CREATE USER IF NOT EXISTS 'concert'@'$host' IDENTIFIED BY 'concert';"
    sql+=" GRANT ALL ON concert.* TO 'concert'@'$host';"
  done
  mariadb --socket="$socket" -uroot -e "$sql"
  "$root/scripts/migrate.sh" --socket="$socket" -uroot
}

# add_demo_concert SOCKET: one concert playing in 7, 8 and 9 days, added
# through SOCKET by bin/concertctl; prints its dates. (The last command
# carries a failure out of $(...), where set -e does not reach.)
add_demo_concert() {
  local dates
  dates=$(date -u -d '+7 days' +%F),$(date -u -d '+8 days' +%F),$(date -u -d '+9 days' +%F)
  CONCERT_DB_URL="unix://$1" "$root/bin/concertctl" concert add \
    --name "Opening Night (demo)" --dates "$dates" >/dev/null && echo "$dates"
}
