"""The density overlay for the map: the density grid's selection, colourised as a PNG in Web
Mercator rows, with the corners Leaflet's ``ImageOverlay`` needs.

Leaflet stretches an image linearly in Web Mercator between its corner bounds, so the PNG is binned
again in Web Mercator rows (its columns are the grid's, ``geo.analytics.raster``): a plate-carrée
PNG would sit several cells off at the edges of a large bbox. An overlay has at most
``MAX_OVERLAY_PIXELS`` pixels: a finer resolution is coarsened by powers of two, and the overlay
says which resolution it used.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from matplotlib import colormaps
from matplotlib.image import imsave

from geo.analytics.prepared import EventArrays, prepared_events, resolve_period, select_events
from geo.analytics.raster import (
    DEFAULT_RESOLUTION,
    DensityGrid,
    bin_counts,
    cached_density,
    events_extent,
    raster_params,
    snap_bbox,
)
from geo.cache import RESULTS
from geo.errors import InvalidParameter
from geo.query import Query
from geo.storage.io import write_bytes_atomic
from geo.storage.store import Store
from geo.types import BBox

MAX_OVERLAY_PIXELS = 2**22
"""At most 4,194,304 pixels (and grid cells) behind a PNG overlay, about 2048 x 2048, more than a
screen shows (16 MB of uint8 RGBA): a finer resolution is coarsened by powers of two."""
MERCATOR_LAT = 85.0511287798066
"""Web Mercator's latitude limit."""
COLORMAP = "YlOrRd"


@dataclass(frozen=True)
class PngOverlay:
    """A colourised PNG and its corners for ``L.imageOverlay(url, bounds)``."""

    png: bytes
    bounds: tuple[tuple[float, float], tuple[float, float]]
    """((south, west), (north, east)) in degrees, Leaflet's order."""
    width: int
    height: int
    maximum: int
    resolution: float = DEFAULT_RESOLUTION
    """The cell size used, in degrees (coarser than the one asked when ``overlay_resolution``
    had to coarsen it)."""


def mercator_overlay(
    arrays: EventArrays, grid: DensityGrid, query: Query, colormap: str = COLORMAP
) -> PngOverlay:
    """A colourised PNG of the same selection, in Web Mercator rows, transparent where 0.

    The columns are the grid's; rows are equal steps of Web Mercator y between the bbox's
    latitudes (clamped to ±85.05°), about as tall as the columns are wide. ``colormap`` is a
    matplotlib colormap name.
    """
    minx, miny, maxx, maxy = grid.bbox
    south, north = max(miny, -MERCATOR_LAT), min(maxy, MERCATOR_LAT)
    rows, cols = overlay_shape(grid.bbox, grid.resolution)
    y_south, y_north = _mercator_y(np.array([south, north]))
    selected = select_events(arrays, query, grid.period)
    lon, lat = arrays.lon[selected], arrays.lat[selected]
    keep = (lon >= minx) & (lon <= maxx) & (lat >= south) & (lat <= north)
    lon, lat = lon[keep], lat[keep]
    col = np.minimum(np.floor((lon - minx) / grid.resolution).astype(np.int64), cols - 1)
    row = np.minimum(
        np.floor((y_north - _mercator_y(lat)) / (y_north - y_south) * rows).astype(np.int64),
        rows - 1,
    )
    weights = arrays.fatalities[selected][keep] if grid.value == "fatalities" else None
    counts = bin_counts(row * cols + col, weights, rows * cols).reshape(rows, cols)
    rgba = colourise(counts, colormap)
    buffer = io.BytesIO()
    imsave(buffer, rgba, format="png")
    return PngOverlay(
        buffer.getvalue(),
        ((south, minx), (north, maxx)),
        cols,
        rows,
        int(counts.max(initial=0)),
        grid.resolution,
    )


