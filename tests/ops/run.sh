#!/usr/bin/env bash
# Production-operation checks, run by tests/run.sh while the integration
# stack is up (its MariaDB and Redis serve the handlers started here):
#
#   install layout, systemd-analyze verify of every unit, nginx -t of the
#   production site, that site serving a handler started by
#   systemd-socket-activate, a pool restarted three times under load with no
#   failed request, the token-issue and sign-up rate limits, token pools refusing a weak
#   secret (and the others needing none), and uninstall.
#
#   tests/ops/run.sh STATE_DIR   -> "PASS name"/"FAIL name" lines, then
#                                   "ops: N passed, N failed"
set -uo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
state=$1
port=${OPS_HTTP_PORT:-18095}
metrics_port=${OPS_METRICS_PORT:-18096}
tmp=$(mktemp -d /tmp/concert-ops.XXXXXX)
chmod 755 "$tmp"
mkdir -p "$tmp/sock" "$tmp/log" "$tmp/nginx" "$tmp/cache"
passed=0
failed=0
pids=()

cleanup() {
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
  [ -n "${KEEP_TMP:-}" ] && echo "kept $tmp" || rm -rf "$tmp"
}
trap cleanup EXIT

# check NAME COMMAND...: runs one check, keeps its output for a failure.
check() {
  local name=$1
  shift
  if "$@" >"$tmp/$name.out" 2>&1; then
    echo "PASS $name"
    head -n 1 "$tmp/$name.out" | sed 's/^/    /'
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    sed 's/^/    /' "$tmp/$name.out" | tail -n 25
    failed=$((failed + 1))
  fi
}

export CONCERT_DB_URL="unix://$state/mysql-run/mysqld.sock"
export CONCERT_REDIS_SOCKET="$state/run/redis.sock"
export CONCERT_TOKEN_SECRET
CONCERT_TOKEN_SECRET=$(cat "$state/token-secret")
export CONCERT_WORKERS=2
sql() { mariadb --socket="$state/mysql-run/mysqld.sock" -uroot -N concert "$@"; }
prefix=$tmp/p/usr
etc=$tmp/p/etc
handlers=$(cd "$root/bin" && ls | grep -vE '^(concertctl|concert-keeper)$')

install_layout() {
  PREFIX=$prefix SYSCONFDIR=$etc "$root/scripts/install.sh" install
  for h in $handlers; do test -x "$prefix/lib/concert/handlers/$h" || { echo "missing handler $h"; return 1; }; done
  test -x "$prefix/bin/concertctl" && test -x "$prefix/bin/concert-keeper" && test -x "$prefix/lib/concert/migrate.sh"
  test -f "$prefix/share/concert/sql/001_schema.sql"
  test -f "$prefix/share/concert/sql/procedures/pay_order.sql" && test -f "$prefix/share/concert/sql/sql_rules.def"
  # The installed migrate.sh finds its rules and procedures (and recreates
  # them on the running stack, which a serving pool never notices).
  "$prefix/lib/concert/migrate.sh" --socket="$state/mysql-run/mysqld.sock" -uroot
  for doc in README OPERATIONS SCALING RELIABILITY; do
    test -f "$prefix/share/doc/concert/$doc.md" || { echo "missing doc $doc.md"; return 1; }
  done
  grep -Eq '^CONCERT_TOKEN_SECRET=[0-9a-f]{64}$' "$etc/concert/concert.env" || { echo "no generated secret"; return 1; }
  grep -q "ExecStart=$prefix/lib/concert/handlers/%i" "$etc/systemd/system/concert-handler@.service"
  for h in $handlers; do
    grep -q "concert-handler@$h.socket" "$etc/systemd/system/concert.target" || { echo "target misses $h"; return 1; }
  done
}

units_verify() {
  local units=(concert-sweep.service concert-sweep.timer concert-keeper.service concert.target)
  for h in $handlers; do units+=("concert-handler@$h.socket" "concert-handler@$h.service"); done
  cd "$etc/systemd/system" || return 1
  local out
  out=$(systemd-analyze verify "${units[@]}" 2>&1)
  local rc=$?
  echo "systemd-analyze verify ${#units[@]} units: exit $rc"
  [ -n "$out" ] && echo "$out"
  [ $rc -eq 0 ] && [ -z "$out" ]
}

