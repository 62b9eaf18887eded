"""Cartography shared by the interactive maps: choropleth classes, colours and map regions."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import geopandas as gpd
import mapclassify
import numpy as np
import pandas as pd
import shapely
from matplotlib import colormaps
from matplotlib.colors import to_hex

from geo.errors import InvalidParameter
from geo.types import BBox

METRICS = ("events", "fatalities", "change_pct", "events_per_100k")
"""Columns of the country summary a choropleth can show."""

OVERVIEW_BBOX: BBox = (-25.0, -36.0, 64.0, 42.0)
"""Africa and the Middle East."""

MIDDLE_EAST = {"IRN", "EGY", "TUR", "CYP"}
"""Countries shown on the overview besides Africa and Western Asia."""

NO_DATA = "#e8e4dc"
ZERO = "#fbf4e6"
CHANGE_BREAKS = (-50.0, -10.0, 10.0, 50.0)
CHANGE_COLORS = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")

STATUS_COLORS = {
    "active": "#1a9850",
    "planned": "#3a78d8",
    "closed": "#7a7a7a",
    "suspended": "#d73027",
    "open": "#1a9850",
    "unknown": "#9e9e9e",
}
"""Marker colour of a project site or school by its status."""


@dataclass(frozen=True)
class Classes:
    """A choropleth classification: one colour per value and the legend rows."""

    colors: list[str]
    legend: list[tuple[str, str]]
    """(colour, label) from the lowest class to the highest, then no-data."""


def parse_metric(value: str | None) -> str:
    """The choropleth metric, ``events`` by default; anything else names the allowed values."""
    if not value:
        return "events"
    if value not in METRICS:
        raise InvalidParameter("metric", value, f"use one of {', '.join(METRICS)}")
    return value


def _label(low: float, high: float, pct: bool) -> str:
    unit = " %" if pct else ""

    def fmt(v: float) -> str:
        return f"{v:,.0f}" if abs(v) >= 10 or float(v).is_integer() else f"{v:,.2f}"

    if low == high:
        return f"{fmt(low)}{unit}"
    return f"{fmt(low)} – {fmt(high)}{unit}"


def classify(
    values: pd.Series, metric: str, *, k: int = 5, no_data_label: str = "no data"
) -> Classes:
    """Colour ``values`` in at most ``k`` classes (Fisher-Jenks; fixed diverging breaks for change).

    Zero gets its own pale class for counts and rates; missing values are grey.

    Examples
    --------
    >>> c = classify(pd.Series([0, 1, 2, 50, 60]), "events", k=2)
    >>> c.colors[0] == ZERO, c.colors[3] == c.colors[4], len(c.legend)
    (True, True, 3)
    """
    numbers = pd.to_numeric(values, errors="coerce").astype("float64").to_numpy()
    colors = np.full(len(numbers), NO_DATA, dtype=object)
    legend: list[tuple[str, str]] = []
    valid = ~np.isnan(numbers)
    if metric == "change_pct":
        bins = np.digitize(numbers[valid], CHANGE_BREAKS, right=True)
        colors[valid] = np.asarray(CHANGE_COLORS, dtype=object)[bins]
        edges = ["< -50 %", "-50 – -10 %", "-10 – +10 %", "+10 – +50 %", "> +50 %"]
        legend = list(zip(CHANGE_COLORS, edges, strict=True))
    else:
        positive = valid & (numbers > 0)
        zero = valid & (numbers <= 0)
        colors[zero] = ZERO
        legend.append((ZERO, "0"))
        distinct = np.unique(numbers[positive])
        if len(distinct):
            n = int(min(k, len(distinct)))
            ramp = colormaps["YlOrRd"]
            palette = [to_hex(ramp(0.2 + 0.8 * i / max(n - 1, 1))) for i in range(n)]
            if n == 1:
                bins = np.zeros(int(positive.sum()), dtype=int)
                uppers = [float(distinct[0])]
            else:
                with warnings.catch_warnings():
                    warnings.filterwarnings(
                        "ignore", message="Numba not installed", category=UserWarning
                    )
                    scheme = mapclassify.FisherJenks(numbers[positive], k=n)
                bins = scheme.yb
                uppers = [float(b) for b in scheme.bins]
            colors[positive] = np.asarray(palette, dtype=object)[bins]
            low = float(distinct[0])
            for color, high in zip(palette, uppers, strict=False):
                legend.append((color, _label(low, high, False)))
                above = distinct[distinct > high]
                low = float(above[0]) if len(above) else high
    if (~valid).any():
        legend.append((NO_DATA, no_data_label))
    return Classes([str(c) for c in colors], legend)


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
