#!/usr/bin/env bash
# A cluster on one machine: every host in a network namespace of its own on
# one bridge — three MariaDB Galera nodes, a Redis primary and replica, three
# Sentinels, two app hosts (nginx + every handler pool) — and a load balancer
# on 127.0.0.1 in front of the app hosts. `run` serves in the foreground until
# Ctrl-C/SIGTERM, then removes everything it created. Needs root.
#
#   scripts/cluster.sh run [options]     used by `make cluster`
#   scripts/cluster.sh status            what is up, as each part sees it
#   scripts/cluster.sh kill-db N         kill -9 Galera node N (1-3)
#   scripts/cluster.sh start-db N [--wipe | --bootstrap]
#                                        start it again: it rejoins by IST, or by
#                                        SST when it missed too much (--wipe: its
#                                        data deleted first, so SST; --bootstrap:
#                                        as a new cluster, when no other node is up)
#   scripts/cluster.sh link-down HOST    the host's link to the bridge down (app1,
#   scripts/cluster.sh link-up HOST      db2, redis1, ...) / up again
#   scripts/cluster.sh kill-redis-primary [--no-wait]
#                                        kill -9 the Redis primary Sentinel names,
#                                        then wait until Sentinel names another
#   scripts/cluster.sh start-redis N     start Redis host N (1-2) again, as a
#                                        replica of the current primary
#   scripts/cluster.sh kill-app N        kill -9 every process of app host N (1-2)
#   scripts/cluster.sh start-app N       start its pools and nginx again
#   scripts/cluster.sh sql N [ARGS]      the mariadb client on node N (root, socket)
#   scripts/cluster.sh ctl [ARGS]        bin/concertctl against the cluster
#   scripts/cluster.sh exec HOST CMD...  run CMD inside HOST's namespace
#   scripts/cluster.sh clean             remove what a run that was killed left
#
# The subcommands find the running cluster through STATE/cluster.env.
#
# Options (defaults are `make cluster`'s):
#   --state DIR        state directory (var/cluster): data, logs, cluster.env
#   --front-port N     the load balancer's port on 127.0.0.1 (8480)
#   --workers N        worker processes per handler pool (2)
#   --ready-file F     create F once every part answers
#   --keep             keep the data and logs on exit
#   --no-demo          do not load the demo concert
#   --prefix P         names of namespaces and links: P-db1, P-br0 ... (cc18)
#   --subnet A.B.C     the hosts' private /24 (10.218.37)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
command=${1:-run}
[ $# -gt 0 ] && shift

state=$root/var/cluster
state_given=0
front_port=8480
workers=2
ready_file=
keep=0
demo=1
prefix=cc18
subnet=10.218.37
bootstrap=0
wipe=0
no_wait=0
args=()
while [ $# -gt 0 ]; do
  case "$1" in
    --state) state=$2; state_given=1; shift 2 ;;
    --front-port) front_port=$2; shift 2 ;;
    --workers) workers=$2; shift 2 ;;
    --ready-file) ready_file=$2; shift 2 ;;
    --keep) keep=1; shift ;;
    --no-demo) demo=0; shift ;;
    --prefix) prefix=$2; shift 2 ;;
    --subnet) subnet=$2; shift 2 ;;
    --bootstrap) bootstrap=1; shift ;;
    --wipe) wipe=1; shift ;;
    --no-wait) no_wait=1; shift ;;
    --) shift; args+=("$@"); break ;;
    -*) if [ "$command" = sql ] || [ "$command" = ctl ] || [ "$command" = exec ]; then
          args+=("$@"); break
        fi
        echo "cluster: unknown option $1" >&2; exit 2 ;;
    *) args+=("$1"); shift ;;
  esac
done

log() { echo "cluster: $*" >&2; }
die() { log "$*"; exit 1; }

# Link names are at most 15 characters: "$prefix-sentinel1" allows 5.
[[ "$prefix" =~ ^[a-z][a-z0-9]{0,4}$ ]] || die "--prefix: 1 to 5 lowercase letters or digits, got '$prefix'"
[[ "$subnet" =~ ^[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}$ ]] || die "--subnet: three numbers, as 10.218.37, got '$subnet'"
[[ "$front_port" =~ ^[0-9]{1,5}$ ]] || die "--front-port: a port number, got '$front_port'"
[[ "$workers" =~ ^[1-9][0-9]?$ ]] || die "--workers: 1 to 99, got '$workers'"

# MariaDB runs as mysql, which must reach the state directory: Galera's
# rsync SST cannot run as root (its rsync daemon would drop to nobody). A
# checkout under a private home (/root) cannot be reached: then the default
# state directory is /var/tmp/concert-cluster.
umask 022
state=$(realpath -m "$state")
reachable_by() {   # reachable_by USER DIR: DIR, or what exists of its path
  local d=$2
  while [ ! -e "$d" ]; do d=$(dirname "$d"); done
  runuser -u "$1" -- test -x "$d" 2>/dev/null
}
if [ "$(id -u)" -eq 0 ] && ! reachable_by mysql "$state"; then
  [ "$state_given" -eq 1 ] && die "the mysql user cannot reach $state: choose a --state outside a private home"
  state=/var/tmp/concert-cluster
fi

# The directories this run creates, deepest first, removed again on exit
# when empty.
created_dirs=()
d=$state
while [ ! -e "$d" ]; do created_dirs+=("$d"); d=$(dirname "$d"); done
env_file=$state/cluster.env

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