# The installed production site, with its machine paths moved into $tmp,
# wrapped in a minimal main configuration.
production_nginx_config() {
  sed -e "s|listen 80;|listen 127.0.0.1:$port;|" -e '/listen \[::\]:80;/d' -e "s|listen 127.0.0.1:9180;|listen 127.0.0.1:$metrics_port;|" \
    -e "s|/var/log/nginx|$tmp/log|g" -e "s|/run/concert|$tmp/sock|g" -e "s|/var/cache/nginx|$tmp/cache|g" \
    "$etc/nginx/sites-available/concert.conf" >"$tmp/nginx/site.conf"
  cat >"$tmp/nginx/nginx.conf" <<EOF
$([ "$(id -u)" -eq 0 ] && echo "user root root;")
pid $tmp/nginx/nginx.pid;
error_log $tmp/log/main-error.log;
daemon off;
events { worker_connections 1024; }
http {
    client_body_temp_path $tmp/nginx/body; proxy_temp_path $tmp/nginx/proxy;
    fastcgi_temp_path $tmp/nginx/fastcgi; uwsgi_temp_path $tmp/nginx/uwsgi; scgi_temp_path $tmp/nginx/scgi;
    include $tmp/nginx/site.conf;
}
EOF
  nginx -t -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/log/main-error.log"
}

start_production_nginx() {
  nginx -p "$tmp/nginx" -c "$tmp/nginx/nginx.conf" -e "$tmp/log/main-error.log" &
  pids+=($!)
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && return 0; sleep 0.1; done
  return 1
}

socket_activation() {
  (umask 000 && exec systemd-socket-activate -l "$tmp/sock/healthz.sock" -E CONCERT_DB_URL -E CONCERT_REDIS_SOCKET \
    -E CONCERT_TOKEN_SECRET -E CONCERT_WORKERS "$root/bin/healthz" 2>"$tmp/log/healthz.log") &
  pids+=($!)
  for _ in $(seq 50); do [ -S "$tmp/sock/healthz.sock" ] && break; sleep 0.1; done
  local headers body
  body=$(curl -s -D "$tmp/headers" "http://127.0.0.1:$port/healthz")
  echo "GET /healthz through the production site -> $body"
  [ "$body" = '{"status":"ok","db":"ok","redis":"ok"}' ] || return 1
  for h in X-Request-Id X-Content-Type-Options X-Frame-Options Content-Security-Policy Referrer-Policy; do
    grep -qi "^$h:" "$tmp/headers" || { echo "missing header $h"; return 1; }
  done
  # One JSON access-log line for it, with the request id the client saw.
  local rid
  rid=$(grep -i '^X-Request-Id:' "$tmp/headers" | tr -d '\r' | awk '{print $2}')
  grep -q "\"requestId\":\"$rid\"" "$tmp/log/concert.access.json" || { echo "request $rid not in the JSON access log"; return 1; }
  grep "$rid" "$tmp/log/concert.access.json"
}

# Load from 8 loops of curl through nginx while the pool is restarted three
# times; every request must succeed. The load is charges (a write) by one
# user with their secret, made in the database here: sign-up itself is rate
# limited on the production site.
restart_under_load() {
  local user=00000000-0000-7000-8000-0000000000ff secret
  secret="us_$(printf 'ops%.0s' $(seq 14))A"  # 43 characters of base64url
  sql -e "INSERT INTO users (id, name, secret_hash) VALUES ('$user', 'ops', UNHEX(SHA2('$secret', 256)))"
  "$root/build/socket_holder" "$tmp/sock/users_charge.sock" -- "$root/bin/users_charge" 2>"$tmp/log/users_charge.log" &
  local holder=$!
  pids+=($holder)
  for _ in $(seq 50); do [ -S "$tmp/sock/users_charge.sock" ] && break; sleep 0.1; done
  local end=$((SECONDS + 6)) i loops=()
  for i in $(seq 8); do
    (while [ $SECONDS -lt $end ]; do
      curl -s -o /dev/null -m 10 -w '%{http_code}\n' -X POST -H 'Content-Type: application/json' \
        -H "Authorization: Bearer $secret" "http://127.0.0.1:$port/api/v1/users/$user/charge" -d '{"amount":1}'
    done >"$tmp/load.$i") &
    loops+=($!)
  done
  for _ in 1 2 3; do
    sleep 1.5
    kill -HUP "$holder"
  done
  wait "${loops[@]}"
  local sent ok
  sent=$(cat "$tmp"/load.* | wc -l)
  ok=$(cat "$tmp"/load.* | grep -c '^200$')
  local balance
  balance=$(sql -e "SELECT balance FROM users WHERE id = '$user'")
  echo "restarted the users_charge pool 3 times under load: sent $sent, succeeded $ok, failed $((sent - ok)); balance $balance"
  cat "$tmp"/load.* | sort | uniq -c
  [ "$(grep -c 'serving with' "$tmp/log/users_charge.log")" -ge 4 ] ||
    { echo "pool did not restart:"; grep -v ' POST ' "$tmp/log/users_charge.log" | tail -n 12; return 1; }
  [ "$ok" -eq "$sent" ] || { grep -v ' 200 ' "$tmp/log/users_charge.log" | tail -n 12; }
  # Every answered charge applied once, none twice.
  [ "$sent" -ge 100 ] && [ "$ok" -eq "$sent" ] && [ "$balance" -eq "$ok" ]
}

