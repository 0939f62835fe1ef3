#!/usr/bin/env bash
# Times `poolcheck explain` on a generated mixed log (5000 lines: request noise
# with timestamps, and a few hundred pool errors of several kinds after quiet
# periods). Needs hyperfine. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --locked
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 - "$dir/app.log" <<'PY'
import random, sys, datetime
random.seed(7)
errors = [
    "sqlalchemy.exc.OperationalError: (pymysql.err.OperationalError) (2006, \"MySQL server has gone away (BrokenPipeError(32, 'Broken pipe'))\")",
    "(MySQLdb._exceptions.OperationalError) (2013, 'Lost connection to MySQL server during query')",
    "sqlalchemy.exc.TimeoutError: QueuePool limit of size 5 overflow 10 reached, connection timed out, timeout 30.00",
    "[mysql] 2026/11/20 03:14:15 packets.go:37: unexpected EOF",
    "com.mysql.cj.jdbc.exceptions.CommunicationsException: Communications link failure. The last packet successfully received from the server was 351,204 milliseconds ago.",
]
t = datetime.datetime(2026, 11, 20, 0, 0, 0)
with open(sys.argv[1], "w") as f:
    for i in range(5000):
        if i % 14 == 0:
            t += datetime.timedelta(minutes=30)
            f.write(f"{t:%Y-%m-%d %H:%M:%S},000 ERROR {random.choice(errors)}\n")
        else:
            t += datetime.timedelta(seconds=random.randint(1, 20))
            f.write(f"{t:%Y-%m-%d %H:%M:%S},000 INFO GET /orders/{i} 200 {random.randint(3, 90)}ms\n")
PY
out=$(mktemp)
hyperfine -N --warmup 3 --runs 30 --export-markdown "$out" \
  -n "poolcheck explain --file app.log (5000 lines)" "target/release/poolcheck explain --fail-on never --file $dir/app.log" \
  -n "... --format json" "target/release/poolcheck explain --fail-on never --format json --file $dir/app.log" >&2
cat "$out"
