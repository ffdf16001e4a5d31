# shellcheck shell=bash
# scripts/cluster.sh: the layout (every host's name, address, port and paths)
# and the processes in the hosts (spawn, kill_host). Sourced once $prefix,
# $subnet and $state are final.

# --- the layout ------------------------------------------------------------------
# Every host is a namespace "$prefix-<host>" at "$subnet.<octet>"; its link
# to the bridge is a veth whose root end has the namespace's name and whose
# other end is eth0 inside it. Ports are each host's own (namespaces do not
# share ports), so every host uses its engine's default.
hosts=(db1 db2 db3 redis1 redis2 sentinel1 sentinel2 sentinel3 app1 app2)
declare -A octet=([db1]=11 [db2]=12 [db3]=13 [redis1]=21 [redis2]=22
                  [sentinel1]=31 [sentinel2]=32 [sentinel3]=33 [app1]=41 [app2]=42)
db_port=3306
redis_port=6379
sentinel_port=26379
app_port=8080
app_metrics_port=9180     # each app host's internal listener, on its own 127.0.0.1
master_name=concert
bridge=$prefix-br0
bridge_addr=$subnet.254

addr() { echo "$subnet.${octet[$1]}"; }
ns() { echo "$prefix-$1"; }
in_ns() { local h=$1; shift; ip netns exec "$(ns "$h")" "$@"; }
db_nodes_from() {   # the three nodes, node $1 first, then the next ones in turn
  local first=$1 i list=""
  for i in 0 1 2; do list+="${list:+,}$(addr db$(( (first - 1 + i) % 3 + 1 ))):$db_port"; done
  echo "$list"
}
sentinels() { echo "$(addr sentinel1):$sentinel_port,$(addr sentinel2):$sentinel_port,$(addr sentinel3):$sentinel_port"; }

host_arg() {   # accepts app1 or cc18-app1
  local h=${1#"$prefix-"}
  [ -n "${octet[$h]:-}" ] || die "$command: unknown host '${1:-}' (one of: ${hosts[*]})"
  echo "$h"
}

data=$state/data
logs=$state/log
db_dir() { echo "$data/db$1"; }
db_sock() { echo "$data/db$1/run/mysqld.sock"; }
db_pidfile() { echo "$data/db$1/run/mysqld.pid"; }
redis_pidfile() { echo "$data/redis$1/redis.pid"; }
sentinel_pidfile() { echo "$data/sentinel$1/sentinel.pid"; }
app_run() { echo "$data/app$1/run"; }

# --- processes -----------------------------------------------------------------
alive_file() { local p; p=$(pid_of "$1") && alive "$p"; }

# spawn HOST PIDFILE LOG CMD...: CMD in HOST's namespace, in a session of its
# own (Ctrl-C reaches only this script, which then stops everything in
# order), its pid in PIDFILE.
spawn() {
  local host=$1 pidfile=$2 logfile=$3
  shift 3
  ip netns exec "$(ns "$host")" setsid "$@" </dev/null >>"$logfile" 2>&1 &
  echo $! >"$pidfile"
  disown $!   # watched by pid file; no "Killed" notice when a fault test kills it
}

# kill -9 everything running in HOST's namespace: the host dies at once.
# These pids are all ours: nothing else runs in our namespaces.
kill_host() {
  local pids
  pids=$(ip netns pids "$(ns "$1")" 2>/dev/null | tr '\n' ' ')
  [ -n "$pids" ] && kill -KILL $pids 2>/dev/null || true
  local deadline=$((SECONDS + 10)) pid
  for pid in $pids; do
    while alive "$pid" && [ $SECONDS -lt $deadline ]; do sleep 0.05; done
  done
  echo "$pids"
}

now_ms() { date +%s%3N; }
elapsed() { awk -v a="$1" -v b="$(now_ms)" 'BEGIN { printf "%.1f", (b - a) / 1000 }'; }
