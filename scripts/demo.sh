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

echo
echo "== poolcheck probe --find (the server's wait_timeout is 5 s)"
echo
"$poolcheck" probe --no-defaults --find --max 30s --reconnects 5 "$url" || true

echo
echo "== the same path behind a middlebox that silently drops flows idle for 3 s"
"$poolcheck" proxy --upstream "127.0.0.1:$port" --listen 127.0.0.1:0 --idle-cutoff 3s --on-idle blackhole \
  >/dev/null 2>"$dir/proxy.log" &
proxy_pid=$!
for _ in $(seq 1 50); do grep -q 'listening on' "$dir/proxy.log" 2>/dev/null && break; sleep 0.1; done
proxy_port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$dir/proxy.log")
echo "   (poolcheck proxy on 127.0.0.1:$proxy_port)"
echo
"$poolcheck" probe --no-defaults --idle 2s,4s --connections 2 --io-timeout 2s --reconnects 5 \
  "mysql://root@127.0.0.1:$proxy_port/" || true

echo
echo "== poolcheck recommend for that path (Flask-SQLAlchemy; 2 hosts x 4 workers x 8 threads)"
echo "   from: poolcheck inspect --format json, and poolcheck probe --format json through the middlebox"
echo
"$poolcheck" inspect --no-defaults --format json --fail-on never "$url" >"$dir/inspect.json"
"$poolcheck" probe --no-defaults --idle 2s,4s --connections 1 --io-timeout 2s --reconnects 0 --format json \
  --fail-on never "mysql://root@127.0.0.1:$proxy_port/" >"$dir/probe.json"
"$poolcheck" recommend --framework flask-sqlalchemy --instances 2 --processes 4 --threads 8 \
  --from "$dir/inspect.json" --from "$dir/probe.json" || true
kill "$proxy_pid" 2>/dev/null || true
wait "$proxy_pid" 2>/dev/null || true
