"""``coopmap snapshot``: a map image for a briefing, the same as ``/snapshot.png`` on the web."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import open_store
from geo.errors import InvalidParameter
from geo.render.cache import snapshot as cached_snapshot
from geo.render.spec import FILTERS, LANGS, METRICS, format_of_suffix, parse_snapshot
from geo.render.views import VIEWS
from geo.storage.io import write_bytes_atomic
from layers import CATALOGUE


@click.command()
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="file to write; the suffix picks the format (.png .svg .pdf)",
)
@click.option("--view", type=click.Choice(sorted(VIEWS)), help="named view (default africa)")
@click.option("--iso3", help="frame one country, e.g. COD")
@click.option("--bbox", help="minx,miny,maxx,maxy in degrees")
@click.option("--layers", help="comma list of catalogue layer ids")
@click.option("--metric", type=click.Choice(METRICS), help="choropleth metric (default events)")
@click.option("--datetime", "datetime_", help="OGC period, e.g. 2024 or 2024-01-01/2024-06-30")
@click.option(
    "--filter",
    "filters",
    multiple=True,
    metavar="FIELD=VALUE",
    help=f"property filter, repeatable; fields: {', '.join(FILTERS)}",
)
@click.option("--width", type=int, help="pixels (default 1200)")
@click.option("--height", type=int, help="pixels (default 750)")
@click.option("--dpi", type=int, help="dots per inch, 50-300 (default 100)")
@click.option("--title", help="title (default from the view)")
@click.option("--lang", type=click.Choice(LANGS), help="language of the labels (default en)")
def snapshot(
    output: Path,
    view: str | None,
    iso3: str | None,
    bbox: str | None,
    layers: str | None,
    metric: str | None,
    datetime_: str | None,
    filters: tuple[str, ...],
    width: int | None,
    height: int | None,
    dpi: int | None,
    title: str | None,
    lang: str | None,
) -> None:
    """Render a map snapshot (PNG, SVG or PDF) of the workspace data."""
    fmt = format_of_suffix(output.suffix)
    params = {
        "view": view,
        "iso3": iso3,
        "bbox": bbox,
        "layers": layers,
        "metric": metric,
        "datetime": datetime_,
        "width": width,
        "height": height,
        "dpi": dpi,
        "title": title,
        "lang": lang,
    }
    args = {k: str(v) for k, v in params.items() if v is not None}
    for item in filters:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidParameter("filter", item, "expected FIELD=VALUE, e.g. event_type=Battles")
        args[name.strip()] = value
    settings, store = open_store()
    map_layers = CATALOGUE.map_layers()
    shot = cached_snapshot(store, settings, parse_snapshot(args, map_layers), fmt, map_layers)
    write_bytes_atomic(output, shot.content)
    source = "cache" if shot.from_cache else "rendered"
    click.echo(
        f"{output}: {len(shot.content):,} bytes ({fmt}, {source}, "
        f"data version {store.data_version})"
    )
