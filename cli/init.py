"""``coopmap init``: build the default workspace explicitly (``serve`` does it on first start)."""

from __future__ import annotations

import click

from geo.config import Settings
from geo.ingest.defaults import ensure_defaults
from geo.storage.store import store_from_settings


@click.command()
def init() -> None:
    """Build the default layers the workspace lacks (countries, registries, demo events).

    Safe to run while servers start: one process builds, the others wait for it and find the
    workspace built. Layers already there are left as they are.
    """
    settings = Settings()
    with store_from_settings(settings) as store:
        built = ensure_defaults(store, settings)
        if built:
            click.echo(f"built {', '.join(built)} in {settings.home}")
        else:
            click.echo(f"workspace {settings.home} already built")
        click.echo(f"data version {store.data_version}")