# burst HANDLER PATH BODY N STATUS BURST RATE: N requests at once from one
# address to a route started here whose limit is RATE a second with bursts
# of BURST; at least BURST and at most what the limit allowed in the time
# they took must reach the handler (answered STATUS), every other one 429 in
# the contract's shape.
burst() {
  local handler=$1 path=$2 body=$3 n=$4 status=$5 burst=$6 rate=$7 i start elapsed_ms max
  "$root/build/socket_holder" "$tmp/sock/$handler.sock" -- "$root/bin/$handler" 2>"$tmp/log/$handler.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -S "$tmp/sock/$handler.sock" ] && break; sleep 0.1; done
  start=$(date +%s%3N)
  for i in $(seq "$n"); do
    curl -s -o "$tmp/$handler.$i" -D "$tmp/$handler.$i.headers" -w '%{http_code}\n' -X POST \
      -H 'Content-Type: application/json' "http://127.0.0.1:$port$path" -d "$body"
  done >"$tmp/$handler.codes"
  elapsed_ms=$(($(date +%s%3N) - start))
  # The burst, plus what the rate refilled while the requests went out (a
  # busy machine sends them more slowly), plus one for the refill in flight.
  max=$((burst + rate * elapsed_ms / 1000 + 1))
  local limited handled
  limited=$(grep -c '^429$' "$tmp/$handler.codes")
  handled=$(grep -c "^$status\$" "$tmp/$handler.codes")
  echo "$n requests to $path from one address at once in $elapsed_ms ms: $handled reached the handler" \
    "(allowed $burst..$max), $limited got 429"
  [ "$handled" -ge "$burst" ] && [ "$handled" -le "$max" ] && [ "$limited" -gt 0 ] && [ $((limited + handled)) -eq "$n" ] &&
    grep -q '"statusCode":429,"message":"Too many requests, slow down","error":"Too Many Requests"' "$tmp/$handler".[0-9]* &&
    grep -qi '^Retry-After: 1' "$tmp/$handler".*.headers && grep -qi '^X-Request-Id: ' "$tmp/$handler".*.headers
}

# Token issue: 5 a second per address, bursts of 20.
rate_limit() { burst queue_token_create /api/v1/queue/token '{}' 60 400 20 5; }

# Sign-up is limited per client address too: one a second, bursts of 10.
signup_rate_limit() { burst users_create /api/v1/users '{"name":"burst"}' 30 201 10 1; }

