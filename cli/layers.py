"""``coopmap layers``: the catalogue with row counts."""

from __future__ import annotations

import click

from cli.common import open_store
from layers import CATALOGUE


@click.command()
def layers() -> None:
    """List the layers of the catalogue with their row counts in the workspace."""
    settings, store = open_store()
    manifest = store.manifest()
    click.echo(f"workspace {settings.home}  data version {manifest.data_version}")
    click.echo(f"{'id':<20} {'rows':>10}  {'access':<10} title")
    for layer in CATALOGUE:
        if layer.source.computed:
            rows = "computed"
        elif layer.id in manifest.layers:
            rows = str(manifest.layers[layer.id].rows)
        else:
            rows = "-"
        click.echo(f"{layer.id:<20} {rows:>10}  {layer.access:<10} {layer.title}")
