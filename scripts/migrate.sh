#!/usr/bin/env bash
# Applies the numbered migrations in sql/ that the database has not recorded
# yet, in order, each recorded in schema_migrations once it succeeded; then
# (re)creates every stored procedure of sql/procedures/ (CREATE OR REPLACE,
# so pools that are serving never see one missing), with the SQL rules of
# rules/sql_rules.def written in where a procedure says {{kName}}.
#
#   scripts/migrate.sh [mariadb client options...]   e.g. --socket=/path -uroot
#
# The database is CONCERT_DB_NAME (default: concert).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
rules=$root/shared/rules/sql_rules.def
db=${CONCERT_DB_NAME:-concert}

# The rules file's lines `SQL_RULE(kName, "text")` as kName<TAB>text.
rule_table() {
  sed -n 's/^SQL_RULE(\(k[A-Za-z]*\), "\([^"\\]*\)")$/\1\t\2/p' "$rules"
}

# A procedure's file with every {{kName}} replaced by its rule's text; fails
# naming a marker that no rule defines.
expand() {
  awk -F'\t' 'NR == FNR { rule["{{" $1 "}}"] = $2; next }
    {
      line = $0
      while (match(line, /\{\{k[A-Za-z]*\}\}/)) {
        marker = substr(line, RSTART, RLENGTH)
        if (!(marker in rule)) { print "migrate: " FILENAME ": no rule " marker > "/dev/stderr"; exit 1 }
        line = substr(line, 1, RSTART - 1) rule[marker] substr(line, RSTART + RLENGTH)
      }
      print line
    }' <(rule_table) "$1"
}

# Every migration and procedure runs under the application's sql_mode (the
# same rule the C++ sessions set): a procedure keeps the mode it was created
# with, so the statements in it are as strict as the application's own.
sql_mode=$(rule_table | awk -F'\t' '$1 == "kSqlMode" { print $2 }')
[ -n "$sql_mode" ] || { echo "migrate: no kSqlMode in $rules" >&2; exit 1; }
client=(mariadb "$@" --batch --skip-column-names --init-command="SET SESSION sql_mode = '$sql_mode'" "$db")

"${client[@]}" -e "CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(200) NOT NULL,
  applied_at DATETIME(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3)) ENGINE=InnoDB"

applied=$("${client[@]}" -e "SELECT version FROM schema_migrations")
for file in "$root"/sql/[0-9][0-9][0-9]_*.sql; do
  name=$(basename "$file")
  version=$((10#${name%%_*}))
  if grep -qx "$version" <<<"$applied"; then continue; fi
  echo "migrate: applying $name"
  "${client[@]}" <"$file"
  "${client[@]}" -e "INSERT INTO schema_migrations (version, name) VALUES ($version, '$name')"
done

# A procedure is looked up when it is called, so the order does not matter.
for file in "$root"/sql/procedures/*.sql; do
  text=$(expand "$file")
  "${client[@]}" <<<"$text"
done
