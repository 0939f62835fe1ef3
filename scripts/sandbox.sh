#!/usr/bin/env bash
# Starts a throwaway MariaDB in a temp dir on a free loopback port and prints
# `PORT DIR`. Stop it with: kill "$(cat DIR/server.pid)"; rm -rf DIR
# Usage: scripts/sandbox.sh [extra mariadbd options...]
set -euo pipefail

mariadbd=$(command -v mariadbd || echo /usr/sbin/mariadbd)
dir=$(mktemp -d "${TMPDIR:-/tmp}/poolcheck-demo-XXXXXX")
# A private tmpdir: servers started at the same time never share temporary tables.
mkdir "$dir/tmp"
TMPDIR="$dir/tmp" mariadb-install-db --no-defaults --user="$(id -un)" --datadir="$dir/data" \
  --tmpdir="$dir/tmp" --auth-root-authentication-method=normal --skip-test-db >"$dir/install.log" 2>&1

for _ in 1 2 3; do
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null \
    || echo $((20000 + RANDOM % 20000)))
  "$mariadbd" --no-defaults --user="$(id -un)" --datadir="$dir/data" --tmpdir="$dir/tmp" --socket="$dir/mysqld.sock" \
    --port="$port" --bind-address=127.0.0.1 --skip-name-resolve --skip-log-bin \
    --performance-schema=OFF --innodb-buffer-pool-size=16M \
    --log-error="$dir/error.log" --pid-file="$dir/server.pid" "$@" >/dev/null 2>&1 &
  for _ in $(seq 1 100); do
    if mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e 'SELECT 1' >/dev/null 2>&1; then
      echo "$port $dir"
      exit 0
    fi
    sleep 0.2
  done
  kill "$(cat "$dir/server.pid" 2>/dev/null)" 2>/dev/null || true
done
echo "sandbox: mariadbd did not start; see $dir/error.log" >&2
exit 1
