#!/usr/bin/env bash
# The local stack: MariaDB, Redis, every handler pool and nginx, all on
# loopback with data under one state directory, in the foreground until
# Ctrl-C/SIGTERM, then everything it started is stopped.
#
#   scripts/stack.sh run [options]          used by `make run` and the tests
#   scripts/stack.sh start-redis [options]  (re)start only Redis, for tests
#   scripts/stack.sh start-mariadb [options]  (re)start only MariaDB, for tests
#
# Options (defaults are `make run`'s):
#   --state DIR        state directory (var)
#   --http-port N      nginx port (8080)
#   --metrics-port N   the internal listener: /metrics and the dashboard
#                      (9180; the second instance's is N+1)
#   --no-metrics       pools keep no counters (CONCERT_METRICS_DIR unset):
#                      what metrics cost, measured by make bench
#   --db-port N        MariaDB TCP port (13306)
#   --redis-port N     Redis TCP port (16379)
#   --workers N        worker processes per handler pool (2)
#   --ephemeral        tests: no Redis persistence, InnoDB without fsync per commit
#   --ready-file F     create F once every part answers
#   --bench            also serve the benchmark's ceilings (/__bench/nginx and
#                      /__bench/ping, the latter from build/bench/ping)
#   --second-http-port N  also start a second, independent set of handler
#                      pools and nginx on this port (same MariaDB and Redis),
#                      as a second host would be
#   --sentinel-port N  also start a Redis Sentinel watching the stack's Redis
#                      (master name "concert"); the second instance then
#                      finds Redis through it (CONCERT_REDIS_SENTINELS) and
#                      MariaDB through a node list whose first node is down
#                      (CONCERT_DB_NODES), so every request it serves takes
#                      the many-machines paths
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
command=${1:-run}
[ $# -gt 0 ] && shift

state=$root/var
http_port=8080
metrics_port=9180
metrics=1
db_port=13306
redis_port=16379
workers=2
ephemeral=0
ready_file=
second_http_port=
sentinel_port=
bench=0
while [ $# -gt 0 ]; do
  case "$1" in
    --state) state=$2; shift 2 ;;
    --http-port) http_port=$2; shift 2 ;;
    --metrics-port) metrics_port=$2; shift 2 ;;
    --no-metrics) metrics=0; shift ;;
    --db-port) db_port=$2; shift 2 ;;
    --redis-port) redis_port=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --ephemeral) ephemeral=1; shift ;;
    --ready-file) ready_file=$2; shift 2 ;;
    --second-http-port) second_http_port=$2; shift 2 ;;
    --sentinel-port) sentinel_port=$2; shift 2 ;;
    --bench) bench=1; shift ;;
    *) echo "stack: unknown option $1" >&2; exit 2 ;;
  esac
done

mkdir -p "$state"
state=$(cd "$state" && pwd)
run=$state/run            # our sockets and pid files
logs=$state/log
dbdir=$state/mysql        # MariaDB's data
dbrun=$state/mysql-run    # MariaDB's socket and pid (owned by its user)
redisdir=$state/redis
mkdir -p "$run" "$logs" "$redisdir" "$state/nginx"
chmod 755 "$state" "$run"

log() { echo "stack: $*" >&2; }

# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"  # alive, pid_of, wait_for, stop_pids, reachable_by ...

# As root, servers drop to their own users when those can reach the state
# directory; a checkout under a private home (/root) cannot be reached, so
# there they stay root. Unprivileged, everything runs as the caller.
db_user=
nginx_user_line=
if [ "$(id -u)" -eq 0 ]; then
  if reachable_by mysql "$state"; then db_user=mysql; else db_user=root; fi
  if reachable_by nobody "$run"; then
    nginx_user_line="user nobody nogroup;"
  else
    nginx_user_line="user root root;"
  fi
fi

start_redis() {
  local persist=(--appendonly yes --appendfsync everysec)
  [ "$ephemeral" -eq 1 ] && persist=(--appendonly no)
  rm -f "$run/redis.pid"
  redis-server --port "$redis_port" --bind 127.0.0.1 --unixsocket "$run/redis.sock" \
    --unixsocketperm 700 --save '' "${persist[@]}" --dir "$redisdir" \
    --daemonize yes --pidfile "$run/redis.pid" --logfile "$logs/redis.log" >/dev/null
  wait_for redis "" 20 sh -c "[ \"\$(redis-cli -s '$run/redis.sock' ping)\" = PONG ]"
}

