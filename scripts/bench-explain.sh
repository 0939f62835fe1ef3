#!/usr/bin/env bash
# Times `poolcheck explain` on generated logs of 100,000 and 1,000,000 lines
# (timestamped request noise, about 0.4% errors of five kinds, some of them
# multi-line Java stack traces; the generator is seeded, so the logs are the
# same on every run), next to `grep -cE` with the five messages on the same
# file, and the peak RSS of each explain run (/usr/bin/time -v).
# Needs hyperfine (apt-get install hyperfine) and python3. Prints Markdown:
# median wall and mean CPU times, lines per second and the ratio to grep -cE
# (RUNS=N sets the measured runs, 10 by default).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --locked
bin=target/release/poolcheck
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
gen() {
python3 - "$1" "$2" <<'PY'
import random, sys, datetime
random.seed(14)
path, n = sys.argv[1], int(sys.argv[2])
errors = [
    ["sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")"],
    ["(MySQLdb._exceptions.OperationalError) (2013, 'Lost connection to MySQL server during query')"],
    ["sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00"],
    ["[mysql] 2026/11/20 03:14:15 packets.go:37: unexpected EOF", "invalid connection"],
    ["com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure",
     "",
     "The last packet successfully received from the server was 351,204 milliseconds ago. The last packet sent successfully to the server was 351,205 milliseconds ago.",
     "\tat com.mysql.cj.jdbc.exceptions.SQLError.createCommunicationsException(SQLError.java:174)",
     "\tat com.zaxxer.hikari.pool.ProxyPreparedStatement.executeQuery(ProxyPreparedStatement.java:52)"],
]
noise = [
    "INFO  web.request GET /orders/{i} 200 {ms}ms",
    "INFO  web.request POST /cart/{i} 201 {ms}ms",
    "DEBUG cache hit key=user:{i} ttl=300",
    "WARN  upstream slow response from payments in {ms}ms",
    "INFO  worker job {i} done in {ms}ms",
]
t = datetime.datetime(2026, 11, 20, 0, 0, 0)
out = open(path, "w")
i = 0
while i < n:
    if random.random() < 0.004:
        t += datetime.timedelta(minutes=random.choice([1, 6, 30]))
        ev = random.choice(errors)
        out.write(f"{t:%Y-%m-%d %H:%M:%S},{random.randint(0,999):03d} ERROR {ev[0]}\n")
        for extra in ev[1:]:
            out.write(extra + "\n")
        i += len(ev)
    else:
        t += datetime.timedelta(milliseconds=random.randint(1, 900))
        msg = random.choice(noise).format(i=i, ms=random.randint(3, 900))
        out.write(f"{t:%Y-%m-%d %H:%M:%S},{t.microsecond // 1000:03d} {msg}\n")
        i += 1
PY
}
grep_re='gone away|Lost connection|QueuePool|unexpected EOF|Communications link'
for n in 100000 1000000; do
  log="$dir/app-$n.log"
  gen "$log" "$n"
  size=$(du -h "$log" | cut -f1)
  json="$dir/hyperfine-$n.json"
  # --output=pipe: with stdout on /dev/null (hyperfine's default) GNU grep
  # stops at the first match, which would time nothing.
  hyperfine -N --output=pipe --warmup 2 --runs "${RUNS:-10}" --export-json "$json" \
    -n "poolcheck explain ($n lines, $size)" "$bin explain --fail-on never --file $log" \
    -n "... --format json" "$bin explain --fail-on never --format json --file $log" \
    -n "grep -cE (five messages)" "grep -cE '$grep_re' $log" >&2
  # Wall time waits for a core on a busy machine; user + system CPU time is
  # the steadier figure there. Throughput and the ratio to grep from both.
  python3 - "$json" "$n" <<'PY'
import json, sys
results = json.load(open(sys.argv[1]))["results"]
n = int(sys.argv[2])
cpu = lambda r: r["user"] + r["system"]  # hyperfine gives their means
grep = results[-1]
print("| Command | Median wall [ms] | Min wall [ms] | Mean CPU (user + sys) [ms] | M lines/s (wall) | M lines/s (CPU) | x grep -cE (wall / CPU) |")
print("|:---|---:|---:|---:|---:|---:|---:|")
for r in results:
    wall, c = r["median"], cpu(r)
    print(f"| `{r['command']}` | {wall * 1e3:.1f} | {r['min'] * 1e3:.1f} | {c * 1e3:.0f} "
          f"| {n / wall / 1e6:.1f} | {n / c / 1e6:.1f} "
          f"| {wall / grep['median']:.1f} / {c / cpu(grep):.1f} |")
PY
  rss=$( { /usr/bin/time -v "$bin" explain --fail-on never --file "$log" >/dev/null; } 2>&1 \
    | awk -F: '/Maximum resident set size/ {gsub(/ /, "", $2); print $2}')
  echo
  echo "Peak RSS of \`poolcheck explain\` on $n lines ($size): ${rss} KiB"
  echo
done
