"""A tiny pooled SQLAlchemy app for poolcheck's end-to-end proof.

Usage: sqlalchemy_app.py URL SETTINGS_JSON IDLE_SECONDS

SETTINGS_JSON maps create_engine() keyword names (and the PyMySQL connect_args
connect_timeout/read_timeout/write_timeout) to values: "{}" means SQLAlchemy's
defaults. The app uses a pooled connection, idles, then queries again, and
prints one JSON line: {"ok": bool, "error": str, "elapsed_s": float}.
"""

import json
import sys
import time

import sqlalchemy as sa

ENGINE_KEYS = {"pool_recycle", "pool_pre_ping", "pool_size", "max_overflow", "pool_timeout", "pool_use_lifo"}
CONNECT_KEYS = {"connect_timeout", "read_timeout", "write_timeout"}


def main() -> None:
    url, settings, idle = sys.argv[1], json.loads(sys.argv[2]), float(sys.argv[3])
    engine_kw, connect_args = {}, {}
    for key, value in settings.items():
        name = key.split(".")[-1]
        if key == "connect_args" and isinstance(value, dict):
            connect_args.update(value)
        elif name in CONNECT_KEYS:
            connect_args[name] = value
        elif name in ENGINE_KEYS:
            engine_kw[name] = value
    engine = sa.create_engine(url, connect_args=connect_args, **engine_kw)

    def query() -> int:
        with engine.connect() as conn:
            return conn.execute(sa.text("SELECT 1")).scalar()

    query()  # the pool now holds one connection
    time.sleep(idle)
    started = time.monotonic()
    try:
        query()
        result = {"ok": True, "error": ""}
    except Exception as exc:  # report whatever the driver raised
        result = {"ok": False, "error": str(exc)[:400]}
    result["elapsed_s"] = round(time.monotonic() - started, 3)
    result["engine_kw"] = engine_kw
    result["connect_args"] = connect_args
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
