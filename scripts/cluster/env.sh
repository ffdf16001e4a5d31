# shellcheck shell=bash
# scripts/cluster.sh: STATE/cluster.env, which run writes for the tests and
# the subcommands (every address, namespace, pid file and URL) and removes
# when it stops.

env_file=$state/cluster.env

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