data=$state/data
logs=$state/log
db_dir() { echo "$data/db$1"; }
db_sock() { echo "$data/db$1/run/mysqld.sock"; }
db_pidfile() { echo "$data/db$1/run/mysqld.pid"; }
redis_pidfile() { echo "$data/redis$1/redis.pid"; }
sentinel_pidfile() { echo "$data/sentinel$1/sentinel.pid"; }
app_run() { echo "$data/app$1/run"; }

# --- processes -----------------------------------------------------------------
# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"  # alive, pid_of, wait_for
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

# Sends TERM to every pid given, waits up to $grace seconds, then KILL.
stop_pids() {
  local grace=$1 pid
  shift
  for pid in "$@"; do alive "$pid" && kill -TERM "$pid" 2>/dev/null; done
  local deadline=$((SECONDS + grace))
  for pid in "$@"; do
    while alive "$pid"; do
      if [ $SECONDS -ge $deadline ]; then kill -KILL "$pid" 2>/dev/null || true; fi
      sleep 0.1
    done
  done
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

# nginx's workers run as nobody when it can reach the state directory (as
# in scripts/stack.sh), else as root.
db_user=mysql
nginx_user_line="user root root;"
if reachable_by nobody "$state"; then nginx_user_line="user nobody nogroup;"; fi

# --- the network -----------------------------------------------------------------
# The bridge gets its address before anything in this namespace talks to a
# host: without it a connection to $subnet.x would leave the machine by the
# default route. The hosts have no route but their /24, so they cannot reach
# anything but each other and the bridge's address.
net_up() {
  local r
  r=$(ip -4 route show match "$subnet.1" | grep -v '^default' || true)
  [ -z "$r" ] || die "$subnet.0/24 is in use here ($r): choose another with --subnet"
  [ -z "$(ip -4 route show root "$subnet.0/24")" ] || die "$subnet.0/24 overlaps a route here: choose another with --subnet"
  ip link add "$bridge" type bridge
  echo 1 >"/proc/sys/net/ipv6/conf/$bridge/disable_ipv6"
  ip addr add "$bridge_addr/24" dev "$bridge"
  ip link set "$bridge" up
  r=$(ip -4 route get "$(addr db1)")
  case "$r" in
    *" dev $bridge "*) ;;
    *) die "traffic to $(addr db1) would not use $bridge: $r" ;;
  esac
  local h n
  for h in "${hosts[@]}"; do
    n=$(ns "$h")
    ip netns add "$n"
    ip link add "$n" type veth peer name eth0 netns "$n"
    echo 1 >"/proc/sys/net/ipv6/conf/$n/disable_ipv6"
    ip link set "$n" master "$bridge" up
    ip netns exec "$n" sh -c 'echo 1 >/proc/sys/net/ipv6/conf/eth0/disable_ipv6'
    ip -n "$n" link set lo up
    ip -n "$n" addr add "$(addr "$h")/24" dev eth0
    ip -n "$n" link set eth0 up
  done
}

# Removes the links, namespaces and the bridge (what exists of them); every
# process in the namespaces must be gone first, or a namespace outlives its
# deletion.
net_down() {
  local h n
  for h in "${hosts[@]}"; do
    n=$(ns "$h")
    ip link del "$n" 2>/dev/null || true
    ip netns del "$n" 2>/dev/null || true
  done
  ip link del "$bridge" 2>/dev/null || true
}

# Whatever still runs in our namespaces (SST helpers, a pool a subcommand
# started), stopped by pid.
kill_leftovers() {
  local h n pids
  for h in "${hosts[@]}"; do
    n=$(ns "$h")
    ip netns list 2>/dev/null | grep -qw "^$n" || continue
    pids=$(ip netns pids "$n" 2>/dev/null | tr '\n' ' ')
    if [ -n "$pids" ]; then stop_pids 5 $pids; fi
  done
}

leftovers() {
  local h found=""
  ip link show "$bridge" >/dev/null 2>&1 && found+=" $bridge"
  for h in "${hosts[@]}"; do
    ip netns list 2>/dev/null | grep -qw "^$(ns "$h")" && found+=" $(ns "$h")"
    ip link show "$(ns "$h")" >/dev/null 2>&1 && found+=" link:$(ns "$h")"
  done
  echo "$found"
}

# --- Galera ------------------------------------------------------------------------
write_db_config() {
  local n=$1 dir
  dir=$(db_dir "$n")
  mkdir -p "$dir/data" "$dir/run"
  chown "$db_user" "$dir/data" "$dir/run"
  cat >"$dir/my.cnf" <<EOF
# Galera node db$n of scripts/cluster.sh, in namespace $(ns db$n) at $(addr db$n).
[mysqld]
user=$db_user
datadir=$dir/data
socket=$(db_sock "$n")
pid-file=$(db_pidfile "$n")
log-error=$logs/db$n.log
port=$db_port
bind-address=0.0.0.0
skip-name-resolve
character-set-server=utf8mb4
collation-server=utf8mb4_unicode_ci
default-time-zone=+00:00
max-connections=1000
innodb-buffer-pool-size=128M
innodb-flush-log-at-trx-commit=1
binlog-format=ROW
default-storage-engine=InnoDB
innodb-autoinc-lock-mode=2
wsrep-on=ON
wsrep-provider=/usr/lib/galera/libgalera_smm.so
wsrep-cluster-name=concert
wsrep-cluster-address=gcomm://$(addr db1),$(addr db2),$(addr db3)
wsrep-node-address=$(addr db$n)
wsrep-node-name=db$n
wsrep-sst-method=rsync
wsrep-provider-options=gcache.size=64M
EOF
}

