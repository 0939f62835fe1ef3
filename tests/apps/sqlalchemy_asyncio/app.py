"""A tiny SQLAlchemy asyncio app for poolcheck's proof (tests/it/framework_proofs.rs).

Usage: app.py DRIVER PORT SETTINGS_JSON IDLE_SECONDS

DRIVER is asyncmy or aiomysql. SETTINGS_JSON holds `poolcheck recommend
--framework sqlalchemy-asyncio` keys: create_async_engine() keywords, and the
connect_args connect_timeout/read_timeout; "{}" keeps the defaults. As the
snippet says, read_timeout is asyncmy's only: with aiomysql it is left out.
Each request checks a connection out of the pool in a session, as a handler
would. The app serves one request, idles, serves another, and prints one JSON
line: {"ok": bool, "error": str, "elapsed_s": float}.
"""

import asyncio
import json
import os
import sys
import time

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import async_sessionmaker, create_async_engine

ENGINE_KEYS = {"pool_recycle", "pool_pre_ping", "pool_size", "max_overflow", "pool_timeout"}
CONNECT_KEYS = {"connect_timeout", "read_timeout"}


async def main() -> None:
    driver, port = sys.argv[1], int(sys.argv[2])
    settings, idle = json.loads(sys.argv[3]), float(sys.argv[4])
    engine_kw, connect_args = {}, {}
    for key, value in settings.items():
        if key in CONNECT_KEYS:
            if driver == "aiomysql" and key == "read_timeout":
                continue  # aiomysql has no read_timeout (the snippet says to drop it)
            connect_args[key] = value
        elif key in ENGINE_KEYS:
            engine_kw[key] = value
    engine = create_async_engine(
        f"mysql+{driver}://root@127.0.0.1:{port}/", connect_args=connect_args, **engine_kw
    )
    sessions = async_sessionmaker(engine)

    async def request() -> int:
        async with sessions() as session:
            return (await session.execute(sa.text("SELECT 1"))).scalar()

    await request()  # the pool now holds one connection
    await asyncio.sleep(idle)
    started = time.monotonic()
    try:
        await request()
        result = {"ok": True, "error": ""}
    except Exception as exc:  # report whatever the driver raised
        result = {"ok": False, "error": str(exc)[:400]}
    result["elapsed_s"] = round(time.monotonic() - started, 3)
    result["engine_kw"] = engine_kw
    result["connect_args"] = connect_args
    print(json.dumps(result), flush=True)
    # Do not wait for a polite close of a connection the path may have dropped.
    os._exit(0)


if __name__ == "__main__":
    asyncio.run(main())