def overlay_shape(bbox: BBox, resolution: float) -> tuple[int, int]:
    """(rows, columns) of the overlay of the snapped ``bbox``: the grid's columns, and rows of equal
    Web Mercator steps about as tall as the columns are wide.

    Examples
    --------
    >>> overlay_shape((0.0, 0.0, 10.0, 10.0), 1.0)  # near the equator, about square cells
    (10, 10)
    """
    minx, miny, maxx, maxy = bbox
    south, north = max(miny, -MERCATOR_LAT), min(maxy, MERCATOR_LAT)
    cols = round((maxx - minx) / resolution)
    y_south, y_north = _mercator_y(np.array([south, north]))
    rows = max(1, round(cols * (y_north - y_south) / math.radians(maxx - minx)))
    return rows, cols


def overlay_resolution(bbox: BBox, resolution: float, max_pixels: int = MAX_OVERLAY_PIXELS) -> float:
    """The finest resolution, ``resolution`` times a power of two, whose overlay of ``bbox`` (and
    its grid) has at most ``max_pixels`` pixels (cells).

    Examples
    --------
    >>> overlay_resolution((-180, -85, 180, 85), 0.05)  # 0.1° would be 3600 x 3589 pixels
    0.2
    >>> overlay_resolution((0, 0, 10, 10), 0.05)
    0.05
    """
    if not (math.isfinite(resolution) and 0 < resolution <= 90):
        raise InvalidParameter("resolution", resolution, "must be a number of degrees in (0, 90]")
    while True:
        snapped = snap_bbox(bbox, resolution)
        rows, cols = overlay_shape(snapped, resolution)
        grid_cells = round((snapped[2] - snapped[0]) / resolution) * round((snapped[3] - snapped[1]) / resolution)
        if max(rows * cols, grid_cells) <= max_pixels or resolution >= 90:
            return resolution
        resolution = min(float(f"{resolution * 2:.6g}"), 90.0)


def _mercator_y(lat: np.ndarray) -> np.ndarray:
    return np.log(np.tan(np.pi / 4 + np.radians(np.asarray(lat, float)) / 2))


def colourise(counts: np.ndarray, colormap: str = COLORMAP) -> np.ndarray:
    """Counts → RGBA bytes: ``colormap`` on a log scale up to the maximum, transparent where 0.

    Only the non-zero cells are coloured (in float64); the image is uint8 from the start, 4 bytes
    a pixel, so an image of mostly empty cells costs little more than its bytes.
    """
    counts = np.asarray(counts)
    rgba = np.zeros((*counts.shape, 4), dtype=np.uint8)
    where = np.nonzero(counts)
    values = counts[where].astype(float)
    if values.size:
        scaled = np.log1p(values) / np.log1p(values.max())
        colours = (colormaps[colormap](0.15 + 0.85 * scaled) * 255).round().astype(np.uint8)
        colours[:, 3] = 220
        rgba[where] = colours
    return rgba


def overlay_for(store: Store, params: Mapping[str, str], colormap: str = COLORMAP) -> PngOverlay:
    """The PNG overlay of the density grid for ``params`` in ``colormap``, cached by data version.

    A resolution too fine for ``MAX_OVERLAY_PIXELS`` over the bbox (by default the selected
    events' extent) is coarsened (``overlay_resolution``): the overlay's ``resolution`` says which
    was used, and requests coarsened alike share one cached overlay.
    """
    query, resolution, value = raster_params(params)
    bbox = query.bbox
    if bbox is None:
        arrays = prepared_events(store)
        selected = select_events(arrays, query, resolve_period(query, arrays))
        bbox = events_extent(arrays, selected & np.isfinite(arrays.lon) & np.isfinite(arrays.lat))
    resolution = overlay_resolution(bbox, resolution)
    return RESULTS.get_or_compute(
        (store.data_version, "overlay", query.key(), resolution, value, colormap),
        lambda: mercator_overlay(
            prepared_events(store), cached_density(store, query, resolution, value), query, colormap
        ),
    )


def write_png(overlay: PngOverlay, path: str) -> None:
    """Write the overlay's PNG atomically."""
    write_bytes_atomic(path, overlay.png)