db_sql() { local n=$1; shift; mariadb --socket="$(db_sock "$n")" -uroot --batch --skip-column-names "$@"; }
db_status() { db_sql "$1" -e "SHOW GLOBAL STATUS LIKE '$2'" 2>/dev/null | cut -f2; }
db_synced() { [ "$(db_status "$1" wsrep_local_state_comment)" = Synced ] && [ "$(db_status "$1" wsrep_ready)" = ON ]; }

# Starts node N (bootstrapping a new cluster with $2 = new) and waits until
# it is Synced: a joiner first receives the others' state (IST or SST).
# After a crash the node's saved position is unknown (seqno -1) and it would
# ask for a full SST; recovering the position from InnoDB first, as Debian's
# galera_recovery does for systemd, lets it catch up by IST when the donor's
# gcache still holds what it missed.
start_db_node() {
  local n=$1 mode=${2:-join} extra=() dir
  dir=$(db_dir "$n")
  [ "$mode" = new ] && extra=(--wsrep-new-cluster)
  touch "$logs/db$n.log" && chown "$db_user" "$logs/db$n.log"
  if [ "$mode" = join ] && [ -e "$dir/data/ibdata1" ] && grep -q '^seqno: *-1' "$dir/data/grastate.dat" 2>/dev/null; then
    local recover=$logs/db$n-recover.log position
    : >"$recover" && chown "$db_user" "$recover"
    in_ns "db$n" mariadbd --defaults-file="$dir/my.cnf" --wsrep-recover --log-error="$recover" >/dev/null 2>&1 || true
    position=$(sed -n 's/.*WSREP: Recovered position: *\([0-9a-f-]*:[0-9-]*\).*/\1/p' "$recover" | tail -1)
    [ -n "$position" ] && extra+=(--wsrep-start-position="$position")
  fi
  rm -f "$(db_pidfile "$n")"
  spawn "db$n" "$data/db$n/spawn.pid" "$logs/db$n.out" \
    mariadbd --defaults-file="$(db_dir "$n")/my.cnf" "${extra[@]}"
  wait_for "db$n" "$(cat "$data/db$n/spawn.pid")" 300 db_synced "$n"
}

# Whether every running node other than N sees a cluster of exactly the
# running ones (N's old instance gone from their view).
others_dropped() {
  local n=$1 m running=() size
  for m in 1 2 3; do
    [ "$m" = "$n" ] && continue
    alive_file "$data/db$m/spawn.pid" && running+=("$m")
  done
  for m in "${running[@]}"; do
    size=$(db_status "$m" wsrep_cluster_size)
    [ "$size" = "${#running[@]}" ] || return 1
  done
}

# --- Redis and Sentinel ------------------------------------------------------------
redis_cli() { local h=$1 port=$2; shift 2; in_ns "$h" redis-cli -p "$port" "$@"; }

# Starts Redis host N, as a replica of $2 (an address) when given.
start_redis_node() {
  local n=$1 primary=${2:-} dir=$data/redis$1
  mkdir -p "$dir"
  cat >"$dir/redis.conf" <<EOF
# Redis host redis$n of scripts/cluster.sh. Sentinel may rewrite this file.
port $redis_port
bind $(addr redis$n) 127.0.0.1
protected-mode no
daemonize no
pidfile $dir/redis.pid.own
logfile $logs/redis$n.log
dir $dir
save ""
appendonly no
# A replica that (re)joins is sent the data at once, not 5 s later in case
# another one comes along.
repl-diskless-sync-delay 0
${primary:+replicaof $primary $redis_port}
EOF
  spawn "redis$n" "$(redis_pidfile "$n")" "$logs/redis$n.out" redis-server "$dir/redis.conf"
  wait_for "redis$n" "$(cat "$(redis_pidfile "$n")")" 20 \
    sh -c "[ \"\$(ip netns exec $(ns redis$n) redis-cli -p $redis_port ping)\" = PONG ]"
  if [ -n "$primary" ]; then
    wait_for "redis$n's replication" "" 30 \
      sh -c "ip netns exec $(ns redis$n) redis-cli -p $redis_port info replication | grep -q '^master_link_status:up'"
  fi
}

start_sentinel() {
  local n=$1 dir=$data/sentinel$1
  mkdir -p "$dir"
  # Regenerated every run: Sentinel writes what it learns into this file.
  cat >"$dir/sentinel.conf" <<EOF
# Sentinel $n of scripts/cluster.sh.
port $sentinel_port
bind $(addr sentinel$n) 127.0.0.1
protected-mode no
daemonize no
pidfile $dir/sentinel.pid.own
logfile $logs/sentinel$n.log
dir $dir
sentinel monitor $master_name $(addr redis1) $redis_port 2
sentinel down-after-milliseconds $master_name 2000
sentinel failover-timeout $master_name 6000
sentinel parallel-syncs $master_name 1
EOF
  spawn "sentinel$n" "$(sentinel_pidfile "$n")" "$logs/sentinel$n.out" redis-sentinel "$dir/sentinel.conf"
}

