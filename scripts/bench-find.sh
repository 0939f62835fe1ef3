#!/usr/bin/env bash
# Measures `poolcheck probe --find` against middleboxes with known cutoffs
# (poolcheck proxy at 3, 7 and 20 s, in rst mode -- the death is announced --
# and blackhole mode -- it is silent), on a throwaway local MariaDB whose own
# wait_timeout (600 s) stays out of the way. Prints Markdown tables: the
# measured runs, then the simulated comparison with a sequential binary search.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --locked
bin=target/release/poolcheck
read -r port dir < <(bash scripts/sandbox.sh --wait-timeout=600 --max-connections=100)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  kill "$(cat "$dir/server.pid")" 2>/dev/null || true
  sleep 1
  rm -rf "$dir"
}
trap cleanup EXIT

echo "| cutoff | path | interval found | wall time | wall / cutoff | connections opened (most at once) |"
echo "|---:|---|---|---:|---:|---:|"
for mode in rst blackhole; do
  for cutoff in 3 7 20; do
    log="$dir/proxy-$mode-$cutoff.log"
    "$bin" proxy --upstream "127.0.0.1:$port" --listen 127.0.0.1:0 --idle-cutoff "${cutoff}s" --on-idle "$mode" \
      >/dev/null 2>"$log" &
    pids+=($!)
    for _ in $(seq 1 50); do grep -q 'listening on' "$log" 2>/dev/null && break; sleep 0.1; done
    pport=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$log")
    "$bin" probe --no-defaults --find --max 120s --reconnects 0 --io-timeout 2s --format json --fail-on never \
      "mysql://root@127.0.0.1:$pport/" >"$dir/find.json"
    python3 - "$dir/find.json" "$cutoff" "$mode" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); c = float(sys.argv[2]); mode = sys.argv[3]
s = r["search"]; cut = r["cutoff"]
path = "rst (announced)" if mode == "rst" else "blackhole (silent; 2 s io-timeout)"
print(f"| {c:.0f} s | {path} | ({cut['lo_s']:.2f}, {cut['hi_s']:.2f}] s | {s['wall_s']:.1f} s | {s['wall_s']/c:.2f} | {s['connections_opened']} ({s['most_open_at_once']}) |")
PY
  done
done
echo
echo "Simulated (the planner against a model path where every death is silent; 1 s resolution):"
echo
echo '```'
cargo test --release --quiet --lib sim_report -- --nocapture 2>/dev/null | grep -E 'cutoff \||^ +[0-9]+ s \|'
echo '```'
echo
echo "Simulated search cost on silent paths (default --max 8h, 16 connections; the planner told the io-timeout, as probe --find does):"
echo
echo '```'
SEARCH_COST_HINT=1 cargo test --release --quiet --lib search_cost_report -- --nocapture 2>/dev/null | grep -E 'cutoff \||^ +[0-9]+ s \||^mean'
echo '```'
