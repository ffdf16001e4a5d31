# shellcheck shell=bash
# scripts/cluster.sh: the three MariaDB Galera nodes — configuration, start
# (bootstrap, join, rejoin after a crash), state — and the first start of all
# three by run.

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

# run: every node's configuration; db1 bootstraps a new cluster and gets the
# database, its user (from every host of the subnet) and the schema. db2 and
# db3 join later (join_db_nodes), while Redis starts.
start_galera() {
  local n
  for n in 1 2 3; do write_db_config "$n"; done
  mariadb-install-db --no-defaults --user="$db_user" --datadir="$(db_dir 1)/data" \
    --auth-root-authentication-method=socket >"$logs/db1-install.log" 2>&1
  start_db_node 1 new
  log "db1 bootstrapped a new cluster ($(elapsed "$started") s)"
  concert_db_init "$(db_sock 1)" "$subnet.%" >"$logs/migrate.log"
}

# run: db2 and db3 join db1's cluster, by SST.
join_db_nodes() {
  local n t
  for n in 2 3; do
    t=$(now_ms)
    start_db_node "$n"
    log "db$n joined in $(elapsed "$t") s"
  done
  [ "$(db_status 1 wsrep_cluster_size)" = 3 ] || die "wsrep_cluster_size is $(db_status 1 wsrep_cluster_size), not 3"
}
