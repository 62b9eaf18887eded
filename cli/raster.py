"""``coopmap raster``: a conflict-density GeoTIFF (and PNG overlay)."""

from __future__ import annotations

from pathlib import Path

import click
import orjson

from cli.common import open_store
from cli.options import query_options, query_params
from geo.analytics.overlay import MAX_OVERLAY_PIXELS, overlay_for, write_png
from geo.analytics.raster import VALUES, density_for, grid_tags, write_cog
from geo.errors import InvalidParameter
from geo.storage.io import write_bytes_atomic


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="the Cloud-Optimised GeoTIFF to write (.tif)",
)
@click.option(
    "--png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="also write a colourised PNG overlay (Web Mercator rows) "
    "and FILE.png.json with its bounds",
)
@click.option(
    "--resolution", type=float, default=0.5, show_default=True, help="cell size in degrees"
)
@click.option(
    "--value",
    type=click.Choice(VALUES),
    default="events",
    show_default=True,
    help="count events or sum fatalities per cell",
)
@query_options(bbox=True)
def raster(
    output: Path,
    png: Path | None,
    resolution: float,
    value: str,
    bbox: str | None,
    datetime_: str | None,
    event_type: str | None,
    sub_event_type: str | None,
    source_dataset: str | None,
) -> None:
    """Write a conflict-density grid for a bbox, resolution, period and filters."""
    if output.suffix.lower() not in (".tif", ".tiff"):
        raise InvalidParameter(
            "output", str(output), "the density grid is a GeoTIFF: use a .tif suffix"
        )
    if png is not None and png.suffix.lower() != ".png":
        raise InvalidParameter("png", str(png), "use a .png suffix")
    _, store = open_store()
    params = query_params(
        resolution=resolution,
        value=value,
        bbox=bbox,
        datetime_=datetime_,
        event_type=event_type,
        sub_event_type=sub_event_type,
        source_dataset=source_dataset,
    )
    grid = density_for(store, params)
    write_cog(grid, str(output))
    tags = grid_tags(grid)
    height, width = grid.values.shape
    click.echo(
        f"{width} x {height} cells of {resolution:g}° over {grid.bbox}, {grid.total} {value}, "
        f"period {tags['period']}, written to {output}"
    )
    if grid.note:
        click.echo(f"events: {grid.note}")
    if png is not None:
        overlay = overlay_for(store, params)
        write_png(overlay, str(png))
        meta = {
            "bounds": overlay.bounds,
            "rows": "Web Mercator (EPSG:3857), for Leaflet ImageOverlay",
            "width": overlay.width,
            "height": overlay.height,
            "maximum": overlay.maximum,
            "resolution": overlay.resolution,
            **tags,
        }
        sidecar = png.with_name(png.name + ".json")
        write_bytes_atomic(sidecar, orjson.dumps(meta, option=orjson.OPT_INDENT_2))
        click.echo(
            f"overlay {overlay.width} x {overlay.height} px"
            + (f" (coarsened to {overlay.resolution:g}° to stay within {MAX_OVERLAY_PIXELS} px)"
               if overlay.resolution != resolution else "")
            + ", "
            f"bounds {list(map(list, overlay.bounds))}, "
            f"written to {png} (+ {sidecar.name})"
        )
