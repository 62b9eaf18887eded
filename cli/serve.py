"""``coopmap serve``: the web service (gunicorn by default, Flask's reloading server with ``--dev``).

The app, and with it the default workspace on a fresh machine, is built once in this process
before gunicorn forks its workers, so the workspace is built once, not once per worker. Then the
app is warmed there (``webmap.warm``: the event layer read, indexed and prepared) before the port
is bound, so the workers inherit it and the first request is as quick as the next. SIGTERM
(or Ctrl-C) stops gunicorn gracefully: workers finish their requests (up to ``graceful_timeout``
seconds) and the command exits with status 0.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from flask import Flask


def default_workers() -> int:
    """gunicorn worker processes: 2 × CPUs + 1, at most 9."""
    return min(2 * (os.cpu_count() or 1) + 1, 9)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=5000, show_default=True, type=int, help="port to listen on")
@click.option("--dev", is_flag=True, help="Flask's development server, reloading on code changes (not for production)")
@click.option("--production", is_flag=True, hidden=True, help="the default (gunicorn); kept for old scripts")
@click.option("--workers", type=click.IntRange(1, 64), default=None,
              help="gunicorn worker processes [default: 2 x CPUs + 1, at most 9]")
@click.option("--threads", type=click.IntRange(1, 64), default=4, show_default=True,
              help="threads per gunicorn worker")
@click.option("--forwarded-allow-ips", default="127.0.0.1", show_default=True,
              help="addresses of the reverse proxies whose X-Forwarded-Proto gunicorn trusts")
@click.option("--access-log/--no-access-log", default=False, show_default=True,
              help="log every request to stderr (gunicorn)")
@click.option("--warm/--no-warm", default=True, show_default=True,
              help="prepare the layers before accepting requests (gunicorn; --dev stays lazy)")
def serve(host: str, port: int, dev: bool, production: bool, workers: int | None, threads: int,
          forwarded_allow_ips: str, access_log: bool, warm: bool) -> None:
    """Serve the maps and the API on the workspace data (built from the defaults on first start)."""
    from webmap import create_app

    if dev and production:
        raise click.UsageError("--dev and --production exclude each other")
    app = create_app()
    opened_by = os.getpid()
    try:
        home = app.extensions["coopmap.settings"].home
        if dev:
            click.echo(f"coopmap serving {home} on http://{host}:{port}/ (development server, reloading)")
            app.run(host=host, port=port, threaded=True, use_reloader=True)
            return
        from webmap.wsgi import GunicornApp

        if warm:
            _warm(app)
        workers = workers or default_workers()
        # the master's database connections are not the workers' to share: each worker opens its own
        app.extensions["coopmap.store"].close()
        click.echo(f"coopmap serving {home} on http://{host}:{port}/ (gunicorn, {workers} workers x {threads} threads)")
        GunicornApp(app, {
            "bind": f"{host}:{port}",
            "workers": workers,
            "threads": threads,
            "worker_class": "gthread",
            "forwarded_allow_ips": forwarded_allow_ips,
            "accesslog": "-" if access_log else None,
            "timeout": 60,
            "graceful_timeout": 10,
            "keepalive": 5,
            "limit_request_line": 8190,
            "limit_request_fields": 100,
            "control_socket_disable": True,
        }).run()
    finally:  # the server stopped: close the store the app opened (the PostGIS pool), in this
        # process only, not in a gunicorn worker leaving through here with the master's pool inherited
        if os.getpid() == opened_by:
            app.extensions["coopmap.store"].close()


def _warm(app: Flask) -> None:
    """Warm ``app`` (``webmap.warm``), logging each request and the total to stderr."""
    import time

    from webmap.warm import Warmed, warm

    def report(w: Warmed) -> None:
        click.echo(f"warmed {w.path} as {w.role} ({w.status}) in {w.seconds * 1000:.0f} ms", err=True)

    started = time.perf_counter()
    done = warm(app, report=report)
    click.echo(f"warmed {len(done)} requests in {time.perf_counter() - started:.1f} s", err=True)
