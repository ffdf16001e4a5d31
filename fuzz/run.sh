#!/usr/bin/env bash
# Runs every libFuzzer target for FUZZ_SECONDS each (default 20; `make fuzz`
# gives 300) from its committed seed corpus in fuzz/corpus/<target>/, on a
# scratch copy so the seeds stay as committed. A crash leaves its input in
# build/test-logs/fuzz/ — add it to the corpus as a regression seed once fixed.
# Ends with "fuzz: N passed, N failed".
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
seconds=${FUZZ_SECONDS:-20}
out=$root/build/test-logs/fuzz
mkdir -p "$out"
passed=0
failed=0
for bin in "$root"/build/fuzz/*_fuzz; do
  name=$(basename "$bin" _fuzz)
  work=$(mktemp -d)
  cp "$root/fuzz/corpus/$name/"* "$work/" 2>/dev/null
  "$bin" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -max_len=16384 \
    -artifact_prefix="$out/$name-" "$work" >"$out/$name.log" 2>&1
  rc=$?
  runs=$(grep -Eo 'Done [0-9]+ runs in [0-9]+ second' "$out/$name.log" | tail -1)
  if [ $rc -eq 0 ]; then
    echo "PASS $name: ${runs:-no summary} ($(ls "$work" | wc -l) corpus entries)"
    passed=$((passed + 1))
  else
    echo "FAIL $name (exit $rc)"
    grep -E 'ERROR|SUMMARY|Test unit written' "$out/$name.log" | head -5 | sed 's/^/    /'
    failed=$((failed + 1))
  fi
  rm -rf "$work"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