# The address (host:port) of the primary as the first Sentinel that answers names it.
redis_primary() {
  local n out
  for n in 1 2 3; do
    out=$(redis_cli "sentinel$n" "$sentinel_port" SENTINEL get-master-addr-by-name "$master_name" 2>/dev/null | paste -sd: -) || continue
    [ -n "$out" ] && { echo "$out"; return 0; }
  done
  return 1
}
redis_host_of() {   # address -> redis host number
  local n
  for n in 1 2; do [ "$(addr redis$n)" = "$1" ] && { echo "$n"; return 0; }; done
  return 1
}
sentinels_ready() {
  local n
  for n in 1 2 3; do
    redis_cli "sentinel$n" "$sentinel_port" SENTINEL ckquorum "$master_name" | grep -q '^OK 3 usable' || return 1
    [ "$(redis_cli "sentinel$n" "$sentinel_port" SENTINEL replicas "$master_name" | grep -c '^slave$')" -ge 1 ] || return 1
  done
}

sentinels_see_replica() {
  local n
  for n in 1 2 3; do
    redis_cli "sentinel$n" "$sentinel_port" SENTINEL replicas "$master_name" |
      awk -v a="$1" '$0 == "ip" { getline; ip = $0 } $0 == "flags" { getline; if (ip == a && $0 == "slave") ok = 1 } END { exit !ok }' || return 1
  done
}

