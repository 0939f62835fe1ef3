#!/usr/bin/env bash
# Measures `poolcheck probe --find` (default settings: --max 8h, 16
# connections, --io-timeout 10s) through a real Linux NAT that forgets idle
# flows: conntrack with nf_conntrack_tcp_timeout_established=CUTOFF and
# nftables masquerade in two network namespaces this script creates (client
# 198.18.255.2, NAT, server side 198.19.255.2), as the NAT tests do. A
# forgotten flow's next segment is answered with a reset ("silent until you
# send") or dropped (a blackhole: the dead verdict waits for the io-timeout).
# Needs root, iproute2 and nftables. Prints a Markdown table.
# CUTOFFS="20 60" and BIN=path/to/poolcheck (default: a release build) may be
# set; every run takes up to about twice its cutoff plus the io-timeout.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet --locked
  BIN=target/release/poolcheck
fi
BIN=$(realpath "$BIN")
cutoffs=${CUTOFFS:-"20 60"}
# Slot 255 of the NAT tests' slot locks: never the same addresses as a test.
slots="${TMPDIR:-/tmp}/poolcheck-netns-slots"
mkdir -p "$slots"
exec 9>"$slots/255.lock"
flock -n 9 || { echo "bench-find-nat: NAT slot 255 is in use" >&2; exit 1; }
c=pkb-c m=pkb-m
read -r port dir < <(bash scripts/sandbox.sh --wait-timeout=600 --max-connections=100 \
  --bind-address=127.0.0.1,198.19.255.2)
cleanup() {
  ip netns del "$m" 2>/dev/null || true
  ip netns del "$c" 2>/dev/null || true
  ip link del pks255 2>/dev/null || true
  kill "$(cat "$dir/server.pid")" 2>/dev/null || true
  sleep 1
  rm -rf "$dir"
}
trap cleanup EXIT
mariadb --no-defaults -h127.0.0.1 -P"$port" -uroot -e \
  "CREATE USER 'natprobe'@'%' IDENTIFIED BY 'natprobe-pw'; GRANT PROCESS ON *.* TO 'natprobe'@'%'"

nat() { # nat CUTOFF VERDICT: (re)creates the namespaces
  ip netns del "$m" 2>/dev/null || true
  ip netns del "$c" 2>/dev/null || true
  ip link del pks255 2>/dev/null || true
  ip netns add "$c"
  ip netns add "$m"
  ip link add eth0 netns "$c" type veth peer name tocli netns "$m"
  ip link add pks255 type veth peer name tosrv netns "$m"
  ip -n "$c" addr add 198.18.255.2/30 dev eth0
  ip -n "$m" addr add 198.18.255.1/30 dev tocli
  ip -n "$m" addr add 198.19.255.1/30 dev tosrv
  ip addr add 198.19.255.2/30 dev pks255
  for l in lo eth0; do ip -n "$c" link set "$l" up; done
  for l in lo tocli tosrv; do ip -n "$m" link set "$l" up; done
  ip link set pks255 up
  ip -n "$c" route add default via 198.18.255.1
  ip netns exec "$m" sh -c "echo 1 > /proc/sys/net/ipv4/ip_forward;
    echo $1 > /proc/sys/net/netfilter/nf_conntrack_tcp_timeout_established;
    echo 0 > /proc/sys/net/netfilter/nf_conntrack_tcp_loose"
  ip netns exec "$m" nft -f - <<NFT
table ip poolcheck {
  chain postrouting { type nat hook postrouting priority srcnat; oifname "tosrv" masquerade; }
  chain forward { type filter hook forward priority filter; ct state invalid $2; }
}
NFT
}

echo "| cutoff | forgotten flow | interval found | wall time | wall / cutoff | wall / (cutoff + io) | tests |"
echo "|---:|---|---|---:|---:|---:|---:|"
for verdict in "reject with tcp reset" drop; do
  for cutoff in $cutoffs; do
    nat "$cutoff" "$verdict"
    ip netns exec "$c" "$BIN" probe --no-defaults --find --reconnects 0 --format json --fail-on never \
      "mysql://natprobe:natprobe-pw@198.19.255.2:$port/" >"$dir/find.json"
    python3 - "$dir/find.json" "$cutoff" "$verdict" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); c = float(sys.argv[2])
path = "reset on send" if sys.argv[3].startswith("reject") else "dropped (blackhole, 10 s io)"
s = r["search"]; cut = r["cutoff"]; w = s["wall_s"]
print(f"| {c:.0f} s | {path} | ({cut['lo_s']:.2f}, {cut['hi_s']:.2f}] s | {w:.1f} s | {w/c:.2f} | {w/(c+10):.2f} | {s['test_count']} |")
PY
  done
done
