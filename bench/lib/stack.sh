# The bench's own stack and its stores: sourced by bench/run.sh and
# bench/metrics.sh, which set root, state, port, url and target (single or
# cluster) first (bench/crowd.sh also metrics_port, db_port and redis_port:
# ports of its own, so it never meets a bench stack).

log() { echo "bench: [$((SECONDS - ${started:-0})) s] $*" >&2; }

stack_pid=
# start_stack WORKERS [stack.sh options...]: a stack (or cluster) on $port,
# state in $state, returning once it is ready. Every port below 32768: above
# it, a client's outgoing connection may hold the port (Linux's ephemeral
# range) and the server cannot bind it.
start_stack() {
  rm -f "$state/ready"
  if [ "$target" = cluster ]; then
    scripts/cluster.sh run --state "$state/cluster" --prefix cb18 --subnet 10.218.41 --front-port "$port" --no-demo \
      --workers "$1" --ready-file "$state/ready" >>"$state/stack.txt" 2>&1 &
  else
    scripts/stack.sh run --state "$state" --http-port "$port" --metrics-port "${metrics_port:-28090}" \
      --db-port "${db_port:-28306}" --redis-port "${redis_port:-28379}" \
      --workers "$1" --bench --ready-file "$state/ready" "${@:2}" >>"$state/stack.txt" 2>&1 &
  fi
  stack_pid=$!
  local deadline=$((SECONDS + 180))
  until [ -e "$state/ready" ]; do
    kill -0 "$stack_pid" 2>/dev/null && [ $SECONDS -lt $deadline ] || { log "stack did not start"; tail "$state/stack.txt"; exit 1; }
    sleep 0.2
  done
}
# stop_stack: the stack start_stack started, by its pid (the trap's job too).
stop_stack() {
  [ -n "$stack_pid" ] || return 0
  kill -TERM "$stack_pid" 2>/dev/null || true
  wait "$stack_pid" 2>/dev/null || true
  stack_pid=
}

# fresh_state: refuses to run over a stack someone left on $port, then
# wipes $state and makes the directories a run writes.
fresh_state() {
  if curl -s -o /dev/null "$url/healthz"; then
    log "something already serves port $port (a bench stack left running?): stop it first"
    exit 1
  fi
  rm -rf "$state"
  mkdir -p "$state" "$@"
  chmod 755 "$state"
}

# sql, concertctl, ctl: the stack's stores. Loads go to Galera node 1 on a
# cluster (they replicate); concertctl finds a Synced node and Sentinel's
# primary by itself.
if [ "$target" = cluster ]; then
  sql() { scripts/cluster.sh sql 1 --state "$state/cluster" -N "$@"; }
  concertctl() { scripts/cluster.sh ctl --state "$state/cluster" "$@"; }
else
  sql() { mariadb --socket="$state/mysql-run/mysqld.sock" -uroot -N concert "$@"; }
  export CONCERT_DB_URL="unix://$state/mysql-run/mysqld.sock" CONCERT_REDIS_SOCKET="$state/run/redis.sock"
  concertctl() { bin/concertctl "$@"; }
fi
ctl() { concertctl "$@" >/dev/null; }

# each_node SQL_OPTIONS...: the statement on every database node.
each_node() {
  if [ "$target" = cluster ]; then
    local n
    for n in 1 2 3; do scripts/cluster.sh sql "$n" --state "$state/cluster" -N "$@"; done
  else
    sql "$@"
  fi
}
# settle: InnoDB writes the freshly loaded pages out before anything is
# measured, so that every scenario (and the scale run against the small one)
# compares steady states, not a load's aftermath in the background.
settle() {
  local dirty deadline=$((SECONDS + 120))
  each_node -e "SET GLOBAL innodb_max_dirty_pages_pct = 0"
  while dirty=$(each_node -e "SHOW GLOBAL STATUS LIKE 'Innodb_buffer_pool_pages_dirty'" | awk '{s += $2} END {print s + 0}') &&
    [ "$dirty" -gt 100 ] && [ $SECONDS -lt $deadline ]; do
    sleep 0.5
  done
  each_node -e "SET GLOBAL innodb_max_dirty_pages_pct = 90"
  log "InnoDB settled: $dirty dirty pages left; $(sql -e "
    SELECT CONCAT(ROUND(SUM(data_length + index_length) / 1048576), ' MB of data and indexes, buffer pool ',
      @@innodb_buffer_pool_size DIV 1048576, ' MB') FROM information_schema.tables WHERE table_schema = 'concert'")"
}
