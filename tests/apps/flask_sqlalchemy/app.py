"""A small Flask-SQLAlchemy app for poolcheck's proof (tests/it/framework_proofs.rs).

Usage: app.py PORT SETTINGS_JSON IDLE_SECONDS

SETTINGS_JSON holds `poolcheck recommend --framework flask-sqlalchemy` keys:
engine options (pool_recycle, pool_pre_ping, pool_size, ...) go into
SQLALCHEMY_ENGINE_OPTIONS, PyMySQL's connect_timeout/read_timeout/
write_timeout into its connect_args; "{}" keeps Flask-SQLAlchemy's defaults.
The app serves one request (the pool keeps its connection when the app
context ends, as in production), idles, serves another, and prints one JSON
line: {"ok": bool, "error": str, "elapsed_s": float}.
"""

import json
import sys
import time

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import text

CONNECT_KEYS = {"connect_timeout", "read_timeout", "write_timeout"}


def main() -> None:
    port, settings, idle = int(sys.argv[1]), json.loads(sys.argv[2]), float(sys.argv[3])
    options, connect_args = {}, {}
    for key, value in settings.items():
        (connect_args if key in CONNECT_KEYS else options)[key] = value
    if connect_args:
        options["connect_args"] = connect_args

    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = f"mysql+pymysql://root@127.0.0.1:{port}/"
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options
    app.config["PROPAGATE_EXCEPTIONS"] = True
    db = SQLAlchemy(app)

    @app.get("/")
    def index():
        # db.session is removed at app-context teardown (Flask-SQLAlchemy's
        # teardown_appcontext), which returns its connection to the pool.
        return {"one": db.session.execute(text("SELECT 1")).scalar()}

    client = app.test_client()
    first = client.get("/")
    assert first.status_code == 200, first.data
    time.sleep(idle)
    started = time.monotonic()
    try:
        response = client.get("/")
        result = {"ok": response.status_code == 200, "error": response.get_data(as_text=True)[:400]}
    except Exception as exc:  # whatever the driver raised in the request
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:400]}
    result["elapsed_s"] = round(time.monotonic() - started, 3)
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
