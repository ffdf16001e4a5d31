#!/usr/bin/env bash
# The layers of shared/, checked by every `make test` so that they stay true:
#
#   base/     error, http, json, config, log, uuid, text, crypto: includes only
#             base/ and system headers, never a store's client or FastCGI
#   rules/    pure domain rules: includes only base/, rules/ and the C++
#             standard library
#   store/    MariaDB, Redis and what is built on them: never runtime/ or FastCGI
#   runtime/  the FastCGI pool: may use all of the above
#
# Inside shared/ every include names its layer ("rules/holds.hpp"); nothing
# anywhere includes shared/ by a relative path (the build passes -Ishared),
# and no handler includes concertctl's own code (tools/concertctl/).
#
#   tests/layers.sh   -> "PASS ..."/"FAIL ..." lines, then "layers: N passed, N failed"
#
# The last checks plant a violation of each kind in a scratch tree and make
# sure the checker finds it, so a broken checker cannot pass quietly.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0

# The include targets of the files under DIR (with their quotes or angle
# brackets), one "file: target" a line.
includes() {
  local dir=$1
  [ -d "$dir" ] || return 0
  find "$dir" -name '*.[ch]pp' -print0 | sort -z |
    xargs -0 -r grep -HE '^[[:space:]]*#[[:space:]]*include' |
    sed -E 's/^([^:]+):[[:space:]]*#[[:space:]]*include[[:space:]]*(["<][^">]*[">]).*/\1: \2/'
}

# violations TREE: every include that breaks a rule, one a line, as
# "RULE file: target".
violations() {
  local tree=$1
  includes "$tree/shared/base" | grep -vE ': ("base/|<)' | sed 's/^/base-only-base /'
  includes "$tree/shared/base" | grep -E ': <(fcgi|cppconn/|mysql|hiredis/)' | sed 's/^/base-no-store-client /'
  includes "$tree/shared/rules" | grep -vE ': ("(base|rules)/|<[a-z_]+>$)' | sed 's/^/rules-only-base-and-std /'
  includes "$tree/shared/store" | grep -E ': ("runtime/|<fcgi)' | sed 's/^/store-not-runtime /'
  includes "$tree/shared" | grep -E ': "' | grep -vE ': "(base|rules|store|runtime)/' | sed 's/^/shared-names-the-layer /'
  for d in handlers tools tests fuzz bench; do
    includes "$tree/$d" | grep -E ': "(\.\./)+shared/' | sed 's/^/no-relative-shared /'
  done
  includes "$tree/handlers" | grep -E ': "(\.\./)*(tools/)?concertctl/' | sed 's/^/handlers-not-concertctl /'
  return 0
}

report() {
  local name=$1 ok=$2 detail=$3
  if [ "$ok" = yes ]; then
    echo "PASS $name"
    passed=$((passed + 1))
  else
    echo "FAIL $name"
    [ -n "$detail" ] && echo "$detail" | sed 's/^/    /' | head -20
    failed=$((failed + 1))
  fi
}

found=$(violations "$root")
for rule in base-only-base base-no-store-client rules-only-base-and-std store-not-runtime shared-names-the-layer \
  no-relative-shared handlers-not-concertctl; do
  hits=$(echo "$found" | grep "^$rule " || true)
  report "$rule" "$([ -z "$hits" ] && echo yes || echo no)" "$hits"
done
files=$(includes "$root/shared" | cut -d: -f1 | sort -u | wc -l)
echo "    ($files files under shared/ read)"

# The checker itself: each planted violation must be found.
scratch=$(mktemp -d /tmp/concert-layers.XXXXXX)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/shared/base" "$scratch/shared/rules" "$scratch/shared/store" "$scratch/handlers"
printf '#include <hiredis/hiredis.h>\n#include "rules/holds.hpp"\n' >"$scratch/shared/base/bad.hpp"
printf '#include "store/db.hpp"\n#include <openssl/sha.h>\n#include <string>\n' >"$scratch/shared/rules/bad.cpp"
printf '#include "runtime/serve.hpp"\n#include "../base/bad.hpp"\n' >"$scratch/shared/store/bad.cpp"
printf '#include "../shared/rules/holds.hpp"\n#include "concertctl/check.hpp"\n' >"$scratch/handlers/bad.cpp"
planted=$(violations "$scratch")
expect() {
  local rule=$1 target=$2
  echo "$planted" | grep -qF "$rule $scratch/" && echo "$planted" | grep "^$rule " | grep -qF "$target"
}
for pair in 'base-no-store-client <hiredis/hiredis.h>' 'base-only-base "rules/holds.hpp"' \
  'rules-only-base-and-std "store/db.hpp"' 'rules-only-base-and-std <openssl/sha.h>' \
  'store-not-runtime "runtime/serve.hpp"' 'shared-names-the-layer "../base/bad.hpp"' \
  'no-relative-shared "../shared/rules/holds.hpp"' 'handlers-not-concertctl "concertctl/check.hpp"'; do
  rule=${pair%% *}
  target=${pair#* }
  report "the check finds a planted $rule ($target)" "$(expect "$rule" "$target" && echo yes || echo no)" "$planted"
done
allowed=$(echo "$planted" | grep -F '<string>' || true)
report "the check allows the standard library in rules/" "$([ -z "$allowed" ] && echo yes || echo no)" "$allowed"

echo "layers: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
