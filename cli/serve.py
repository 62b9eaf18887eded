"""``coopmap serve``: the web service."""

from __future__ import annotations

import click


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="address to listen on")
@click.option("--port", default=5000, show_default=True, type=int, help="port to listen on")
def serve(host: str, port: int) -> None:
    """Serve the maps and the API on the workspace data (built from the defaults on first start)."""
    from webmap import create_app

    app = create_app()
    click.echo(f"coopmap serving {app.extensions['coopmap.settings'].home} on http://{host}:{port}/")
    app.run(host=host, port=port, threaded=True)
