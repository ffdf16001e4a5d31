# shellcheck shell=bash
# scripts/cluster.sh's faults: kill a part of the running cluster (kill -9 of
# every process of its host), cut a host's link, and start a part again;
# each says what happened and how long it took. The dispatcher has read
# STATE/cluster.env (load_env) first.

cmd_kill_db() {   # kill-db N
  local n pids
  need_number "${1:-}" 3
  n=$1
  pids=$(kill_host "db$n")
  log "db$n killed (kill -9: ${pids:-nothing was running})"
}

# start-db N [--wipe | --bootstrap]: rejoins by IST, or by SST when it missed
# too much; says which, and when it is Synced.
cmd_start_db() {
  local n mode=join waited started log_start how
  need_number "${1:-}" 3
  n=$1
  alive_file "$data/db$n/spawn.pid" && die "db$n is running"
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
}

# link-down HOST / link-up HOST: the host's link to the bridge.
set_link() {   # set_link down|up HOST
  local h
  h=$(host_arg "${2:-}")
  ip link set "$(ns "$h")" "$1"
  log "$h's link ($(ns "$h")) is $1"
}
cmd_link_down() { set_link down "$@"; }
cmd_link_up() { set_link up "$@"; }

# kill-redis-primary [--no-wait]: kill -9 the Redis primary the Sentinels
# name, then wait until they name another.
cmd_kill_redis_primary() {
  local primary n started pids deadline now
  primary=$(redis_primary) || die "no Sentinel answers"
  n=$(redis_host_of "${primary%:*}") || die "Sentinel names $primary, which is none of ours"
  started=$(now_ms)
  pids=$(kill_host "redis$n")
  log "redis$n ($primary), the primary, killed (kill -9: ${pids:-nothing was running})"
  [ "$no_wait" -eq 1 ] && return 0
  deadline=$((SECONDS + 60))
  while now=$(redis_primary 2>/dev/null || true); [ -z "$now" ] || [ "$now" = "$primary" ]; do
    [ $SECONDS -ge $deadline ] && die "Sentinel still names $primary after 60 s"
    sleep 0.05
  done
  log "Sentinel names $now the primary $(elapsed "$started") s after the kill"
}

# start-redis N: as a replica of the current primary (or as the primary, if
# the Sentinels still name it).
cmd_start_redis() {
  local n primary started
  need_number "${1:-}" 2
  n=$1
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
}

cmd_kill_app() {   # kill-app N
  local n pids
  need_number "${1:-}" 2
  n=$1
  pids=$(kill_host "app$n")
  log "app$n killed (kill -9 of $(wc -w <<<"$pids") processes)"
}

cmd_start_app() {   # start-app N: its pools and nginx
  local n started
  need_number "${1:-}" 2
  n=$1
  [ -n "$(ip netns pids "$(ns app$n)")" ] && die "app$n is running (kill-app $n first)"
  started=$(now_ms)
  start_app_host "$n"
  log "app$n serves http://$(addr app$n):$app_port after $(elapsed "$started") s ($(grep '^CONCERT_DB_URL=' "$(app_run "$n")/concert.env"))"
}