# Starts MariaDB (initialising its data on first use) in its own session, so
# a test can stop it and start it again (start-mariadb) while the stack runs;
# the stack stops it by the pid file it writes.
start_mariadb() {
  mkdir -p "$dbdir" "$dbrun"
  [ -n "$db_user" ] && chown "$db_user" "$dbdir" "$dbrun"
  local user_opt=()
  [ -n "$db_user" ] && user_opt=(--user="$db_user")
  if [ ! -d "$dbdir/mysql" ]; then
    log "initialising MariaDB in $dbdir"
    mariadb-install-db --no-defaults "${user_opt[@]}" --datadir="$dbdir" \
      --auth-root-authentication-method=socket >"$logs/mariadb-install.log" 2>&1
  fi
  local flush=1 pool=256M
  [ "$ephemeral" -eq 1 ] && flush=2
  # The benchmark's scale run holds 1,100,000 seats: about 230 MB of seat
  # rows and indexes, which must fit in memory as they would in production.
  [ "$bench" -eq 1 ] && pool=1G
  touch "$logs/mariadb.log"
  [ -n "$db_user" ] && chown "$db_user" "$logs/mariadb.log"
  rm -f "$dbrun/mysqld.pid"
  setsid mariadbd --no-defaults "${user_opt[@]}" --datadir="$dbdir" --socket="$dbrun/mysqld.sock" \
    --port="$db_port" --bind-address=127.0.0.1 --skip-name-resolve \
    --pid-file="$dbrun/mysqld.pid" --log-error="$logs/mariadb.log" \
    --character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
    --default-time-zone=+00:00 --max-connections=1000 \
    --innodb-buffer-pool-size=$pool --innodb-flush-log-at-trx-commit=$flush </dev/null >/dev/null 2>&1 &
  wait_for mariadb $! 60 mariadb-admin --socket="$dbrun/mysqld.sock" -uroot ping
}

if [ "$command" = start-redis ]; then
  start_redis
  exit 0
elif [ "$command" = start-mariadb ]; then
  start_mariadb
  exit 0
elif [ "$command" != run ]; then
  echo "usage: $0 run|start-redis|start-mariadb [options]" >&2
  exit 2
fi

handler_pids=()
nginx_pids=()
metrics_dirs=()
stopping=0
cleanup() {
  [ $stopping -eq 1 ] && return
  stopping=1
  trap '' INT TERM
  log "stopping"
  stop_pids 20 "${nginx_pids[@]}"
  stop_pids 20 "${handler_pids[@]}"
  pid=$(pid_of "$run/sentinel.pid") && stop_pids 20 "$pid"
  pid=$(pid_of "$run/redis.pid") && stop_pids 20 "$pid"
  pid=$(pid_of "$dbrun/mysqld.pid") && stop_pids 60 "$pid"
  for d in "${metrics_dirs[@]}"; do rm -rf "$d"; done
  rm -f "$ready_file"
  log "stopped"
}
stop_requested=0
trap cleanup EXIT
trap 'stop_requested=1' INT TERM

# --- MariaDB ------------------------------------------------------------------
start_mariadb
sql() { mariadb --socket="$dbrun/mysqld.sock" -uroot "$@"; }
concert_db_init "$dbrun/mysqld.sock"

# --- Redis --------------------------------------------------------------------
start_redis
if [ -n "$sentinel_port" ]; then
  mkdir -p "$state/sentinel"
  # Sentinel rewrites its configuration file: a fresh one each start.
  printf '%s\n' "port $sentinel_port" "bind 127.0.0.1" "dir $state/sentinel" \
    "sentinel monitor concert 127.0.0.1 $redis_port 1" "sentinel down-after-milliseconds concert 2000" \
    "sentinel failover-timeout concert 10000" >"$state/sentinel/sentinel.conf"
  rm -f "$run/sentinel.pid"
  redis-server "$state/sentinel/sentinel.conf" --sentinel --daemonize yes --pidfile "$run/sentinel.pid" \
    --logfile "$logs/sentinel.log" >/dev/null
  wait_for sentinel "" 20 sh -c "redis-cli -p $sentinel_port SENTINEL get-master-addr-by-name concert | grep -q 127.0.0.1"
fi

# --- demo data: one concert with three future dates, on an empty database -------
if [ "$ephemeral" -eq 0 ] && [ "$(sql -N concert -e 'SELECT COUNT(*) FROM concerts')" = 0 ]; then
  dates=$(add_demo_concert "$dbrun/mysqld.sock")
  log "loaded a demo concert playing on $dates"
fi

# --- handler pools and nginx, once per instance -----------------------------------
if [ ! -s "$state/token-secret" ]; then
  write_secret "$state/token-secret"
fi
export CONCERT_DB_URL="unix://$dbrun/mysqld.sock"
export CONCERT_REDIS_SOCKET="$run/redis.sock"
export CONCERT_TOKEN_SECRET
CONCERT_TOKEN_SECRET=$(cat "$state/token-secret")
export CONCERT_WORKERS=$workers
export CONCERT_SOCKET_MODE=0666

