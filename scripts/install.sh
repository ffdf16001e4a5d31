#!/usr/bin/env bash
# `make install` / `make uninstall`.
#
#   scripts/install.sh install|uninstall
#
# Environment: PREFIX (/usr/local), SYSCONFDIR (/etc), DESTDIR (empty; set it
# to stage files for a package). Layout:
#   $PREFIX/lib/concert/handlers/<handler>   the handler binaries
#   $PREFIX/bin/concertctl                   the operator command
#   $PREFIX/lib/concert/migrate.sh, $PREFIX/share/concert/sql/   the schema,
#     its procedures (sql/procedures/) and the SQL rules (sql/sql_rules.def)
#   $PREFIX/share/doc/concert/               README and docs
#   $PREFIX/share/concert/web/               the booking page
#   $SYSCONFDIR/systemd/system/              the units
#   $SYSCONFDIR/nginx/sites-available/concert.conf, $SYSCONFDIR/nginx/concert/
#   $SYSCONFDIR/concert/concert.env          configuration (kept by uninstall)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
action=${1:-install}
prefix=${PREFIX:-/usr/local}
sysconfdir=${SYSCONFDIR:-/etc}
dest=${DESTDIR:-}
units=$dest$sysconfdir/systemd/system

# What nginx serves from share/concert/web: the booking page, the API
# description, /docs and the two Swagger UI files (npm, web/package-lock.json).
web_files=(index.html app.js app.css openapi.json docs.html docs.js dashboard.html dashboard.js dashboard.css
  node_modules/swagger-ui-dist/swagger-ui-bundle.js node_modules/swagger-ui-dist/swagger-ui.css
  node_modules/swagger-ui-dist/LICENSE node_modules/swagger-ui-dist/NOTICE
  node_modules/uplot/dist/uPlot.iife.min.js node_modules/uplot/dist/uPlot.min.css node_modules/uplot/LICENSE)

