#!/usr/bin/env bash
# Each SQL rule written once, checked by every `make test` and `make check`:
# "a seat is free", "a hold is live", "a reservation lapsed", the seat's
# release and the sql_mode list live in shared/rules/sql_rules.def, which the
# C++ includes and scripts/migrate.sh writes into the procedures. This fails
# when the product spells one of them anywhere else: a rule's exact text, or
# a hand-made copy of one (a hold's expiry compared with NOW, "FREE OR",
# a holder cleared, the sql_mode's first mode), or a "change both" comment.
#
# The product is handlers/, shared/, tools/, sql/procedures/, scripts/ and
# bench's C++. Tests and the bench's data loading write rows directly on
# purpose: a test that used the rule it checks could not catch it wrong.
#
#   tests/one_rule.sh   -> "PASS ..."/"FAIL ..." lines, then "one_rule: N passed, N failed"
#
# The last check plants a copy in a scratch tree and makes sure it is found,
# so a broken checker cannot pass quietly.
set -uo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
passed=0
failed=0

pass() { echo "PASS $1"; passed=$((passed + 1)); }
fail() { echo "FAIL $1"; failed=$((failed + 1)); }

# The product's files under ROOT, except the rules file itself.
product_files() {
  local r=$1
  (cd "$r" && find handlers shared tools sql/procedures scripts bench -maxdepth 3 -type f \
      \( -name '*.cpp' -o -name '*.hpp' -o -name '*.sql' -o -name '*.sh' \) 2>/dev/null |
    grep -v -e '^shared/rules/sql_rules.def$' -e '^bench/.*\.sh$' | sort)
}

# Hand-made copies, as extended regular expressions.
telltales=(
  "expires_at[[:space:]]*(<=|>=|<|>)[[:space:]]*NOW"
  "'FREE'[[:space:]]+OR"
  "holder_id[[:space:]]*=[[:space:]]*NULL"
  "STRICT_ALL_TABLES"
  "[Cc]hange both"
)

# Prints "file: line" for every copy found under ROOT.
copies() {
  local r=$1 text pattern files
  mapfile -t files < <(product_files "$r")
  [ ${#files[@]} -gt 0 ] || return 0
  while IFS=$'\t' read -r _ text; do
    (cd "$r" && grep -nF -- "$text" "${files[@]}")
  done < <(sed -n 's/^SQL_RULE(\(k[A-Za-z]*\), "\([^"\\]*\)")$/\1\t\2/p' "$r/shared/rules/sql_rules.def")
  for pattern in "${telltales[@]}"; do
    (cd "$r" && grep -nE -- "$pattern" "${files[@]}")
  done
}

check_tree() {  # ROOT NAME: PASS if ROOT has no copy
  local found
  found=$(copies "$1" | sort -u)
  if [ -z "$found" ]; then
    pass "$2"
  else
    fail "$2: a rule of shared/rules/sql_rules.def written again (use its constant, or {{kName}} in a procedure):"
    sed 's/^/    /' <<<"$found"
  fi
}

rules_count=$(grep -c '^SQL_RULE(k[A-Za-z]*, "[^"\\]*")$' "$root/shared/rules/sql_rules.def")
if [ "$rules_count" -ge 8 ] && [ "$rules_count" -eq "$(grep -c '^SQL_RULE' "$root/shared/rules/sql_rules.def")" ]; then
  pass "sql_rules.def: $rules_count rules, each one line as migrate.sh reads them"
else
  fail "sql_rules.def: every SQL_RULE must be one line SQL_RULE(kName, \"text\") with no '\"' or '\\' in the text"
fi

check_tree "$root" "each SQL rule written once in the product"

# The checker finds a planted copy (the hold's expiry spelled by hand).
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
mkdir -p "$scratch/shared/rules" "$scratch/handlers"
cp "$root/shared/rules/sql_rules.def" "$scratch/shared/rules/"
echo 'const char* q = "SELECT 1 FROM seats s WHERE s.hold_expires_at > NOW(3)";' >"$scratch/handlers/planted.cpp"
if [ -n "$(copies "$scratch")" ]; then
  pass "a planted copy of a rule is found"
else
  fail "a planted copy of a rule is not found: the checker is broken"
fi

echo "one_rule: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
