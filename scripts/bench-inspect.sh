#!/usr/bin/env bash
# Benchmarks `poolcheck inspect` against the plain MariaDB client reading the
# same server's variables, whole-process times, on a throwaway local server.
# Needs hyperfine (apt-get install hyperfine). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v hyperfine >/dev/null || { echo "bench: install hyperfine first (apt-get install hyperfine)" >&2; exit 1; }
cargo build --release --quiet --locked
read -r port dir < <(bash scripts/sandbox.sh --wait-timeout=5 --max-connections=40 --max-allowed-packet=4M)
trap 'kill "$(cat "$dir/server.pid")" 2>/dev/null; sleep 1; rm -rf "$dir"' EXIT
out=$(mktemp)
hyperfine --warmup 20 --runs 300 -N --export-markdown "$out" \
  -n 'mariadb -e "SHOW GLOBAL VARIABLES"' "mariadb --no-defaults -h127.0.0.1 -P$port -uroot -e 'SHOW GLOBAL VARIABLES'" \
  -n 'mariadb -e "SHOW GLOBAL STATUS"' "mariadb --no-defaults -h127.0.0.1 -P$port -uroot -e 'SHOW GLOBAL STATUS'" \
  -n 'poolcheck inspect --format json' "target/release/poolcheck inspect --no-defaults --fail-on never --format json mysql://root@127.0.0.1:$port/" \
  -n 'poolcheck inspect (table)' "target/release/poolcheck inspect --no-defaults --fail-on never mysql://root@127.0.0.1:$port/" \
  -n 'poolcheck inspect --ssl-mode DISABLED' "target/release/poolcheck inspect --no-defaults --fail-on never --ssl-mode DISABLED mysql://root@127.0.0.1:$port/" >&2
cat "$out"