handlers=()
for bin in "$root"/bin/*; do
  name=$(basename "$bin")
  [ "$name" = concertctl ] || [ "$name" = concert-keeper ] || handlers+=("$name")
done

# Fills in the @NAME@ fields of a template.
fill() {
  local wants=""
  for h in "${handlers[@]}"; do wants+="concert-handler@$h.socket concert-handler@$h.service "; done
  sed -e "s|@PREFIX@|$prefix|g" -e "s|@SYSCONFDIR@|$sysconfdir|g" -e "s|@HANDLER_UNITS@|${wants% }|g" "$1"
}

files() {  # every installed path except the configuration
  for h in "${handlers[@]}"; do echo "$dest$prefix/lib/concert/handlers/$h"; done
  echo "$dest$prefix/bin/concertctl"
  echo "$dest$prefix/lib/concert/migrate.sh"
  for f in "$root"/sql/*.sql; do echo "$dest$prefix/share/concert/sql/$(basename "$f")"; done
  for f in "$root"/sql/procedures/*.sql; do echo "$dest$prefix/share/concert/sql/procedures/$(basename "$f")"; done
  echo "$dest$prefix/share/concert/sql/sql_rules.def"
  for f in "$root"/README.md "$root"/docs/*.md; do echo "$dest$prefix/share/doc/concert/$(basename "$f")"; done
  for f in "${web_files[@]}"; do echo "$dest$prefix/share/concert/web/$f"; done
  echo "$dest$prefix/bin/concert-keeper"
  for u in concert-handler@.socket concert-handler@.service concert-sweep.service concert-sweep.timer concert-keeper.service concert.target; do
    echo "$units/$u"
  done
  echo "$dest$sysconfdir/nginx/sites-available/concert.conf"
  echo "$dest$sysconfdir/nginx/concert/routes.conf"
  echo "$dest$sysconfdir/nginx/concert/api.conf"
  echo "$dest$sysconfdir/nginx/concert/metrics.conf"
}

case "$action" in
install)
  [ ${#handlers[@]} -gt 0 ] || { echo "install: nothing built; run make first" >&2; exit 1; }
  install -d "$dest$prefix/lib/concert/handlers" "$dest$prefix/bin" "$dest$prefix/share/concert/sql/procedures" \
    "$dest$prefix/share/doc/concert" "$units" "$dest$sysconfdir/nginx/sites-available" \
    "$dest$sysconfdir/nginx/concert" "$dest$sysconfdir/concert/pools"
  for h in "${handlers[@]}"; do install -m 0755 "$root/bin/$h" "$dest$prefix/lib/concert/handlers/$h"; done
  install -m 0755 "$root/bin/concertctl" "$dest$prefix/bin/concertctl"
  install -m 0755 "$root/bin/concert-keeper" "$dest$prefix/bin/concert-keeper"
  sed -e "s|^root=.*|root=$prefix/share/concert|" -e "s|^rules=.*|rules=\$root/sql/sql_rules.def|" \
    "$root/scripts/migrate.sh" >"$dest$prefix/lib/concert/migrate.sh"
  chmod 0755 "$dest$prefix/lib/concert/migrate.sh"
  install -m 0644 "$root"/sql/*.sql "$dest$prefix/share/concert/sql/"
  install -m 0644 "$root"/sql/procedures/*.sql "$dest$prefix/share/concert/sql/procedures/"
  install -m 0644 "$root/shared/rules/sql_rules.def" "$dest$prefix/share/concert/sql/"
  for f in "${web_files[@]}"; do
    [ -e "$root/web/$f" ] || { echo "install: web/$f is missing; run make install (it installs web/'s npm packages)" >&2; exit 1; }
    install -D -m 0644 "$root/web/$f" "$dest$prefix/share/concert/web/$f"
  done
  for f in "$root"/README.md "$root"/docs/*.md; do install -m 0644 "$f" "$dest$prefix/share/doc/concert/"; done
  for u in concert-handler@.socket concert-handler@.service concert-sweep.service concert-sweep.timer concert-keeper.service; do
    fill "$root/systemd/$u" >"$units/$u"
  done
  fill "$root/systemd/concert.target.in" >"$units/concert.target"
  fill "$root/nginx/concert.conf" >"$dest$sysconfdir/nginx/sites-available/concert.conf"
  install -m 0644 "$root/nginx/routes.conf" "$root/nginx/api.conf" "$root/nginx/metrics.conf" "$dest$sysconfdir/nginx/concert/"
  # The configuration is written once, with a fresh token secret, and never
  # overwritten: it is the operator's from then on.
  env_file=$dest$sysconfdir/concert/concert.env
  if [ ! -e "$env_file" ]; then
    secret=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
    (umask 027 && fill "$root/systemd/concert.env.example" | sed "s|@TOKEN_SECRET@|$secret|" >"$env_file")
  fi
  # On a real host (no DESTDIR), as root: the service's own user.
  if [ -z "$dest" ] && [ "$(id -u)" -eq 0 ]; then
    id concert >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin concert
    chgrp concert "$env_file" && chmod 0640 "$env_file"
    command -v systemctl >/dev/null && systemctl daemon-reload 2>/dev/null || true
  fi
  echo "installed under $dest$prefix and $dest$sysconfdir (see $prefix/share/doc/concert/OPERATIONS.md)"
  ;;
uninstall)
  files | while read -r f; do rm -f "$f"; done
  rmdir "$dest$prefix/lib/concert/handlers" "$dest$prefix/lib/concert" "$dest$prefix/share/concert/sql/procedures" \
    "$dest$prefix/share/concert/sql" \
    "$dest$prefix/share/concert/web/node_modules/swagger-ui-dist" "$dest$prefix/share/concert/web/node_modules/uplot/dist" \
    "$dest$prefix/share/concert/web/node_modules/uplot" "$dest$prefix/share/concert/web/node_modules" \
    "$dest$prefix/share/concert/web" "$dest$prefix/share/concert" "$dest$prefix/share/doc/concert" "$dest$sysconfdir/nginx/concert" 2>/dev/null || true
  echo "uninstalled; kept the configuration in $dest$sysconfdir/concert"
  ;;
*)
  echo "usage: $0 install|uninstall" >&2
  exit 2
  ;;
esac
