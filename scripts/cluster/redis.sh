# shellcheck shell=bash
# scripts/cluster.sh: Redis (a primary and a replica) and the three Sentinels
# that watch them — configuration, start, and what the Sentinels say.

redis_cli() { local h=$1 port=$2; shift 2; in_ns "$h" redis-cli -p "$port" "$@"; }

# The lines a Redis server's and a Sentinel's configuration share: HOST's
# address and PORT, its directory ($data/HOST), its pid file (named NAME) and
# log.
redis_conf_common() {   # redis_conf_common HOST PORT NAME
  local dir=$data/$1
  printf '%s\n' "port $2" "bind $(addr "$1") 127.0.0.1" "protected-mode no" "daemonize no" \
    "pidfile $dir/$3.pid.own" "logfile $logs/$1.log" "dir $dir"
}

# Starts Redis host N, as a replica of $2 (an address) when given.
start_redis_node() {
  local n=$1 primary=${2:-} dir=$data/redis$1
  mkdir -p "$dir"
  {
    echo "# Redis host redis$n of scripts/cluster.sh. Sentinel may rewrite this file."
    redis_conf_common "redis$n" "$redis_port" redis
    cat <<CONF
save ""
appendonly no
# A replica that (re)joins is sent the data at once, not 5 s later in case
# another one comes along.
repl-diskless-sync-delay 0
${primary:+replicaof $primary $redis_port}
CONF
  } >"$dir/redis.conf"
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
  {
    echo "# Sentinel $n of scripts/cluster.sh."
    redis_conf_common "sentinel$n" "$sentinel_port" sentinel
    cat <<CONF
sentinel monitor $master_name $(addr redis1) $redis_port 2
sentinel down-after-milliseconds $master_name 2000
sentinel failover-timeout $master_name 6000
sentinel parallel-syncs $master_name 1
CONF
  } >"$dir/sentinel.conf"
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
# Whether every Sentinel counts all three (quorum) and knows a replica.
sentinels_ready() {
  local n
  for n in 1 2 3; do
    redis_cli "sentinel$n" "$sentinel_port" SENTINEL ckquorum "$master_name" | grep -q '^OK 3 usable' || return 1
    [ "$(redis_cli "sentinel$n" "$sentinel_port" SENTINEL replicas "$master_name" | grep -c '^slave$')" -ge 1 ] || return 1
  done
}

# Whether every Sentinel sees ADDRESS as a healthy replica.
sentinels_see_replica() {   # sentinels_see_replica ADDRESS
  local n
  for n in 1 2 3; do
    redis_cli "sentinel$n" "$sentinel_port" SENTINEL replicas "$master_name" |
      awk -v a="$1" '$0 == "ip" { getline; ip = $0 } $0 == "flags" { getline; if (ip == a && $0 == "slave") ok = 1 } END { exit !ok }' || return 1
  done
}