# --- app hosts and the load balancer ---------------------------------------------
# Starts every handler pool of app host N and its nginx. Today's variables
# point at the host's own database node (or the next one that is Synced)
# and the primary Sentinel names; the multi-node ones list everything.
start_app_host() {
  local n=$1 run prefix_dir first i db_url="" primary
  run=$(app_run "$n")
  prefix_dir=$data/app$n/nginx
  mkdir -p "$run" "$prefix_dir"
  chmod 755 "$data/app$n" "$run"
  rm -f "$run"/*.sock
  # The pools' counters in memory (a shared file mapping on disk stalls its
  # writers during writeback), linked where the state directory expects them.
  rm -rf "/dev/shm/$prefix-app$n-metrics" "$run/metrics"
  mkdir -p "/dev/shm/$prefix-app$n-metrics"
  ln -s "/dev/shm/$prefix-app$n-metrics" "$run/metrics"
  first=$n
  for i in 0 1 2; do
    local node=$(( (first - 1 + i) % 3 + 1 ))
    if db_synced "$node"; then db_url="tcp://$(addr db$node):$db_port"; break; fi
  done
  [ -n "$db_url" ] || db_url="tcp://$(addr db$first):$db_port"
  primary=$(redis_primary) || primary="$(addr redis1):$redis_port"
  local env=(
    CONCERT_DB_URL="$db_url"
    CONCERT_DB_NODES="$(db_nodes_from "$first")"
    CONCERT_REDIS_HOST="${primary%:*}" CONCERT_REDIS_PORT="${primary##*:}"
    CONCERT_REDIS_SENTINELS="$(sentinels)" CONCERT_REDIS_MASTER="$master_name"
    CONCERT_TOKEN_SECRET="$(cat "$data/token-secret")"
    CONCERT_WORKERS="$workers" CONCERT_SOCKET_MODE=0666
    # A node cut off from the network never answers: a worker waits for it
    # this long before it moves on, and each worker of a pool finds out by
    # itself, so the 10 s default (twice, with two workers) would eat the
    # whole recovery budget. A request caught in Galera's ~5 s stall after a
    # node dies then answers 503 (its outcome settles by Idempotency-Key).
    CONCERT_DB_READ_TIMEOUT=3
    CONCERT_METRICS_DIR="$run/metrics"
  )
  printf '%s\n' "${env[@]}" | grep -v '^CONCERT_TOKEN_SECRET=' >"$run/concert.env"
  local bin name
  for bin in "$root"/bin/*; do
    name=$(basename "$bin")
    [ "$name" = concertctl ] && continue
    spawn "app$n" "$run/$name.pid" "$logs/app$n-$name.log" \
      env "${env[@]}" CONCERT_LISTEN="$run/$name.sock" "$bin"
  done
  for bin in "$root"/bin/*; do
    name=$(basename "$bin")
    [ "$name" = concertctl ] && continue
    wait_for "app$n's $name" "$(cat "$run/$name.pid")" 10 test -S "$run/$name.sock"
  done
  sed -e "s|@PREFIX@|$prefix_dir|g" -e "s|@RUN@|$run|g" -e "s|@LOG@|$logs|g" -e "s|@INSTANCE@|app$n|g" \
    -e "s|@ROOT@|$root|g" -e "s|@HTTP_ADDR@|$(addr app$n)|g" -e "s|@HTTP_PORT@|$app_port|g" \
    -e "s|@METRICS_PORT@|$app_metrics_port|g" -e "s|@USER_DIRECTIVE@|$nginx_user_line|g" -e "s|@BENCH_INCLUDE@||g" \
    "$root/nginx/local.conf.in" >"$prefix_dir/nginx.conf"
  spawn "app$n" "$data/app$n/nginx.spawn.pid" "$logs/app$n-nginx.out" \
    nginx -p "$prefix_dir" -c "$prefix_dir/nginx.conf" -e "$logs/app$n-nginx-error.log"
  wait_for "app$n's nginx" "$(cat "$data/app$n/nginx.spawn.pid")" 20 \
    curl --noproxy '*' -fsS -o /dev/null "http://$(addr app$n):$app_port/healthz"
}

app_pids() {   # nginx and every pool of app host N that our pid files name
  local n=$1 f
  for f in "$data/app$n/nginx.spawn.pid" "$(app_run "$n")"/*.pid; do
    [ -s "$f" ] && cat "$f"
  done
  return 0
}

start_lb() {
  local dir=$data/lb servers="" n
  mkdir -p "$dir"
  for n in 1 2; do
    servers+="        server $(addr app$n):$app_port max_fails=2 fail_timeout=5s;"$'\n'
  done
  # sed cannot take a newline in its replacement: awk fills the server list.
  sed -e "s|@PREFIX@|$dir|g" -e "s|@LOG@|$logs|g" -e "s|@FRONT_PORT@|$front_port|g" \
    -e "s|@USER_DIRECTIVE@|$nginx_user_line|g" "$root/nginx/cluster-lb.conf.in" |
    awk -v servers="${servers%$'\n'}" '/@UPSTREAM_SERVERS@/ { print servers; next } { print }' >"$dir/nginx.conf"
  setsid nginx -p "$dir" -c "$dir/nginx.conf" -e "$logs/lb-error.log" </dev/null >>"$logs/lb.out" 2>&1 &
  echo $! >"$dir/spawn.pid"
  disown $!
  wait_for "the load balancer" "$(cat "$dir/spawn.pid")" 20 \
    curl --noproxy '*' -fsS -o /dev/null "http://127.0.0.1:$front_port/healthz"
}

# --- the env file for tests and the subcommands -------------------------------------
write_env() {
  local n tmp=$env_file.tmp namespaces="" h
  for h in "${hosts[@]}"; do namespaces+="${namespaces:+,}$(ns "$h")"; done
  {
    echo "# Written by scripts/cluster.sh run; removed when it stops. Shell syntax: source it."
    echo "CLUSTER_PID=$$"
    echo "CLUSTER_STATE=$state"
    echo "CLUSTER_LOGS=$logs"
    echo "CLUSTER_PREFIX=$prefix"
    echo "CLUSTER_SUBNET=$subnet.0/24"
    echo "CLUSTER_BRIDGE=$bridge"
    echo "CLUSTER_BRIDGE_ADDR=$bridge_addr"
    echo "CLUSTER_NAMESPACES=$namespaces"
    echo "FRONT_URL=http://127.0.0.1:$front_port"
    echo "LB_PIDFILE=$data/lb/spawn.pid"
    echo "APP_URLS=http://$(addr app1):$app_port,http://$(addr app2):$app_port"
    for n in 1 2; do
      echo "APP${n}_URL=http://$(addr app$n):$app_port"
      echo "APP${n}_ADDR=$(addr app$n)"
      echo "APP${n}_NS=$(ns app$n)"
      echo "APP${n}_METRICS_URL=http://127.0.0.1:$app_metrics_port"
      echo "APP${n}_RUN=$(app_run "$n")"
      echo "APP${n}_NGINX_PIDFILE=$data/app$n/nginx.spawn.pid"
      echo "APP${n}_DB_NODES=$(db_nodes_from "$n")"
    done
    echo "DB_NODES=$(db_nodes_from 1)"
    for n in 1 2 3; do
      echo "DB${n}_ADDR=$(addr db$n)"
      echo "DB${n}_URL=tcp://$(addr db$n):$db_port"
      echo "DB${n}_NS=$(ns db$n)"
      echo "DB${n}_SOCKET=$(db_sock "$n")"
      echo "DB${n}_PIDFILE=$data/db$n/spawn.pid"
    done
    echo "REDIS_MASTER=$master_name"
    echo "REDIS_SENTINELS=$(sentinels)"
    echo "REDIS_PRIMARY=$(addr redis1):$redis_port"
    echo "REDIS_REPLICA=$(addr redis2):$redis_port"
    for n in 1 2; do
      echo "REDIS${n}_ADDR=$(addr redis$n)"
      echo "REDIS${n}_NS=$(ns redis$n)"
      echo "REDIS${n}_PIDFILE=$(redis_pidfile "$n")"
    done
    for n in 1 2 3; do
      echo "SENTINEL${n}_ADDR=$(addr sentinel$n)"
      echo "SENTINEL${n}_NS=$(ns sentinel$n)"
      echo "SENTINEL${n}_PIDFILE=$(sentinel_pidfile "$n")"
    done
    echo "TOKEN_SECRET_FILE=$data/token-secret"
  } >"$tmp"
  mv "$tmp" "$env_file"
}

# Subcommands act on the cluster the env file describes.
load_env() {
  [ -s "$env_file" ] || die "no cluster running with state $state (no $env_file)"
  # shellcheck disable=SC1090
  source "$env_file"
  alive "$CLUSTER_PID" || die "the cluster's run (pid $CLUSTER_PID) is not running"
  prefix=$CLUSTER_PREFIX
  subnet=${CLUSTER_SUBNET%.0/24}
  bridge=$CLUSTER_BRIDGE
}

need_number() {   # need_number VALUE MAX
  [[ "$1" =~ ^[1-9]$ ]] && [ "$1" -le "$2" ] || die "$command: expected a number from 1 to $2, got '${1:-}'"
}

host_arg() {   # accepts app1 or cc18-app1
  local h=${1#"$prefix-"}
  [ -n "${octet[$h]:-}" ] || die "$command: unknown host '${1:-}' (one of: ${hosts[*]})"
  echo "$h"
}

# --- subcommands ---------------------------------------------------------------------
case "$command" in
  run) ;;
  status)
    load_env
    for n in 1 2 3; do
      if alive_file "$data/db$n/spawn.pid"; then
        echo "db$n $(addr db$n): $(db_status "$n" wsrep_local_state_comment), ready $(db_status "$n" wsrep_ready), cluster size $(db_status "$n" wsrep_cluster_size), $(db_status "$n" wsrep_cluster_status)"
      else echo "db$n $(addr db$n): down"; fi
    done
    for n in 1 2; do
      if alive_file "$(redis_pidfile "$n")"; then
        echo "redis$n $(addr redis$n): $(redis_cli "redis$n" "$redis_port" info replication | tr -d '\r' | grep '^role:')"
      else echo "redis$n $(addr redis$n): down"; fi
    done
    for n in 1 2 3; do
      if alive_file "$(sentinel_pidfile "$n")"; then
        echo "sentinel$n $(addr sentinel$n): primary $(redis_cli "sentinel$n" "$sentinel_port" SENTINEL get-master-addr-by-name "$master_name" | paste -sd: -)"
      else echo "sentinel$n $(addr sentinel$n): down"; fi
    done
    for n in 1 2; do
      echo "app$n http://$(addr app$n):$app_port: $(curl --noproxy '*' -sS -m 3 -o /dev/null -w '%{http_code}' "http://$(addr app$n):$app_port/healthz" 2>/dev/null || true)"
    done
    echo "front $FRONT_URL: $(curl --noproxy '*' -sS -m 5 -o /dev/null -w '%{http_code}' "$FRONT_URL/healthz" 2>/dev/null || true)"
    for h in "${hosts[@]}"; do
      ip -br link show "$(ns "$h")" | awk -v h="$h" '$2 != "UP" { print "link " h ": " $2 }'
    done
    exit 0 ;;
  kill-db)
    load_env
    need_number "${args[0]:-}" 3
    n=${args[0]}
    pids=$(kill_host "db$n")
    log "db$n killed (kill -9: ${pids:-nothing was running})"
    exit 0 ;;
  start-db)
    load_env
    need_number "${args[0]:-}" 3
    n=${args[0]}
    alive_file "$data/db$n/spawn.pid" && die "db$n is running"
    mode="join"
    if [ "$wipe" -eq 1 ]; then
      rm -rf "$(db_dir "$n")/data"
      mkdir -p "$(db_dir "$n")/data"
      chown "$db_user" "$(db_dir "$n")/data"
    fi
    if [ "$bootstrap" -eq 1 ]; then
      sed -i 's/^safe_to_bootstrap:.*/safe_to_bootstrap: 1/' "$(db_dir "$n")/data/grastate.dat"
      mode=new
    fi
    # A node started again while the others still count its killed self
    # (until they suspect it, ~5 s) cannot join until they evict it, ~15 s
    # later: wait until the running nodes' view is only themselves.
    waited=$(now_ms)
    [ "$mode" = join ] && wait_for "the others' view without db$n" "" 30 others_dropped "$n"
    started=$(now_ms)
    [ $((started - waited)) -gt 200 ] && log "the others dropped db$n's old instance after $(elapsed "$waited") s"
    log_start=$(stat -c %s "$logs/db$n.log" 2>/dev/null || echo 0)
    start_db_node "$n" "$mode"
    how=$(tail -c +"$((log_start + 1))" "$logs/db$n.log" |
      awk '/rsync SST completed/ { sst = 1 } /Receiving IST: [0-9]+ writesets/ { ist = $(NF-3) }
           END { print sst ? "SST by rsync" : ist != "" ? "IST, " ist " writesets" : "no transfer" }')
    [ "$mode" = new ] && how="bootstrapped"
    log "db$n is Synced after $(elapsed "$started") s ($how); cluster size $(db_status "$n" wsrep_cluster_size)"
    exit 0 ;;
  link-down|link-up)
    load_env
    h=$(host_arg "${args[0]:-}")
    ip link set "$(ns "$h")" "${command#link-}"
    log "$h's link ($(ns "$h")) is ${command#link-}"
    exit 0 ;;
  kill-redis-primary)
    load_env
    primary=$(redis_primary) || die "no Sentinel answers"
    n=$(redis_host_of "${primary%:*}") || die "Sentinel names $primary, which is none of ours"
    started=$(now_ms)
    pids=$(kill_host "redis$n")
    log "redis$n ($primary), the primary, killed (kill -9: ${pids:-nothing was running})"
    [ "$no_wait" -eq 1 ] && exit 0
    deadline=$((SECONDS + 60))
    while now=$(redis_primary 2>/dev/null || true); [ -z "$now" ] || [ "$now" = "$primary" ]; do
      [ $SECONDS -ge $deadline ] && die "Sentinel still names $primary after 60 s"
      sleep 0.05
    done
    log "Sentinel names $now the primary $(elapsed "$started") s after the kill"
    exit 0 ;;
  start-redis)
    load_env
    need_number "${args[0]:-}" 2
    n=${args[0]}
    alive_file "$(redis_pidfile "$n")" && die "redis$n is running"
    primary=$(redis_primary) || die "no Sentinel answers"
    started=$(now_ms)
    if [ "${primary%:*}" = "$(addr redis$n)" ]; then
      start_redis_node "$n"
      log "redis$n started as the primary (Sentinel still names it) in $(elapsed "$started") s"
    else
      start_redis_node "$n" "${primary%:*}"
      # Ready for the next failover only once every Sentinel sees it as a
      # healthy replica (flags exactly "slave": not s_down, not disconnected).
      wait_for "the Sentinels' view of redis$n" "" 30 sentinels_see_replica "$(addr redis$n)"
      log "redis$n started as a replica of $primary, in sync and seen by every Sentinel after $(elapsed "$started") s"
    fi
    exit 0 ;;
  kill-app)
    load_env
    need_number "${args[0]:-}" 2
    n=${args[0]}
    pids=$(kill_host "app$n")
    log "app$n killed (kill -9 of $(wc -w <<<"$pids") processes)"
    exit 0 ;;
  start-app)
    load_env
    need_number "${args[0]:-}" 2
    n=${args[0]}
    [ -n "$(ip netns pids "$(ns app$n)")" ] && die "app$n is running (kill-app $n first)"
    started=$(now_ms)
    start_app_host "$n"
    log "app$n serves http://$(addr app$n):$app_port after $(elapsed "$started") s ($(grep '^CONCERT_DB_URL=' "$(app_run "$n")/concert.env"))"
    exit 0 ;;
  sql)
    load_env
    need_number "${args[0]:-}" 3
    n=${args[0]}
    exec mariadb --socket="$(db_sock "$n")" -uroot concert "${args[@]:1}" ;;
  ctl)
    load_env
    url=""
    for n in 1 2 3; do
      if alive_file "$data/db$n/spawn.pid" && db_synced "$n"; then url="tcp://$(addr db$n):$db_port"; break; fi
    done
    [ -n "$url" ] || die "no Galera node is Synced"
    primary=$(redis_primary) || die "no Sentinel answers"
    CONCERT_DB_URL=$url CONCERT_REDIS_HOST=${primary%:*} CONCERT_REDIS_PORT=${primary##*:} \
      exec "$root/bin/concertctl" "${args[@]}" ;;
  exec)
    load_env
    h=$(host_arg "${args[0]:-}")
    exec ip netns exec "$(ns "$h")" "${args[@]:1}" ;;
  clean)
    if [ -s "$env_file" ]; then
      # shellcheck disable=SC1090
      source "$env_file"
      alive "$CLUSTER_PID" && die "the cluster's run (pid $CLUSTER_PID) is still running: stop it (Ctrl-C or kill -TERM $CLUSTER_PID)"
      prefix=$CLUSTER_PREFIX subnet=${CLUSTER_SUBNET%.0/24} bridge=$CLUSTER_BRIDGE
    fi
    before=$(leftovers)
    p=$(pid_of "$data/lb/spawn.pid") && stop_pids 10 "$p"
    kill_leftovers
    net_down
    rm -rf "$data" "$env_file" /dev/shm/"$prefix"-app*-metrics
    [ -z "$(leftovers)" ] || die "still there:$(leftovers)"
    log "removed:${before:- no namespaces or links} and $data"
    exit 0 ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2 ;;
