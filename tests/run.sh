#!/usr/bin/env bash
# Runs the unit tests, then the integration tests against a stack of their
# own (other ports and a temporary state directory, so `make run` can go on
# beside it), and ends with one line: "N passed, N failed".
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
passed=0
failed=0
logs=$root/build/test-logs
rm -rf "$logs"
mkdir -p "$logs"

# Adds a CppUTest run's counts from its output file to the totals.
count() {
  local out=$1 rc=$2 ran failures
  ran=$(grep -Eo '[0-9]+ ran' "$out" | tail -1 | grep -Eo '[0-9]+' || true)
  failures=$(grep -Eo '^Errors \([0-9]+ failures' "$out" | grep -Eo '[0-9]+' || true)
  ran=${ran:-0}
  failures=${failures:-0}
  if [ "$ran" -eq 0 ] || { [ "$rc" -ne 0 ] && [ "$failures" -eq 0 ]; }; then
    failures=$((failures + 1))  # the runner itself crashed or ran nothing
  fi
  passed=$((passed + ran - (failures > ran ? ran : failures)))
  failed=$((failed + failures))
}

echo "== unit tests"
set +e
build/unit_tests -v >"$logs/unit.txt" 2>&1
rc=$?
set -e
grep -E '^(OK|Errors)|Failure|error' "$logs/unit.txt" || true
count "$logs/unit.txt" $rc

# Adds a "<what>: N passed, N failed" summary line from a file to the totals;
# a missing line counts as one failure.
add_summary() {
  local line
  line=$(grep -E "^$2: [0-9]+ passed, [0-9]+ failed$" "$1" || echo "$2: 0 passed, 1 failed")
  passed=$((passed + $(echo "$line" | awk '{print $2}')))
  failed=$((failed + $(echo "$line" | awk '{print $4}')))
}

echo "== fuzzing (${FUZZ_SECONDS:-20} s per target)"
set +e
FUZZ_SECONDS=${FUZZ_SECONDS:-20} fuzz/run.sh 2>&1 | tee "$logs/fuzz.txt"
set -e
add_summary "$logs/fuzz.txt" fuzz

echo "== integration tests"
state=$(mktemp -d /tmp/concert-test.XXXXXX)
chmod 755 "$state"
http_port=${TEST_HTTP_PORT:-18080}
second_http_port=${TEST_SECOND_HTTP_PORT:-18081}
redis_port=${TEST_REDIS_PORT:-26379}
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

scripts/stack.sh run --state "$state" --http-port "$http_port" --db-port "${TEST_DB_PORT:-23306}" \
  --redis-port "$redis_port" --second-http-port "$second_http_port" --workers 2 --ephemeral --ready-file "$state/ready" \
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

set +e
CONCERT_TEST_URL="http://127.0.0.1:$http_port" CONCERT_TEST_URL_B="http://127.0.0.1:$second_http_port" \
  CONCERT_TEST_STATE="$state" \
  CONCERT_TEST_REDIS_PORT="$redis_port" CONCERT_TEST_STACK="$root/scripts/stack.sh" \
  timeout 900 build/integration_tests -v >"$logs/integration.txt" 2>&1
rc=$?
set -e
grep -E '^(OK|Errors)|Failure|error' "$logs/integration.txt" || true
count "$logs/integration.txt" $rc

# The pools close a connection without waiting for nginx once the whole
# request is read: nginx must never have seen one cut short meanwhile.
if ! ls "$state"/log/*nginx-error.log >/dev/null 2>&1; then
  echo "FAIL no nginx error log to look at in $state/log"
  failed=$((failed + 1))
elif grep -hE "upstream prematurely closed|reset by peer|Broken pipe" "$state"/log/*nginx-error.log \
  >"$logs/upstream-errors.txt"; then
  echo "FAIL nginx saw upstream connections cut short during the integration tests:"
  head -n 5 "$logs/upstream-errors.txt"
  failed=$((failed + 1))
else
  echo "PASS no upstream connection cut short in nginx's error logs"
  passed=$((passed + 1))
fi

echo "== production operation checks"
set +e
tests/ops/run.sh "$state" 2>&1 | tee "$logs/ops.txt"
set -e
add_summary "$logs/ops.txt" ops

echo "== browser tests"
set +e
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error >"$logs/npm.txt" 2>&1) &&
  CONCERT_TEST_URL="http://127.0.0.1:$http_port" CONCERT_TEST_STATE="$state" CONCERT_TEST_REDIS_PORT="$redis_port" \
  SCREENSHOT_DIR="$logs/screenshots" timeout 600 node --test --test-reporter=tap tests/browser/ >"$logs/browser.txt" 2>&1
set -e
grep -E '^(not )?ok ' "$logs/browser.txt" || cat "$logs/npm.txt"
browser_pass=$(grep -Eo '^# pass [0-9]+' "$logs/browser.txt" | grep -Eo '[0-9]+' || echo 0)
browser_fail=$(grep -Eo '^# fail [0-9]+' "$logs/browser.txt" | grep -Eo '[0-9]+' || echo 0)
[ "$browser_pass" -eq 0 ] && [ "$browser_fail" -eq 0 ] && browser_fail=1  # nothing ran: a failure
passed=$((passed + browser_pass))
failed=$((failed + browser_fail))

echo "== fault injection under load (${FAULT_SECONDS:-36} s)"
set +e
tests/faults/run.sh "$state" "http://127.0.0.1:$http_port" "${TEST_DB_PORT:-23306}" "$redis_port" 2>&1 | tee "$logs/faults.txt"
set -e
add_summary "$logs/faults.txt" faults

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
