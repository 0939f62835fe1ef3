"""A small Django app for poolcheck's proof (tests/it/framework_proofs.rs).

Usage: app.py DRIVER PORT SETTINGS_JSON IDLE_SECONDS

DRIVER is mysqlclient or pymysql (PyMySQL standing in for MySQLdb, as Django's
docs allow). SETTINGS_JSON holds `poolcheck recommend --framework django`
keys: CONN_MAX_AGE and CONN_HEALTH_CHECKS go into DATABASES["default"], the
driver timeouts into its OPTIONS; "{}" keeps Django's defaults. Requests go
through Django's WSGI handler, so request_started / request_finished fire and
close_old_connections runs as in production (Django's test Client turns it
off). The app serves one request, idles, serves another, and prints one JSON
line: {"ok": bool, "error": str, "elapsed_s": float}.
"""

import io
import json
import sys
import time

OPTION_KEYS = {"connect_timeout", "read_timeout", "write_timeout"}


def main() -> None:
    driver, port = sys.argv[1], int(sys.argv[2])
    settings, idle = json.loads(sys.argv[3]), float(sys.argv[4])
    if driver == "pymysql":
        import pymysql

        pymysql.install_as_MySQLdb()
    db = {"ENGINE": "django.db.backends.mysql", "NAME": "", "USER": "root", "HOST": "127.0.0.1", "PORT": str(port)}
    options = {}
    for key, value in settings.items():
        (options if key in OPTION_KEYS else db)[key] = value
    db["OPTIONS"] = options

    import django
    from django.conf import settings as conf

    conf.configure(
        DEBUG=False,
        ALLOWED_HOSTS=["*"],
        ROOT_URLCONF=__name__,
        DATABASES={"default": db},
        INSTALLED_APPS=[],
        MIDDLEWARE=[],
        LOGGING_CONFIG=None,
        DEBUG_PROPAGATE_EXCEPTIONS=True,
    )
    django.setup()
    from django.core.handlers.wsgi import WSGIHandler

    app = WSGIHandler()

    def request() -> str:
        environ = {
            "REQUEST_METHOD": "GET",
            "PATH_INFO": "/",
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000",
            "wsgi.input": io.BytesIO(b""),
            "wsgi.url_scheme": "http",
            "wsgi.errors": sys.stderr,
        }
        status = []
        response = app(environ, lambda s, h, *a: status.append(s))
        try:
            body = b"".join(response).decode()
        finally:
            response.close()  # sends request_finished, as WSGI servers do
        if not status[0].startswith("200"):
            raise RuntimeError(f"{status[0]}: {body[:200]}")
        return body

    request()
    time.sleep(idle)
    started = time.monotonic()
    try:
        request()
        result = {"ok": True, "error": ""}
    except Exception as exc:  # whatever the driver raised in the request
        result = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:400]}
    result["elapsed_s"] = round(time.monotonic() - started, 3)
    print(json.dumps(result), flush=True)


def index(_request):
    from django.db import connection
    from django.http import HttpResponse

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return HttpResponse(str(cursor.fetchone()[0]))


from django.urls import path  # noqa: E402  (the URLconf is this module)

urlpatterns = [path("", index)]

if __name__ == "__main__":
    main()
