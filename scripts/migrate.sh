#!/usr/bin/env bash
# Applies the numbered migrations in sql/ that the database has not recorded
# yet, in order, each recorded in schema_migrations once it succeeded.
#
#   scripts/migrate.sh [mariadb client options...]   e.g. --socket=/path -uroot
#
# The database is CONCERT_DB_NAME (default: concert).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
db=${CONCERT_DB_NAME:-concert}
# Every migration runs under the application's sql_mode (store/db.cpp's
# session setup): a stored procedure keeps the mode it was created with, so
# the statements in it are as strict as the application's own.
sql_mode='STRICT_ALL_TABLES,NO_ZERO_DATE,NO_ZERO_IN_DATE,ERROR_FOR_DIVISION_BY_ZERO,NO_ENGINE_SUBSTITUTION'
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
