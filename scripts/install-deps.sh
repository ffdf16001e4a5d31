#!/usr/bin/env bash
# Installs the Debian packages the build, the local stack and the tests need,
# skipping those already installed. Needs root only when something is missing.
set -euo pipefail

packages=(
  g++ make                                  # toolchain
  libfcgi-dev libmysqlcppconn-dev libhiredis-dev libcjson-dev libssl-dev  # libraries
  cpputest libcurl4-openssl-dev systemd     # tests (systemd: systemd-analyze, systemd-socket-activate)
  nginx mariadb-server mariadb-client redis-server redis-tools curl  # the local stack
  chromium                                  # browser tests (driven by playwright-core from npm)
  clang libclang-rt-14-dev                  # libFuzzer targets
  wrk gnuplot-nox jq                        # make bench: load, chart, report
  prometheus                                # tests: promtool checks GET /metrics (the server is not started)
  galera-4 rsync iproute2 redis-sentinel    # make cluster: Galera nodes (SST by rsync, which uses ss), namespaces, Sentinels
)
# Node.js for the browser tests: the machine's own if it has one, else Debian's.
command -v node >/dev/null || packages+=(nodejs npm)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: need root to install packages; run: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
