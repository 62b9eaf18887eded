"""``coopmap export``: write a layer to a file."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import open_store
from geo.features.export import write_frame
from layers import CATALOGUE


@click.command()
@click.argument("layer_id")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="file to write; the suffix picks the format (.geojson .gpkg .csv .parquet .fgb)")
def export(layer_id: str, output: Path) -> None:
    """Export LAYER_ID to a file."""
    settings, store = open_store()
    layer = CATALOGUE.get(layer_id)
    frame = layer.source.frame(store)
    write_frame(frame, output, layer.id, {"data_version": store.data_version, "licence": layer.licence,
                                          "attribution": layer.attribution}, settings.geojson_precision)
    click.echo(f"{len(frame)} features of {layer.id} written to {output}")
