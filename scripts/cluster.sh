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
# (The usage above ends at the first line that is not a comment.) This file
# reads the options and dispatches; each concern is a file of its own under
# scripts/cluster/, sourced: hosts.sh (names, addresses, paths, processes),
# net.sh (bridge and namespaces), galera.sh, redis.sh (Redis and Sentinels),
# app.sh (app hosts and the load balancer), env.sh (STATE/cluster.env),
# run.sh (run and clean), faults.sh (kill-*, start-*, link-*), inspect.sh
# (status, sql, ctl, exec).

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

need_number() {   # need_number VALUE MAX
  [[ "$1" =~ ^[1-9]$ ]] && [ "$1" -le "$2" ] || die "$command: expected a number from 1 to $2, got '${1:-}'"
}

# shellcheck source=scripts/lib.sh
source "$root/scripts/lib.sh"  # alive, pid_of, wait_for, stop_pids, reachable_by ...

# MariaDB runs as mysql, which must reach the state directory: Galera's
# rsync SST cannot run as root (its rsync daemon would drop to nobody). A
# checkout under a private home (/root) cannot be reached: then the default
# state directory is /var/tmp/concert-cluster.
umask 022
state=$(realpath -m "$state")
if [ "$(id -u)" -eq 0 ] && ! reachable_by mysql "$state"; then
  [ "$state_given" -eq 1 ] && die "the mysql user cannot reach $state: choose a --state outside a private home"
  state=/var/tmp/concert-cluster
fi
db_user=mysql
# nginx's workers run as nobody when it can reach the state directory (as
# in scripts/stack.sh), else as root.
nginx_user_line="user root root;"
if reachable_by nobody "$state"; then nginx_user_line="user nobody nogroup;"; fi

# The directories this run creates, deepest first, removed again on exit
# when empty.
created_dirs=()
d=$state
while [ ! -e "$d" ]; do created_dirs+=("$d"); d=$(dirname "$d"); done

# Bash reads a sourced file whole before it runs any of it, and the dispatch
# below is one command: editing these files while a cluster runs cannot
# change what the running one does.
# shellcheck source=scripts/cluster/hosts.sh
source "$root/scripts/cluster/hosts.sh"
# shellcheck source=scripts/cluster/net.sh
source "$root/scripts/cluster/net.sh"
# shellcheck source=scripts/cluster/galera.sh
source "$root/scripts/cluster/galera.sh"
# shellcheck source=scripts/cluster/redis.sh
source "$root/scripts/cluster/redis.sh"
# shellcheck source=scripts/cluster/app.sh
source "$root/scripts/cluster/app.sh"
# shellcheck source=scripts/cluster/env.sh
source "$root/scripts/cluster/env.sh"
# shellcheck source=scripts/cluster/run.sh
source "$root/scripts/cluster/run.sh"
# shellcheck source=scripts/cluster/faults.sh
source "$root/scripts/cluster/faults.sh"
# shellcheck source=scripts/cluster/inspect.sh
source "$root/scripts/cluster/inspect.sh"

# The subcommands other than run and clean act on the running cluster that
# STATE/cluster.env describes: cmd_<subcommand> with its arguments.
case "$command" in
  run) run_cluster ;;
  clean) cmd_clean ;;
  status|kill-db|start-db|link-down|link-up|kill-redis-primary|start-redis|kill-app|start-app|sql|ctl|exec)
    load_env
    "cmd_${command//-/_}" "${args[@]}" ;;
  *)
    awk 'NR > 1 && /^#/ { sub(/^# ?/, ""); print; next } NR > 1 { exit }' "$0" >&2
    exit 2 ;;
esac
exit 0