esac

# --- run -------------------------------------------------------------------------------
# All of it in one function that bash reads whole before it starts: editing
# this file while a cluster runs cannot change what the running one does.
run_cluster() {
  [ "$(id -u)" -eq 0 ] || die "needs root (network namespaces)"
  for tool in ip mariadbd mariadb-install-db redis-server redis-sentinel nginx rsync ss curl; do
    command -v "$tool" >/dev/null || die "$tool is missing: run scripts/install-deps.sh"
  done
  [ -e /usr/lib/galera/libgalera_smm.so ] || die "galera-4 is missing: run scripts/install-deps.sh"
  [ -x "$root/bin/concertctl" ] || die "build first: make all"
  if [ -s "$env_file" ]; then
    # shellcheck disable=SC1090
    other=$(. "$env_file" && echo "$CLUSTER_PID")
    alive "$other" && die "a cluster already runs with state $state (pid $other)"
  fi
  [ -z "$(leftovers)" ] || die "left over from an earlier run:$(leftovers) (scripts/cluster.sh clean removes them)"
  [ -z "$(ss -ltnH "sport = :$front_port")" ] || die "port $front_port is taken here: choose another with --front-port"

  started=$(now_ms)
  mkdir -p "$state"
  rm -rf "$data" "$logs"   # a run always starts empty (--keep leaves the last one's data for reading)
  mkdir -p "$data" "$logs"
  chmod 755 "$state" "$data"

  stopping=0
  stop_requested=0
  cleanup() {
    local status=$?
    [ $stopping -eq 1 ] && return
    stopping=1
    trap '' INT TERM
    set +e   # remove all that can be removed, whatever fails
    log "stopping"
    rm -f "$ready_file" "$env_file"
    [ -n "${sweep_pid:-}" ] && stop_pids 5 "$sweep_pid"
    local p pids=()
    p=$(pid_of "$data/lb/spawn.pid") && stop_pids 10 "$p"
    for n in 1 2; do mapfile -t -O "${#pids[@]}" pids < <(app_pids "$n"); done
    for n in 1 2 3; do p=$(pid_of "$(sentinel_pidfile "$n")") && pids+=("$p"); done
    for n in 1 2; do p=$(pid_of "$(redis_pidfile "$n")") && pids+=("$p"); done
    [ ${#pids[@]} -gt 0 ] && stop_pids 20 "${pids[@]}"
    pids=()
    for n in 1 2 3; do p=$(pid_of "$data/db$n/spawn.pid") && pids+=("$p"); done
    [ ${#pids[@]} -gt 0 ] && stop_pids 60 "${pids[@]}"
    kill_leftovers
    net_down
    rm -rf /dev/shm/"$prefix"-app*-metrics
    if [ "$keep" -eq 1 ]; then
      log "kept $data and $logs"
    elif [ "$status" -ne 0 ]; then
      rm -rf "$data"
      log "start-up failed: logs kept in $logs"
    else
      rm -rf "$data" "$logs"
      rmdir "$state" "${created_dirs[@]}" 2>/dev/null
    fi
    local left
    left=$(leftovers)
    if [ -n "$left" ]; then log "could not remove:$left"; else log "stopped; namespaces, links and bridge removed"; fi
  }
  trap cleanup EXIT
  trap 'stop_requested=1' INT TERM

  net_up
  (umask 077 && od -An -tx1 -N32 /dev/urandom | tr -d " \n" >"$data/token-secret")
  write_env
  log "network: $bridge $bridge_addr/24, namespaces $prefix-{$(IFS=,; echo "${hosts[*]}")}"

  # --- Galera: bootstrap db1, load the schema, then db2 and db3 join by SST --------
  for n in 1 2 3; do write_db_config "$n"; done
  mariadb-install-db --no-defaults --user="$db_user" --datadir="$(db_dir 1)/data" \
    --auth-root-authentication-method=socket >"$logs/db1-install.log" 2>&1
  start_db_node 1 new
  log "db1 bootstrapped a new cluster ($(elapsed "$started") s)"
  db_sql 1 -e "CREATE DATABASE IF NOT EXISTS concert CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
    CREATE USER IF NOT EXISTS 'concert'@'localhost' IDENTIFIED BY 'concert';
    CREATE USER IF NOT EXISTS 'concert'@'127.0.0.1' IDENTIFIED BY 'concert';
    CREATE USER IF NOT EXISTS 'concert'@'$subnet.%' IDENTIFIED BY 'concert';
    GRANT ALL ON concert.* TO 'concert'@'localhost';
    GRANT ALL ON concert.* TO 'concert'@'127.0.0.1';
    GRANT ALL ON concert.* TO 'concert'@'$subnet.%';"
  "$root/scripts/migrate.sh" --socket="$(db_sock 1)" -uroot >"$logs/migrate.log"

  # Redis and the Sentinels start while the database nodes join: Sentinels
  # take a few seconds to find each other.
  start_redis_node 1
  start_redis_node 2 "$(addr redis1)"
  for n in 1 2 3; do start_sentinel "$n"; done

  for n in 2 3; do
    t=$(now_ms)
    start_db_node "$n"
    log "db$n joined in $(elapsed "$t") s"
  done
  [ "$(db_status 1 wsrep_cluster_size)" = 3 ] || die "wsrep_cluster_size is $(db_status 1 wsrep_cluster_size), not 3"

  if [ "$demo" -eq 1 ]; then
    dates=$(date -u -d '+7 days' +%F),$(date -u -d '+8 days' +%F),$(date -u -d '+9 days' +%F)
    CONCERT_DB_URL="unix://$(db_sock 1)" "$root/bin/concertctl" concert add \
      --name "Opening Night (demo)" --dates "$dates" >/dev/null
  fi

  wait_for "the Sentinels" "" 60 sentinels_ready
  log "Redis: primary $(addr redis1), replica $(addr redis2), Sentinels agree ($(elapsed "$started") s)"

  # --- app hosts and the load balancer ----------------------------------------------
  for n in 1 2; do start_app_host "$n"; done
  start_lb

  log "ready in $(elapsed "$started") s: $(grep '^FRONT_URL=' "$env_file" | cut -d= -f2) (app hosts http://$(addr app1):$app_port and http://$(addr app2):$app_port)"
  log "Galera $(db_nodes_from 1); Redis primary $(addr redis1):$redis_port, replica $(addr redis2):$redis_port; Sentinels $(sentinels) (master '$master_name')"
  log "env for scripts: $env_file; logs in $logs; Ctrl-C stops and removes everything"
  echo "http://127.0.0.1:$front_port"
  [ -n "$ready_file" ] && touch "$ready_file"

  # Serve until told to stop. Parts may be killed and started again by the
  # subcommands: a change is reported, not fatal; only the balancer's death
  # ends the run. Every 30 s a sweep tidies lapsed holds, from app host 1 (or
  # 2 when 1 is down), in the background.
  declare -A was_up=()
  ticks=0
  sweep_pid=
  while [ $stop_requested -eq 0 ]; do
    ticks=$((ticks + 1))
    alive_file "$data/lb/spawn.pid" || { sleep 0.5; [ $stop_requested -eq 1 ] && break; die "the load balancer exited (see $logs/lb-error.log)"; }
    for part in db1 db2 db3 redis1 redis2 sentinel1 sentinel2 sentinel3 app1 app2; do
      case $part in
        db*) f=$data/$part/spawn.pid ;;
        redis*) f=$(redis_pidfile "${part#redis}") ;;
        sentinel*) f=$(sentinel_pidfile "${part#sentinel}") ;;
        app*) f=$data/$part/nginx.spawn.pid ;;
      esac
      if alive_file "$f"; then up=1; else up=0; fi
      if [ "${was_up[$part]:-1}" != "$up" ]; then
        [ $stop_requested -eq 1 ] && break 2
        if [ "$up" = 1 ]; then log "$part is up again"; else log "$part is down"; fi
      fi
      was_up[$part]=$up
    done
    if [ $((ticks % 30)) -eq 0 ] && { [ -z "$sweep_pid" ] || ! alive "$sweep_pid"; }; then
      for n in 1 2; do
        alive_file "$data/app$n/nginx.spawn.pid" || continue
        (set -a; . "$(app_run "$n")/concert.env"; set +a
         exec ip netns exec "$(ns app$n)" "$root/bin/concertctl" sweep) >>"$logs/sweep.log" 2>&1 &
        sweep_pid=$!
        break
      done
    fi
    sleep 1 &
    wait $! || true
  done
  exit 0
}

run_cluster