# Every pool that signs or verifies tokens (its main passes
# require_token_secret) refuses to start with a guessable token secret rather
# than issue or accept forgeable tokens; the pools that touch no token start
# without any secret at all.
token_pools() { grep -l 'require_token_secret' "$root"/handlers/*.cpp | xargs -n1 basename | sed 's/\.cpp$//'; }

weak_secret_is_refused() {
  local name rc refused=0 total=0
  for name in $(token_pools); do
    total=$((total + 1))
    rc=0
    CONCERT_TOKEN_SECRET=short CONCERT_LISTEN="$tmp/sock/weak.sock" timeout 5 "$root/bin/$name" 2>"$tmp/weak.err" || rc=$?
    if [ $rc -eq 2 ] && grep -q 'CONCERT_TOKEN_SECRET must be set' "$tmp/weak.err" && [ ! -S "$tmp/sock/weak.sock" ]; then
      refused=$((refused + 1))
    else
      echo "$name started (exit $rc):"; cat "$tmp/weak.err"
    fi
  done
  echo "$refused of $total token pools refused a 5-character secret"
  [ "$total" -ge 9 ] && [ "$refused" -eq "$total" ]
}

pools_without_tokens_need_no_secret() {
  local name pid served=0 total=0 sock="$tmp/sock/nosecret.sock"
  for name in $(ls "$root"/handlers/*.cpp | xargs -n1 basename | sed 's/\.cpp$//' | grep -vxF "$(token_pools)"); do
    total=$((total + 1))
    rm -f "$sock"
    env -u CONCERT_TOKEN_SECRET CONCERT_LISTEN="$sock" CONCERT_WORKERS=1 "$root/bin/$name" 2>"$tmp/nosecret.err" &
    pid=$!
    for _ in $(seq 50); do [ -S "$sock" ] && break; sleep 0.1; done
    [ -S "$sock" ] && served=$((served + 1)) || { echo "$name did not start:"; cat "$tmp/nosecret.err"; }
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  echo "$served of $total pools without tokens started with no secret"
  [ "$total" -ge 3 ] && [ "$served" -eq "$total" ]
}

# The installed site's internal listener: loopback only, /metrics from the
# metrics pool (here under socket_holder, counting into its own directory)
# in a format promtool accepts, the dashboard and its chart library from the
# installed files; the public site answers 404 to /metrics.
metrics_listener() {
  local site=$etc/nginx/sites-available/concert.conf base=http://127.0.0.1:$metrics_port
  [ "$(grep -c 'listen 127.0.0.1:9180;' "$site")" = 1 ] || { echo "no loopback metrics listener in $site"; return 1; }
  mkdir -p "$tmp/metrics"
  CONCERT_METRICS_DIR=$tmp/metrics "$root/build/socket_holder" "$tmp/sock/metrics.sock" -- "$root/bin/metrics" \
    2>"$tmp/log/metrics.log" &
  pids+=($!)
  for _ in $(seq 50); do [ -S "$tmp/sock/metrics.sock" ] && break; sleep 0.1; done
  curl -s "$base/metrics" >/dev/null
  curl -s "$base/metrics" >"$tmp/metrics.txt"
  promtool check metrics <"$tmp/metrics.txt" || { echo "promtool refused it"; return 1; }
  grep -q '^concert_http_requests_total{handler="metrics",status="200"} 1$' "$tmp/metrics.txt" ||
    { echo "the metrics pool did not count its first scrape"; grep requests_total "$tmp/metrics.txt"; return 1; }
  local code
  for path in / /dashboard.js /dashboard.css /uPlot.iife.min.js /uPlot.min.css; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$base$path")
    [ "$code" = 200 ] || { echo "GET $path on the internal listener -> $code"; return 1; }
  done
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")
  echo "internal /metrics: $(wc -l <"$tmp/metrics.txt") lines, promtool OK; public /metrics -> $code"
  [ "$code" = 404 ]
}

# /docs and the API description come from the installed files (no npm on a
# production host): the page, both Swagger UI files, the document itself.
docs_from_install() {
  local base=http://127.0.0.1:$port code
  for path in /docs /docs/docs.js /docs/swagger-ui-bundle.js /docs/swagger-ui.css /api/v1/openapi.json; do
    code=$(curl -s -o /dev/null -w '%{http_code} %{content_type}' "$base$path")
    echo "GET $path -> $code"
    case "$code" in 200*) ;; *) return 1 ;; esac
  done
  curl -s "$base/api/v1/openapi.json" | cmp - "$root/web/openapi.json" || { echo "served document differs from web/openapi.json"; return 1; }
  test -f "$prefix/share/concert/web/node_modules/swagger-ui-dist/LICENSE" || { echo "Swagger UI's LICENSE not installed"; return 1; }
}

uninstall_leaves_config_only() {
  PREFIX=$prefix SYSCONFDIR=$etc "$root/scripts/install.sh" uninstall
  local left
  left=$(find "$tmp/p" -type f | sed "s|$tmp/p||")
  echo "left: $left"
  [ "$left" = "/etc/concert/concert.env" ]
}

check install_layout install_layout
check units_verify units_verify
check production_nginx_config production_nginx_config
if start_production_nginx; then
  check socket_activation socket_activation
  check docs_from_install docs_from_install
  check metrics_listener metrics_listener
  check restart_under_load restart_under_load
  check rate_limit rate_limit
  check signup_rate_limit signup_rate_limit
else
  echo "FAIL production nginx did not start"; cat "$tmp/log/main-error.log"
  failed=$((failed + 6))
fi
check weak_secret_is_refused weak_secret_is_refused
check pools_without_tokens_need_no_secret pools_without_tokens_need_no_secret
check uninstall_leaves_config_only uninstall_leaves_config_only
echo "ops: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
