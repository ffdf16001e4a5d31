# shellcheck shell=bash
# scripts/cluster.sh: the network — the bridge, a namespace per host and its
# link — put up and taken down, and what an earlier run left of it.

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

# What exists of our bridge, namespaces and links: " name name ...", or
# nothing.
leftovers() {
  local h found=""
  ip link show "$bridge" >/dev/null 2>&1 && found+=" $bridge"
  for h in "${hosts[@]}"; do
    ip netns list 2>/dev/null | grep -qw "^$(ns "$h")" && found+=" $(ns "$h")"
    ip link show "$(ns "$h")" >/dev/null 2>&1 && found+=" link:$(ns "$h")"
  done
  echo "$found"
}