# start_instance NAME RUN_DIR HTTP_PORT METRICS_PORT: one pool per binary in
# bin/ (except concertctl) listening in RUN_DIR, each counting into a
# directory in memory (linked as RUN_DIR/metrics), and an nginx in front of
# them: the API on HTTP_PORT, /metrics and the dashboard on METRICS_PORT.
start_instance() {
  local instance=$1 dir=$2 port=$3 mport=$4 prefix=$state/nginx-$1
  mkdir -p "$dir" "$prefix"
  chmod 755 "$dir"
  # The pools' counters are a shared file mapping: on a disk file system the
  # kernel's writeback of it stalls the workers that write to it, so it
  # lives in /dev/shm (memory), as /run does in production.
  local mdir
  mdir=/dev/shm/concert-metrics-$(echo "$state/$instance" | sha1sum | cut -c1-12)
  rm -rf "$mdir" "$dir/metrics"
  mkdir -p "$mdir"
  ln -s "$mdir" "$dir/metrics"
  metrics_dirs+=("$mdir")
  local bins=("$root"/bin/*) bench_include=""
  if [ "$bench" -eq 1 ]; then
    bins+=("$root/build/bench/ping")
    bench_include="include $root/bench/nginx-bench.conf;"
  fi
  for bin in "${bins[@]}"; do
    local name
    name=$(basename "$bin")
    [ "$name" = concertctl ] || [ "$name" = concert-keeper ] && continue
    rm -f "$dir/$name.sock"
    CONCERT_LISTEN="$dir/$name.sock" CONCERT_METRICS_DIR="$([ "$metrics" -eq 1 ] && echo "$dir/metrics")" \
      "$bin" 2>>"$logs/$instance-$name.log" &
    handler_pids+=($!)
    echo $! >"$dir/$name.pid"
    wait_for "$name" $! 10 test -S "$dir/$name.sock"
  done
  # The keeper keeps the rooms moving (one per host; a lease in Redis lets
  # one of them step at a time).
  "$root/bin/concert-keeper" 2>>"$logs/$instance-keeper.log" &
  handler_pids+=($!)
  echo $! >"$dir/concert-keeper.pid"
  fill_template "$root/nginx/local.conf.in" PREFIX="$prefix" RUN="$dir" LOG="$logs" INSTANCE="$instance" ROOT="$root" \
    HTTP_ADDR=127.0.0.1 HTTP_PORT="$port" METRICS_PORT="$mport" USER_DIRECTIVE="$nginx_user_line" BENCH_INCLUDE="$bench_include" \
    >"$prefix/nginx.conf"
  nginx -p "$prefix" -c "$prefix/nginx.conf" -e "$logs/$instance-nginx-error.log" &
  nginx_pids+=($!)
  wait_for nginx $! 20 curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz"
}
start_instance a "$run" "$http_port" "$metrics_port"
if [ -n "$second_http_port" ]; then
  if [ -n "$sentinel_port" ]; then
    # Port 1 on loopback refuses at once: a node that is down.
    CONCERT_DB_NODES="127.0.0.1:1,127.0.0.1:$db_port" CONCERT_REDIS_SENTINELS="127.0.0.1:$sentinel_port" \
      start_instance b "$state/run-b" "$second_http_port" $((metrics_port + 1))
  else
    start_instance b "$state/run-b" "$second_http_port" $((metrics_port + 1))
  fi
fi

log "ready: http://127.0.0.1:$http_port${second_http_port:+ and :$second_http_port} (state in $state, logs in $logs)"
log "metrics and the operators' dashboard: http://127.0.0.1:$metrics_port/ (/metrics for Prometheus)"
[ -n "$ready_file" ] && touch "$ready_file"

# Serve until told to stop; a part that dies ends the stack, loudly. (Ctrl-C
# reaches every process of the terminal's group, so parts may die of it a
# moment before our own trap runs: look again before calling it a failure.)
# Every 30 s a sweep tidies lapsed holds (correctness never waits for it).
ticks=0
while [ $stop_requested -eq 0 ]; do
  ticks=$((ticks + 1))
  if [ $((ticks % 30)) -eq 0 ]; then
    "$root/bin/concertctl" sweep >>"$logs/sweep.log" 2>&1 || true
  fi
  for pid in "${nginx_pids[@]}" "${handler_pids[@]}"; do
    if ! alive "$pid"; then
      sleep 0.5
      [ $stop_requested -eq 1 ] && break 2
      log "process $pid exited unexpectedly (see $logs)"
      exit 1
    fi
  done
  sleep 1 &
  wait $! || true
done
exit 0
