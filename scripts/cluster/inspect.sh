# shellcheck shell=bash
# scripts/cluster.sh's ways into the running cluster: status (each part as it
# sees itself), sql, ctl, exec. The dispatcher has read STATE/cluster.env
# (load_env) first.

# status: each node's state and view, each Redis's role, what each Sentinel
# names, each host's /healthz, the balancer's, and the links that are down.
cmd_status() {
  local n h
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
}

cmd_sql() {   # sql N [ARGS]: the mariadb client on node N (root, socket)
  need_number "${1:-}" 3
  exec mariadb --socket="$(db_sock "$1")" -uroot concert "${@:2}"
}

# ctl [ARGS]: bin/concertctl against the first Synced node and the primary
# the Sentinels name.
cmd_ctl() {
  local n url="" primary
  for n in 1 2 3; do
    if alive_file "$data/db$n/spawn.pid" && db_synced "$n"; then url="tcp://$(addr db$n):$db_port"; break; fi
  done
  [ -n "$url" ] || die "no Galera node is Synced"
  primary=$(redis_primary) || die "no Sentinel answers"
  CONCERT_DB_URL=$url CONCERT_REDIS_HOST=${primary%:*} CONCERT_REDIS_PORT=${primary##*:} \
    exec "$root/bin/concertctl" "$@"
}

cmd_exec() {   # exec HOST CMD...: CMD inside HOST's namespace
  local h
  h=$(host_arg "${1:-}")
  exec ip netns exec "$(ns "$h")" "${@:2}"
}
