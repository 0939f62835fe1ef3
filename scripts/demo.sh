#!/usr/bin/env bash
# The fresh-machine demo: installs MariaDB if needed, starts a throwaway server
# with short limits (wait_timeout 5 s, max_connections 40, max_allowed_packet
# 4 MiB), and runs poolcheck against it. Leaves nothing behind.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/install-deps.sh
cargo build --quiet --locked
poolcheck=target/debug/poolcheck

read -r port dir < <(bash scripts/sandbox.sh --wait-timeout=5 --max-connections=40 --max-allowed-packet=4M)
cleanup() {
  kill "$(cat "$dir/server.pid" 2>/dev/null)" 2>/dev/null || true
  sleep 1
  rm -rf "$dir"
}
trap cleanup EXIT

url="mysql://root@127.0.0.1:$port/"
echo "== poolcheck inspect $url"
echo
"$poolcheck" inspect --no-defaults "$url" || echo "(exit $?: findings at or above --fail-on)"
