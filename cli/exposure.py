"""``coopmap exposure``: conflict around every project site and ENVR school."""

from __future__ import annotations

from pathlib import Path

import click
import geopandas as gpd
import pandas as pd

from cli.common import open_store
from cli.options import query_options, query_params
from geo.analytics.exposure import EXPOSURE_LAYERS, with_exposure
from geo.errors import LayerNotFound
from geo.features.export import format_of, write_frame

COLUMNS = [
    "layer",
    "id",
    "name",
    "country_iso3",
    "exposure_events",
    "exposure_fatalities",
    "nearest_event_m",
    "exposure_radius_km",
    "exposure_period",
    "data_note",
    "exposure_note",
]


@click.command()
@click.option(
    "--layer",
    "layer_ids",
    type=click.Choice([*EXPOSURE_LAYERS, "all"]),
    default="all",
    show_default=True,
    help="which sites",
)
@click.option(
    "--radius-km", type=float, default=50.0, show_default=True, help="search radius (geodesic)"
)
@click.option(
    "--months",
    type=int,
    default=12,
    show_default=True,
    help="length of the default period, ending on the latest event",
)
@query_options(bbox=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="also write the table (.csv .geojson .gpkg .parquet .fgb)",
)
def exposure(
    layer_ids: str,
    radius_km: float,
    months: int,
    datetime_: str | None,
    event_type: str | None,
    sub_event_type: str | None,
    source_dataset: str | None,
    output: Path | None,
) -> None:
    """Events and fatalities within a radius of every project site and ENVR school."""
    if output is not None:
        format_of(output)  # fail on a bad suffix before computing
    _, store = open_store()
    params = query_params(
        radius_km=radius_km,
        months=months,
        datetime_=datetime_,
        event_type=event_type,
        sub_event_type=sub_event_type,
        source_dataset=source_dataset,
    )
    wanted = EXPOSURE_LAYERS if layer_ids == "all" else (layer_ids,)
    present = [layer_id for layer_id in wanted if store.has(layer_id)]
    if not present:
        raise LayerNotFound(" / ".join(wanted))
    table = pd.concat(
        [_rows(layer_id, with_exposure(store, layer_id, params)) for layer_id in present],
        ignore_index=True,
    )
    table = table.sort_values(
        ["exposure_events", "exposure_fatalities"], ascending=False, kind="stable"
    )
    click.echo(_text(table))
    if output is not None:
        write_frame(table, output, "exposure", {"data_version": store.data_version})
        click.echo(f"{len(table)} sites written to {output}")


def _rows(layer_id: str, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    frame = frame[frame.geometry.notna()]  # a project not mapped has no place to be exposed
    if layer_id == "projects":
        ids = frame["site_id"] if "site_id" in frame else frame["acronym"]
        names = (
            frame["acronym"].astype("string") + " — " + frame["site"].astype("string").fillna("")
        )
    else:
        ids = frame["acronym"]
        names = frame["name"].astype("string")
    out = frame.assign(layer=layer_id, id=ids.astype("string"), name=names)
    return gpd.GeoDataFrame(out[COLUMNS], geometry=frame.geometry.values, crs=frame.crs)


def _text(table: pd.DataFrame) -> str:
    lines = [
        f"{'layer':<9} {'id':<16} {'name':<36} {'iso3':<4} "
        f"{'events':>7} {'fatal.':>7} {'nearest km':>10}"
    ]
    for row in table.itertuples():
        nearest = "-" if pd.isna(row.nearest_event_m) else f"{row.nearest_event_m / 1000:.1f}"
        events, fatalities = (
            "-" if pd.isna(v) else str(v) for v in (row.exposure_events, row.exposure_fatalities)
        )
        lines.append(
            f"{row.layer:<9} {str(row.id)[:16]:<16} {str(row.name)[:36]:<36} "
            f"{('' if pd.isna(row.country_iso3) else str(row.country_iso3))[:4]:<4} {events:>7} "
            f"{fatalities:>7} {nearest:>10}"
        )
    if len(table):
        first = table.iloc[0]
        lines.append(
            f"radius {first.exposure_radius_km:g} km, period {first.exposure_period or 'no events'}"
        )
        notes = {n for n in table["data_note"] if n}
        if notes:
            lines.append("events: " + ", ".join(sorted(notes)))
        vague = int((table["exposure_note"].fillna("") != "").sum())
        if vague:
            lines.append(f"-: {vague} sites located only to their country ({table['exposure_note'].max()})")
    return "\n".join(lines)
