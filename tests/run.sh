#!/usr/bin/env bash
# Runs every suite, in order: unit tests, the layering check, the one-rule
# check, fuzzing, the room's rules against a Redis of their own, then, on a
# stack of their own (other ports and a temporary state directory, so `make
# run` can go on beside it), integration tests, nginx's view of the
# upstreams, production-operation checks, browser tests, fault injection,
# and last a small crowd through a room's opening (a stack of its own too).
#
#   tests/run.sh          every suite (make test)
#   tests/run.sh check    unit, layers and one_rule only: seconds, no servers (make check)
#   tests/run.sh itest    the stack and the integration tests only (make itest);
#                         ONLY=Group, Group.* or Group.Name picks tests
#
# Every suite ends with one line "NAME: N passed, N failed" (suite() below
# reads it; CppUTest's and node's own summaries are turned into it), and the
# run ends with their sum: "N passed, N failed". Full logs and screenshots:
# build/test-logs/.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
mode=${1:-all}
case "$mode" in all|check|itest) ;; *) echo "usage: $0 [all|check|itest]" >&2; exit 2 ;; esac
passed=0
failed=0
logs=$root/build/test-logs
rm -rf "$logs"
mkdir -p "$logs"

# suite NAME COMMAND...: runs one suite, its output on the screen and in
# build/test-logs/NAME.txt, and adds its "NAME: N passed, N failed" line to
# the totals. A suite without that line, one that counted nothing, or one
# that exited non-zero with no failure counted crashed: one failure more.
suite() {
  local name=$1 rc line p f
  shift
  echo "== $name"
  set +e
  "$@" 2>&1 | tee "$logs/$name.txt"
  rc=${PIPESTATUS[0]}
  set -e
  line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed$" "$logs/$name.txt" | tail -1 || true)
  p=$(echo "$line" | awk '{print $2}')
  f=$(echo "$line" | awk '{print $4}')
  p=${p:-0}
  f=${f:-0}
  if [ -z "$line" ] || [ $((p + f)) -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; }; then
    echo "$name: ended without a result of its own (exit $rc): counted as one failure"
    f=$((f + 1))
  fi
  passed=$((passed + p))
  failed=$((failed + f))
}

# cpputest NAME COMMAND...: a CppUTest run (COMMAND gets -v), its whole
# output in build/test-logs/NAME-full.txt; prints its failures and
# "NAME: N passed, N failed" from CppUTest's own summary.
cpputest() {
  local name=$1 out=$logs/$1-full.txt rc=0 ran failures
  shift
  "$@" -v >"$out" 2>&1 || rc=$?
  grep -E '^(OK|Errors)|Failure|error' "$out" || true
  ran=$(grep -Eo '[0-9]+ ran' "$out" | tail -1 | grep -Eo '[0-9]+' || true)
  failures=$(grep -Eo '^Errors \([0-9]+ failures' "$out" | grep -Eo '[0-9]+' || true)
  ran=${ran:-0}
  failures=${failures:-0}
  echo "$name: $((ran - (failures > ran ? ran : failures))) passed, $failures failed"
  return $rc
}

