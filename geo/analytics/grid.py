"""Server-side aggregation of conflict events for the interactive map.

A map view (bbox and zoom) gets either the events themselves, when few enough to cluster in the
browser, or one cell per occupied grid square, so the payload stays bounded whatever the data size.
Events whose location is imprecise (``precision`` >= 3: province, region or country) are never
returned as points: they are only counted in grid cells.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InvalidParameter
from geo.types import BBox

CELL_PIXELS = 32
"""Grid cell edge, in screen pixels at the requested zoom."""

MAX_POINTS = 2000
"""Above this many events in the view, only grid cells are returned."""

MAX_CELLS = 4096
"""A view never spans more cells than this: for a bbox larger than a screen at that zoom, the
cells grow (by powers of two) so the response stays bounded whatever the request."""

IMPRECISE = 3
"""Events with ``precision`` >= this are counted in cells, never drawn as exact points."""

POINT_COLUMNS = [
    "event_id",
    "event_date",
    "event_type",
    "sub_event_type",
    "actor1",
    "actor2",
    "location",
    "fatalities",
    "source",
    "source_dataset",
    "precision",
]


@dataclass(frozen=True)
class GridView:
    """What the map draws for one view: exact points, and grid cells for the rest."""

    mode: str
    """``"points"`` (sparse view: ``points`` holds the precise events) or ``"grid"``."""
    points: pd.DataFrame
    """One row per precise event: ``lon``, ``lat`` and ``POINT_COLUMNS``."""
    cells: pd.DataFrame
    """One row per occupied cell: ``minx``, ``miny``, ``maxx``, ``maxy``, ``events``,
    ``fatalities``,
    ``top_type``."""
    cell_size: float
    total: int
    synthetic: int
    """How many of the ``total`` events are synthetic demo data."""


def cell_size_for_zoom(zoom: int) -> float:
    """Cell edge in degrees of longitude for a Web Mercator ``zoom`` level.

    Examples
    --------
    >>> round(cell_size_for_zoom(3), 3)
    5.625
    """
    if not 0 <= zoom <= 22:
        raise InvalidParameter("zoom", zoom, "expected an integer from 0 to 22")
    return 360.0 / (256 * 2**zoom) * CELL_PIXELS


def grid_view(
    events: gpd.GeoDataFrame, bbox: BBox, zoom: int, *, max_points: int = MAX_POINTS
) -> GridView:
    """Aggregate the ``events`` inside ``bbox`` for display at ``zoom``.

    Parameters
    ----------
    events : conflict events, already filtered by period and type (any extent)
    bbox : the view (minx, miny, maxx, maxy) in degrees
    zoom : the map zoom level, which sets the cell size (grown when the bbox would need more than
        ``MAX_CELLS`` cells)
    max_points : above this many precise events, the view switches to grid cells only

    Returns
    -------
    GridView; cells are aligned on a global grid so they do not jump when the view pans

    Examples
    --------
    >>> view = grid_view(events, (12, -14, 32, 6), 5)  # doctest: +SKIP
    >>> view.mode, int(view.cells.events.sum()) == view.total  # doctest: +SKIP
    ('grid', True)
    """
    minx, miny, maxx, maxy = bbox
    size = cell_size_for_zoom(zoom)
    while ((maxx - minx) / size + 1) * ((maxy - miny) / size + 1) > MAX_CELLS:
        size *= 2
    x, y = _coordinates(events)
    inside = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
    selected = events[inside]
    x, y = x[inside], y[inside]
    precision = selected["precision"].to_numpy(dtype="float64", na_value=1.0)
    precise = precision < IMPRECISE
    synthetic = int((selected["source_dataset"] == "synthetic-demo").fillna(False).sum())
    mode = "points" if int(precise.sum()) <= max_points else "grid"
    to_cells = ~precise if mode == "points" else np.ones(len(selected), dtype=bool)
    cells = _cells(selected[to_cells], x[to_cells], y[to_cells], size)
    if mode == "points":
        points = pd.DataFrame(selected.loc[precise, POINT_COLUMNS]).assign(
            lon=x[precise], lat=y[precise]
        )
    else:
        points = pd.DataFrame(columns=["lon", "lat", *POINT_COLUMNS])
    return GridView(mode, points.reset_index(drop=True), cells, size, int(len(selected)), synthetic)


def _coordinates(events: gpd.GeoDataFrame) -> tuple[np.ndarray, np.ndarray]:
    if not len(events):
        return np.empty(0), np.empty(0)
    geometry = events.geometry.values
    return np.asarray(geometry.x, dtype="float64"), np.asarray(geometry.y, dtype="float64")


def _cells(events: pd.DataFrame, x: np.ndarray, y: np.ndarray, size: float) -> pd.DataFrame:
    columns = ["minx", "miny", "maxx", "maxy", "events", "fatalities", "top_type"]
    if not len(events):
        return pd.DataFrame(columns=columns)
    col = np.floor(x / size).astype("int64")
    row = np.floor(y / size).astype("int64")
    frame = pd.DataFrame(
        {
            "col": col,
            "row": row,
            "fatalities": events["fatalities"].to_numpy(dtype="int64", na_value=0),
            "event_type": events["event_type"].astype("string").fillna("").to_numpy(),
        }
    )
    grouped = frame.groupby(["col", "row"], sort=True)
    out = grouped.agg(events=("fatalities", "size"), fatalities=("fatalities", "sum"))
    top = (
        frame.groupby(["col", "row", "event_type"])
        .size()
        .reset_index(name="n")
        .sort_values(["col", "row", "n", "event_type"], ascending=[True, True, False, True])
        .drop_duplicates(["col", "row"])
        .set_index(["col", "row"])["event_type"]
    )
    out["top_type"] = top
    out = out.reset_index()
    out["minx"] = out["col"] * size
    out["miny"] = out["row"] * size
    out["maxx"] = out["minx"] + size
    out["maxy"] = out["miny"] + size
    return out[columns]
