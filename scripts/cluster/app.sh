# shellcheck shell=bash
# scripts/cluster.sh: the two app hosts (every handler pool and an nginx in
# front of them) and the load balancer on 127.0.0.1 in front of both.

# Starts every handler pool of app host N and its nginx.
start_app_host() {
  local n=$1 run env=()
  run=$(app_run "$n")
  mkdir -p "$run" "$data/app$n/nginx"
  chmod 755 "$data/app$n" "$run"
  rm -f "$run"/*.sock
  # The pools' counters in memory (a shared file mapping on disk stalls its
  # writers during writeback), linked where the state directory expects them.
  rm -rf "/dev/shm/$prefix-app$n-metrics" "$run/metrics"
  mkdir -p "/dev/shm/$prefix-app$n-metrics"
  ln -s "/dev/shm/$prefix-app$n-metrics" "$run/metrics"
  mapfile -t env < <(app_env "$n")
  printf '%s\n' "${env[@]}" | grep -v '^CONCERT_TOKEN_SECRET=' >"$run/concert.env"
  start_pools "$n" "${env[@]}"
  start_app_nginx "$n"
}

# The environment of app host N's pools, a NAME=VALUE a line. Today's
# variables point at the host's own database node (or the next one that is
# Synced) and the primary Sentinel names; the multi-node ones list everything.
app_env() {
  local n=$1 i node db_url="" primary
  for i in 0 1 2; do
    node=$(( (n - 1 + i) % 3 + 1 ))
    if db_synced "$node"; then db_url="tcp://$(addr db$node):$db_port"; break; fi
  done
  [ -n "$db_url" ] || db_url="tcp://$(addr db$n):$db_port"
  primary=$(redis_primary) || primary="$(addr redis1):$redis_port"
  # CONCERT_DB_READ_TIMEOUT: a node cut off from the network never answers:
  # a worker waits for it this long before it moves on, and each worker of a
  # pool finds out by itself, so the 10 s default (twice, with two workers)
  # would eat the whole recovery budget. A request caught in Galera's ~5 s
  # stall after a node dies then answers 503 (its outcome settles by
  # Idempotency-Key).
  printf '%s\n' \
    "CONCERT_DB_URL=$db_url" \
    "CONCERT_DB_NODES=$(db_nodes_from "$n")" \
    "CONCERT_REDIS_HOST=${primary%:*}" "CONCERT_REDIS_PORT=${primary##*:}" \
    "CONCERT_REDIS_SENTINELS=$(sentinels)" "CONCERT_REDIS_MASTER=$master_name" \
    "CONCERT_TOKEN_SECRET=$(cat "$data/token-secret")" \
    "CONCERT_WORKERS=$workers" "CONCERT_SOCKET_MODE=0666" \
    "CONCERT_DB_READ_TIMEOUT=3" \
    "CONCERT_METRICS_DIR=$(app_run "$n")/metrics"
}

# start_pools N ENV...: a pool per binary in bin/ (but concertctl), and the
# keeper, in app
# host N, with ENV (NAME=VALUE each), each listening on its socket in the
# host's run directory; waits until every socket is there.
start_pools() {
  local n=$1 run bin name
  shift
  run=$(app_run "$n")
  for bin in "$root"/bin/*; do
    name=$(basename "$bin")
    [ "$name" = concertctl ] && continue
    if [ "$name" = concert-keeper ]; then   # one per host, no socket
      spawn "app$n" "$run/$name.pid" "$logs/app$n-$name.log" env "$@" "$bin"
      continue
    fi
    spawn "app$n" "$run/$name.pid" "$logs/app$n-$name.log" \
      env "$@" CONCERT_LISTEN="$run/$name.sock" "$bin"
  done
  for bin in "$root"/bin/*; do
    name=$(basename "$bin")
    [ "$name" = concertctl ] || [ "$name" = concert-keeper ] && continue
    wait_for "app$n's $name" "$(cat "$run/$name.pid")" 10 test -S "$run/$name.sock"
  done
}

# App host N's nginx, on its address (the API) and on its own 127.0.0.1 (the
# internal listener), in front of the host's pools.
start_app_nginx() {
  local n=$1 prefix_dir=$data/app$1/nginx
  fill_template "$root/nginx/local.conf.in" PREFIX="$prefix_dir" RUN="$(app_run "$n")" LOG="$logs" \
    INSTANCE="app$n" ROOT="$root" HTTP_ADDR="$(addr app$n)" HTTP_PORT="$app_port" \
    METRICS_PORT="$app_metrics_port" USER_DIRECTIVE="$nginx_user_line" BENCH_INCLUDE= >"$prefix_dir/nginx.conf"
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

# The load balancer: an nginx on 127.0.0.1:$front_port (this namespace) in
# front of both app hosts.
start_lb() {
  local dir=$data/lb servers="" n
  mkdir -p "$dir"
  for n in 1 2; do
    servers+="        server $(addr app$n):$app_port max_fails=2 fail_timeout=5s;"$'\n'
  done
  # sed cannot take a newline in its replacement: awk fills the server list.
  fill_template "$root/nginx/cluster-lb.conf.in" PREFIX="$dir" LOG="$logs" FRONT_PORT="$front_port" \
    USER_DIRECTIVE="$nginx_user_line" |
    awk -v servers="${servers%$'\n'}" '/@UPSTREAM_SERVERS@/ { print servers; next } { print }' >"$dir/nginx.conf"
  setsid nginx -p "$dir" -c "$dir/nginx.conf" -e "$logs/lb-error.log" </dev/null >>"$logs/lb.out" 2>&1 &
  echo $! >"$dir/spawn.pid"
  disown $!
  wait_for "the load balancer" "$(cat "$dir/spawn.pid")" 20 \
    curl --noproxy '*' -fsS -o /dev/null "http://127.0.0.1:$front_port/healthz"
}
