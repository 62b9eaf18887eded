"""Cartography of the interactive maps: metrics, map regions, status colours, light geometries.

The choropleth classes and palette are ``geo.render.classes`` (shared with the snapshots).
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely

from geo.errors import InvalidParameter
from geo.types import BBox

METRICS = ("events", "fatalities", "change_pct", "events_per_100k")
"""Columns of the country summary a choropleth can show."""

OVERVIEW_BBOX: BBox = (-25.0, -36.0, 64.0, 42.0)
"""Africa and the Middle East."""

MIDDLE_EAST = {"IRN", "EGY", "TUR", "CYP"}
"""Countries shown on the overview besides Africa and Western Asia."""

STATUS_COLORS = {
    "active": "#1a9850",
    "planned": "#3a78d8",
    "closed": "#7a7a7a",
    "suspended": "#d73027",
    "open": "#1a9850",
    "unknown": "#9e9e9e",
}
"""Marker colour of a project site or school by its status."""


def parse_metric(value: str | None) -> str:
    """The choropleth metric, ``events`` by default; anything else names the allowed values."""
    if not value:
        return "events"
    if value not in METRICS:
        raise InvalidParameter("metric", value, f"use one of {', '.join(METRICS)}")
    return value


def overview_countries(countries: gpd.GeoDataFrame) -> np.ndarray:
    """True for the countries of the overview map: Africa, Western Asia and ``MIDDLE_EAST``."""
    return (
        (
            (countries["continent"] == "Africa")
            | (countries["subregion"] == "Western Asia")
            | countries["iso3"].isin(MIDDLE_EAST)
        )
        .fillna(False)
        .to_numpy()
    )


def light_geometry(frame: gpd.GeoDataFrame, grid: float = 0.01) -> gpd.GeoDataFrame:
    """The frame with coordinates snapped to ``grid`` degrees, for small GeoJSON payloads."""
    out = frame.copy()
    out["geometry"] = shapely.set_precision(frame.geometry.values, grid, mode="pointwise")
    return out[~out.geometry.is_empty]


def padded_bbox(geometry: shapely.Geometry, pad: float = 0.08) -> BBox:
    """The bounds of ``geometry`` grown by ``pad`` of their size on each side."""
    minx, miny, maxx, maxy = geometry.bounds
    dx, dy = (maxx - minx) * pad, (maxy - miny) * pad
    return (
        max(minx - dx, -180.0),
        max(miny - dy, -85.0),
        min(maxx + dx, 180.0),
        min(maxy + dy, 85.0),
    )
