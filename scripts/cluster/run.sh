# shellcheck shell=bash
# scripts/cluster.sh run and clean: every part started in order, served until
# Ctrl-C/SIGTERM, then everything stopped and removed (stop_cluster); clean
# removes what a run that was killed left.

# What run needs before it creates anything: root, the tools, a build, no
# other run on this state directory, nothing left of an earlier one, a free
# front port.
check_can_run() {
  local tool other
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
}

# run: starts every part, in order; then serves until told to stop. On exit
# (EXIT trap) stop_cluster removes everything.
run_cluster() {
  local n
  check_can_run
  started=$(now_ms)
  mkdir -p "$state"
  rm -rf "$data" "$logs"   # a run always starts empty (--keep leaves the last one's data for reading)
  mkdir -p "$data" "$logs"
  chmod 755 "$state" "$data"

  stopping=0
  stop_requested=0
  trap stop_cluster EXIT
  trap 'stop_requested=1' INT TERM

  net_up
  write_secret "$data/token-secret"
  write_env
  log "network: $bridge $bridge_addr/24, namespaces $prefix-{$(IFS=,; echo "${hosts[*]}")}"

  start_galera
  # Redis and the Sentinels start while the database nodes join: Sentinels
  # take a few seconds to find each other.
  start_redis_node 1
  start_redis_node 2 "$(addr redis1)"
  for n in 1 2 3; do start_sentinel "$n"; done
  join_db_nodes
  if [ "$demo" -eq 1 ]; then add_demo_concert "$(db_sock 1)" >/dev/null; fi
  wait_for "the Sentinels" "" 60 sentinels_ready
  log "Redis: primary $(addr redis1), replica $(addr redis2), Sentinels agree ($(elapsed "$started") s)"

  for n in 1 2; do start_app_host "$n"; done
  start_lb

  log "ready in $(elapsed "$started") s: $(grep '^FRONT_URL=' "$env_file" | cut -d= -f2) (app hosts http://$(addr app1):$app_port and http://$(addr app2):$app_port)"
  log "Galera $(db_nodes_from 1); Redis primary $(addr redis1):$redis_port, replica $(addr redis2):$redis_port; Sentinels $(sentinels) (master '$master_name')"
  log "env for scripts: $env_file; logs in $logs; Ctrl-C stops and removes everything"
  echo "http://127.0.0.1:$front_port"
  [ -n "$ready_file" ] && touch "$ready_file"
  serve
}

# Serves until told to stop, then exits 0. Parts may be killed and started
# again by the subcommands: a change is reported, not fatal; only the
# balancer's death ends the run.
serve() {
  declare -A was_up=()
  local ticks=0 part f up
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
    if [ $((ticks % 30)) -eq 0 ]; then start_sweep; fi
    sleep 1 &
    wait $! || true
  done
  exit 0
}

# A sweep tidies lapsed holds, from app host 1 (or 2 when 1 is down), in the
# background: one at a time, its pid in $sweep_pid.
start_sweep() {
  local n
  [ -z "$sweep_pid" ] || ! alive "$sweep_pid" || return 0
  for n in 1 2; do
    alive_file "$data/app$n/nginx.spawn.pid" || continue
    (set -a; . "$(app_run "$n")/concert.env"; set +a
     exec ip netns exec "$(ns app$n)" "$root/bin/concertctl" sweep) >>"$logs/sweep.log" 2>&1 &
    sweep_pid=$!
    break
  done
}

# The EXIT trap of run: stops every process (the balancer first, the
# database nodes last), removes the network, and the data and logs unless
# --keep (the logs are kept when the start-up failed).
stop_cluster() {
  local status=$?
  [ $stopping -eq 1 ] && return
  stopping=1
  trap '' INT TERM
  set +e   # remove all that can be removed, whatever fails
  log "stopping"
  rm -f "$ready_file" "$env_file"
  [ -n "${sweep_pid:-}" ] && stop_pids 5 "$sweep_pid"
  local p n pids=()
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

# clean: what a run that was killed left (its processes, namespaces, links,
# bridge and data); refuses while that run still runs.
cmd_clean() {
  local before p
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
}
