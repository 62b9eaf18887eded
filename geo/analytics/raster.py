"""Conflict-density grids: events (or fatalities) per cell, as a Cloud-Optimised GeoTIFF.

The grid is plate carrée (EPSG:4326): cells of ``resolution`` degrees, aligned on multiples of
the resolution (the bbox is widened to whole cells). Each event falls in exactly one cell, so the
per-country zonal sums equal the summary's counts wherever no cell straddles a border (a cell
belongs to the zone containing its centre). The map's PNG overlay of the same selection is
``geo.analytics.overlay``.

The work and memory of a request are bounded by its OUTPUT, whatever the bbox and resolution
asked: a grid has at most ``MAX_CELLS`` cells (finer is refused, naming ``resolution``), built
from the occupied cells only, in uint32 counts, never in float64 images.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np
import pandas as pd
import rasterio
import rasterio.features
import rasterio.shutil
from rasterio.io import MemoryFile
from rasterio.transform import Affine

from geo.analytics.prepared import (
    FILTER_FIELDS,
    EventArrays,
    prepared_events,
    resolve_period,
    select_events,
    selection_note,
)
from geo.cache import RESULTS
from geo.errors import InvalidParameter
from geo.query import Query, parse_query
from geo.storage.io import atomic_path
from geo.storage.store import Store
from geo.types import WGS84, BBox, Period

DEFAULT_RESOLUTION = 0.5
MAX_CELLS = 2**24
"""At most 16,777,216 cells in a density grid (64 MB of uint32; a global grid of 0.1° has 6.5
million): a finer resolution for the bbox is refused."""
VALUES = ("events", "fatalities")
RASTER_PARAMS = ("resolution", "value")


@dataclass(frozen=True)
class DensityGrid:
    """A density grid in EPSG:4326; row 0 is the northern edge."""

    values: np.ndarray
    bbox: BBox
    resolution: float
    value: str
    period: Period | None
    filters: tuple[tuple[str, tuple[str, ...]], ...]
    note: str
    datasets: tuple[str, ...]
    data_version: str = ""

    @property
    def transform(self) -> Affine:
        return Affine(self.resolution, 0.0, self.bbox[0], 0.0, -self.resolution, self.bbox[3])

    @property
    def total(self) -> int:
        return int(self.values.sum())


def snap_bbox(bbox: BBox, resolution: float) -> BBox:
    """Widen ``bbox`` to whole cells aligned on multiples of ``resolution`` (within ±180/±90).

    Examples
    --------
    >>> snap_bbox((-17.3, -11.9, 44.2, 24.1), 0.5)
    (-17.5, -12.0, 44.5, 24.5)
    """
    minx, miny, maxx, maxy = bbox
    snapped = (
        math.floor(minx / resolution + 1e-9) * resolution,
        math.floor(miny / resolution + 1e-9) * resolution,
        math.ceil(maxx / resolution - 1e-9) * resolution,
        math.ceil(maxy / resolution - 1e-9) * resolution,
    )
    minx, miny, maxx, maxy = (
        max(snapped[0], -180.0),
        max(snapped[1], -90.0),
        min(snapped[2], 180.0),
        min(snapped[3], 90.0),
    )
    if maxx <= minx:
        maxx = min(minx + resolution, 180.0)
    if maxy <= miny:
        maxy = min(miny + resolution, 90.0)
    return (minx, miny, maxx, maxy)


def density_grid(
    arrays: EventArrays,
    query: Query,
    resolution: float = DEFAULT_RESOLUTION,
    value: str = "events",
) -> DensityGrid:
    """Count events (or sum fatalities) per cell.

    Parameters
    ----------
    arrays : ``prepare_events`` of the event layer
    query : bbox (default: the selected events' extent), period (default: the last 12 months of
        data) and filters
    resolution : cell size in degrees
    value : ``"events"`` or ``"fatalities"``

    Returns
    -------
    DensityGrid

    Examples
    --------
    >>> query = parse_query({"datetime": "2024"}, FILTER_FIELDS)
    >>> grid = density_grid(prepare_events(events), query, resolution=0.25)  # doctest: +SKIP
    """
    if not (math.isfinite(resolution) and 0 < resolution <= 90):
        raise InvalidParameter("resolution", resolution, "must be a number of degrees in (0, 90]")
    if value not in VALUES:
        raise InvalidParameter("value", value, f"use one of {list(VALUES)}")
    period = resolve_period(query, arrays)
    selected = select_events(arrays, query, period)
    selected &= np.isfinite(arrays.lon) & np.isfinite(arrays.lat)
    bbox = query.bbox or events_extent(arrays, selected)
    bbox = snap_bbox(bbox, resolution)
    cols = round((bbox[2] - bbox[0]) / resolution)
    rows = round((bbox[3] - bbox[1]) / resolution)
    if cols * rows > MAX_CELLS:
        raise InvalidParameter(
            "resolution",
            resolution,
            f"{cols} x {rows} cells for bbox {bbox}; use a coarser resolution or a smaller bbox",
        )
    lon, lat = arrays.lon[selected], arrays.lat[selected]
    col = np.floor((lon - bbox[0]) / resolution).astype(np.int64)
    row = np.floor((bbox[3] - lat) / resolution).astype(np.int64)
    # Events on the eastern or southern edge of the bbox belong to the last cell.
    col = np.where((col == cols) & (lon <= bbox[2]), cols - 1, col)
    row = np.where((row == rows) & (lat >= bbox[1]), rows - 1, row)
    inside = (col >= 0) & (col < cols) & (row >= 0) & (row < rows)
    weights = arrays.fatalities[selected][inside] if value == "fatalities" else None
    counts = bin_counts(row[inside] * cols + col[inside], weights, rows * cols)
    counted = np.zeros(len(arrays), dtype=bool)
    counted[np.flatnonzero(selected)[inside]] = True
    sources = arrays.filters["source_dataset"]
    used = np.unique(sources.codes[counted])
    datasets = tuple(sorted(str(label) for label in sources.labels[used[used >= 0]]))
    return DensityGrid(
        counts.reshape(rows, cols),
        bbox,
        resolution,
        value,
        period,
        query.filters,
        selection_note(arrays, counted),
        datasets,
    )


def bin_counts(cells: np.ndarray, weights: np.ndarray | None, size: int) -> np.ndarray:
    """Events (or ``weights``) summed per flat cell index, as ``size`` uint32 counts.

    Only the occupied cells are summed: memory is 4 bytes a cell plus the events, never a
    float64 or int64 array of every cell.
    """
    occupied, inverse = np.unique(cells, return_inverse=True)
    out = np.zeros(size, dtype=np.uint32)
    out[occupied] = np.bincount(inverse, weights=weights, minlength=len(occupied))
    return out


def events_extent(arrays: EventArrays, selected: np.ndarray) -> BBox:
    if not selected.any():
        return (-180.0, -90.0, 180.0, 90.0)
    lon, lat = arrays.lon[selected], arrays.lat[selected]
    return (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))


def grid_tags(grid: DensityGrid) -> dict[str, str]:
    """The GeoTIFF tags: period, filters, source, units (and the synthetic note when due)."""
    filters = "; ".join(f"{name}={','.join(values)}" for name, values in grid.filters) or "none"
    unit = "conflict events" if grid.value == "events" else "fatalities"
    tags = {
        "period": str(grid.period) if grid.period else "../..",
        "filters": filters,
        "source": f"coopmap conflict-events ({', '.join(grid.datasets) or 'no events'}); "
        f"data version {grid.data_version or 'n/a'}",
        "units": f"{unit} per cell of {grid.resolution:g} x {grid.resolution:g} degrees",
        "value": grid.value,
    }
    if grid.note:
        tags["note"] = grid.note
    return tags


def write_cog(grid: DensityGrid, path: str) -> None:
    """Write ``grid`` as a Cloud-Optimised GeoTIFF (deflate, overviews by average) atomically."""
    height, width = grid.values.shape
    profile = {
        "driver": "GTiff",
        "dtype": "uint32",
        "count": 1,
        "width": width,
        "height": height,
        "crs": WGS84,
        "transform": grid.transform,
    }
    with MemoryFile() as memory:
        with memory.open(**profile) as dataset:
            dataset.write(grid.values, 1)
            dataset.update_tags(**grid_tags(grid))
            dataset.set_band_description(1, grid.value)
        with memory.open() as source, atomic_path(path) as tmp:
            tmp.unlink()
            rasterio.shutil.copy(
                source, str(tmp), driver="COG", compress="DEFLATE", overview_resampling="average"
            )


def zonal_sums(grid: DensityGrid, zones: gpd.GeoDataFrame, key: str) -> pd.Series:
    """Sum the grid's cells per zone (a cell belongs to the zone containing its centre).

    Parameters
    ----------
    grid : a density grid
    zones : polygons in EPSG:4326
    key : the zones' column naming them (e.g. ``"iso3"``)

    Returns
    -------
    Series indexed by ``key`` (zones the grid does not reach have 0)
    """
    if zones.crs is not None and zones.crs.to_epsg() != 4326:
        raise InvalidParameter("zones", str(zones.crs), "zones must be in EPSG:4326 like the grid")
    shapes = ((geom, i + 1) for i, geom in enumerate(zones.geometry.values) if geom is not None)
    labels = rasterio.features.rasterize(
        shapes,
        out_shape=grid.values.shape,
        transform=grid.transform,
        fill=0,
        dtype="int32",
        all_touched=False,
    )
    sums = np.bincount(
        labels.ravel(), weights=grid.values.ravel().astype(float), minlength=len(zones) + 1
    )
    return pd.Series(sums[1:].astype(np.int64), index=zones[key].to_numpy(), name=grid.value)


def raster_params(params: Mapping[str, str]) -> tuple[Query, float, str]:
    """Parse the raster vocabulary: bbox, datetime, event filters, ``resolution``, ``value``."""
    query = parse_query(params, FILTER_FIELDS, strict=True, reserved=RASTER_PARAMS)
    raw = params.get("resolution") or DEFAULT_RESOLUTION
    try:
        resolution = float(raw)
    except ValueError:
        raise InvalidParameter("resolution", raw, "must be a number of degrees") from None
    return query, resolution, str(params.get("value") or "events")


def density_for(store: Store, params: Mapping[str, str]) -> DensityGrid:
    """The density grid of the stored events for request or CLI parameters (cached)."""
    query, resolution, value = raster_params(params)
    return cached_density(store, query, resolution, value)


def cached_density(store: Store, query: Query, resolution: float, value: str) -> DensityGrid:
    version = store.data_version

    def compute() -> DensityGrid:
        grid = density_grid(prepared_events(store), query, resolution, value)
        return replace(grid, data_version=version)

    return RESULTS.get_or_compute((version, "density", query.key(), resolution, value), compute)