# The pools close a connection without waiting for nginx once the whole
# request is read: nginx must never have seen one cut short meanwhile.
upstream_check() {
  if ! ls "$state"/log/*nginx-error.log >/dev/null 2>&1; then
    echo "FAIL no nginx error log to look at in $state/log"
    echo "upstream: 0 passed, 1 failed"
  elif grep -hE "upstream prematurely closed|reset by peer|Broken pipe" "$state"/log/*nginx-error.log \
    >"$logs/upstream-errors.txt"; then
    echo "FAIL nginx saw upstream connections cut short during the integration tests:"
    head -n 5 "$logs/upstream-errors.txt"
    echo "upstream: 0 passed, 1 failed"
  else
    echo "PASS no upstream connection cut short in nginx's error logs"
    echo "upstream: 1 passed, 0 failed"
  fi
}

# The booking page in Debian's chromium (node --test, TAP); playwright-core
# comes pinned from tests/browser/package-lock.json.
browser() {
  (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >"$logs/npm.txt" 2>&1) ||
    { cat "$logs/npm.txt"; echo "browser: 0 passed, 1 failed"; return 1; }
  local out=$logs/browser-tap.txt rc=0
  CONCERT_TEST_URL="http://127.0.0.1:$http_port" CONCERT_TEST_STATE="$state" CONCERT_TEST_REDIS_PORT="$redis_port" \
    CONCERT_TEST_METRICS_URL="http://127.0.0.1:$metrics_port" SCREENSHOT_DIR="$logs/screenshots" timeout 600 node --test --test-reporter=tap tests/browser/ >"$out" 2>&1 || rc=$?
  grep -E '^(not )?ok ' "$out" || true
  echo "browser: $(grep -Eo '^# pass [0-9]+' "$out" | grep -Eo '[0-9]+' || echo 0) passed," \
    "$(grep -Eo '^# fail [0-9]+' "$out" | grep -Eo '[0-9]+' || echo 0) failed"
  return $rc
}

# The API description: @redocly/cli lints web/openapi.json, and
# tests/api/validate.mjs checks every response the integration tests
# received (build/test-logs/responses.jsonl) against it. Both pinned in
# tests/api/package-lock.json.
api() {
  (cd tests/api && npm ci --no-audit --no-fund --loglevel=error >"$logs/npm-api.txt" 2>&1) ||
    { cat "$logs/npm-api.txt"; echo "api: 0 passed, 1 failed"; return 1; }
  local p=0 f=0 line
  if tests/api/node_modules/.bin/redocly lint --config tests/api/redocly.yaml --format=stylish web/openapi.json >"$logs/openapi-lint.txt" 2>&1; then
    echo "PASS redocly lint web/openapi.json: $(grep -Eo 'no errors|Woohoo.*' "$logs/openapi-lint.txt" | head -1)"
    p=$((p + 1))
  else
    echo "FAIL redocly lint web/openapi.json:"; tail -n 30 "$logs/openapi-lint.txt"
    f=$((f + 1))
  fi
  node tests/api/validate.mjs web/openapi.json "$logs/responses.jsonl" >"$logs/api-validate.txt" 2>&1 || true
  cat "$logs/api-validate.txt"
  line=$(grep -E '^validate: [0-9]+ passed, [0-9]+ failed$' "$logs/api-validate.txt" || echo "validate: 0 passed, 1 failed")
  p=$((p + $(echo "$line" | awk '{print $2}')))
  f=$((f + $(echo "$line" | awk '{print $4}')))
  echo "api: $p passed, $f failed"
  [ "$f" -eq 0 ]
}

# ONLY (make itest) as CppUTest's strict group and name options.
only_args() {
  local only=${ONLY:-}
  only=${only%.\*}
  [ -n "$only" ] || return 0
  if [[ ! "$only" =~ ^[A-Za-z0-9_]+(\.[A-Za-z0-9_]+)?$ ]]; then
    echo "ONLY must be Group, Group.* or Group.Name, not '$ONLY'" >&2
    return 1
  fi
  if [[ "$only" == *.* ]]; then echo "-sg ${only%%.*} -sn ${only#*.}"; else echo "-sg $only"; fi
}
only=
if [ "$mode" = itest ]; then only=$(only_args) || exit 2; fi

summary() {
  echo "$passed passed, $failed failed"
  [ "$failed" -eq 0 ]
}

if [ "$mode" != itest ]; then
  suite unit cpputest unit build/unit_tests
  suite layers tests/layers.sh
  suite one_rule tests/one_rule.sh
fi
if [ "$mode" = check ]; then summary; exit; fi
if [ "$mode" = all ]; then
  echo "(fuzzing: ${FUZZ_SECONDS:-20} s per target)"
  suite fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-20}" fuzz/run.sh
  suite room cpputest room build/room_tests
fi

echo "== the integration stack"
state=$(mktemp -d /tmp/concert-test.XXXXXX)
chmod 755 "$state"
http_port=${TEST_HTTP_PORT:-18080}
second_http_port=${TEST_SECOND_HTTP_PORT:-18081}
metrics_port=${TEST_METRICS_PORT:-18090}  # the second instance's is one more
db_port=${TEST_DB_PORT:-23306}
redis_port=${TEST_REDIS_PORT:-26379}
sentinel_port=${TEST_SENTINEL_PORT:-26389}
stack_pid=
finish() {
  if [ -n "$stack_pid" ]; then
    kill -TERM "$stack_pid" 2>/dev/null || true
    wait "$stack_pid" 2>/dev/null || true
  fi
  cp -r "$state/log" "$logs/stack" 2>/dev/null || true
  rm -rf "$state"
}
trap finish EXIT

scripts/stack.sh run --state "$state" --http-port "$http_port" --metrics-port "$metrics_port" --db-port "$db_port" \
  --redis-port "$redis_port" --second-http-port "$second_http_port" --sentinel-port "$sentinel_port" --workers 2 --ephemeral --ready-file "$state/ready" \
  >"$logs/stack.txt" 2>&1 &
stack_pid=$!
deadline=$((SECONDS + 180))
while [ ! -e "$state/ready" ]; do
  if ! kill -0 "$stack_pid" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
    echo "the test stack did not start:"; cat "$logs/stack.txt"
    failed=$((failed + 1))
    echo "$passed passed, $failed failed"
    exit 1
  fi
  sleep 0.2
done

suite integration cpputest integration env CONCERT_TEST_URL="http://127.0.0.1:$http_port" \
  CONCERT_TEST_RESPONSE_LOG="$logs/responses.jsonl" CONCERT_TEST_METRICS_URL="http://127.0.0.1:$metrics_port" \
  CONCERT_TEST_URL_B="http://127.0.0.1:$second_http_port" CONCERT_TEST_STATE="$state" \
  CONCERT_TEST_REDIS_PORT="$redis_port" CONCERT_TEST_DB_PORT="$db_port" CONCERT_TEST_STACK="$root/scripts/stack.sh" \
  timeout 900 build/integration_tests $only
if [ "$mode" = itest ]; then summary; exit; fi
suite api api
suite upstream upstream_check
suite ops tests/ops/run.sh "$state"
suite browser browser
echo "(fault injection under load: ${FAULT_SECONDS:-36} s)"
suite faults tests/faults/run.sh "$state" "http://127.0.0.1:$http_port" "$db_port" "$redis_port" \
  "http://127.0.0.1:$second_http_port" "$sentinel_port"
echo "(a crowd of ${CROWD_TEST_CLIENTS:-20000} through a room's opening, on a stack of its own: about 2 minutes)"
suite crowd tests/crowd/run.sh

summary
