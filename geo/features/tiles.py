"""Mapbox Vector Tiles of a layer's frame in the WebMercatorQuad tile matrix set (OGC API - Tiles).

The tile maths is morecantile's (``tile_matrix_set``); this module only cuts and encodes:

- ``encode_features``: the features of a frame, projected to Web Mercator, clipped to the tile and
  its buffer and simplified to a pixel with shapely's vectorised operations, then encoded with
  mapbox-vector-tile (properties: the served fields, nulls left out as MVT has no null);
- ``encode_cells``: points aggregated to square grid cells of the tile (``count`` and the sum of a
  weight such as ``fatalities``), for low zooms and for tiles too dense to send point by point.

Which layers are tiled and how is the catalogue's ``Layer.tiling`` (a ``Tiling``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import cache
from typing import Any

import geopandas as gpd
import mapbox_vector_tile
import morecantile
import numpy as np
import pandas as pd
import pyproj
import shapely

from geo.errors import CoopmapError, InvalidParameter

TILE_MATRIX_SET = "WebMercatorQuad"
EXTENT = 4096
"""Tile coordinates per tile side (the MVT default)."""
BUFFER = 64
"""Tile coordinates drawn beyond each edge, so symbols and strokes cross tile edges unbroken."""
MAX_TILE_BYTES = 500_000
"""A point tile larger than this is sent as grid cells instead."""
MVT_MEDIA = "application/vnd.mapbox-vector-tile"


@dataclass(frozen=True)
class Tiling:
    """How a layer is cut into vector tiles (``Layer.tiling``).

    Parameters
    ----------
    aggregate_below : zoom levels below this send points as grid cells (0: never by zoom)
    weight : the numeric field summed per cell besides the count (``fatalities``), or None
    cell_size : a cell's side in tile coordinates (``EXTENT`` per tile side)
    max_points : a tile matching more points than this, or encoded larger than ``MAX_TILE_BYTES``,
        is sent as cells at any zoom; None: points are always sent one by one
    """

    aggregate_below: int = 0
    weight: str | None = None
    cell_size: int = 128
    max_points: int | None = None

    def aggregates(self, zoom: int) -> bool:
        """True when tiles of ``zoom`` are grid cells whatever their content."""
        return zoom < self.aggregate_below


class TileNotFound(CoopmapError):
    """A tile outside the tile matrix set's limits (OGC API - Tiles: 404)."""

    status = 404
    code = "NotFound"


@dataclass(frozen=True)
class TileAddress:
    """One tile of WebMercatorQuad: zoom, row, column and its bounds."""

    zoom: int
    row: int
    col: int
    xy_bounds: tuple[float, float, float, float]
    """Its bounds in EPSG:3857 metres (left, bottom, right, top)."""

    @property
    def pixel(self) -> float:
        """The size of one tile coordinate in metres."""
        return (self.xy_bounds[2] - self.xy_bounds[0]) / EXTENT

    def lonlat_box(self, buffer: int = 0) -> tuple[float, float, float, float]:
        """The tile (with ``buffer`` tile coordinates around it) in degrees, clamped to the world."""
        left, bottom, right, top = self.xy_bounds
        pad = buffer * self.pixel
        world = tile_matrix_set().xy_bbox  # no wrapping round the antimeridian
        lon0, lat0 = _to_lonlat().transform(max(left - pad, world.left), max(bottom - pad, world.bottom))
        lon1, lat1 = _to_lonlat().transform(min(right + pad, world.right), min(top + pad, world.top))
        return (max(lon0, -180.0), max(lat0, -90.0), min(lon1, 180.0), min(lat1, 90.0))


@cache
def tile_matrix_set() -> morecantile.TileMatrixSet:
    """The WebMercatorQuad tile matrix set (morecantile's definition)."""
    return morecantile.tms.get(TILE_MATRIX_SET)


@cache
def _to_mercator() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True)


@cache
def _to_lonlat() -> pyproj.Transformer:
    return pyproj.Transformer.from_crs("EPSG:3857", "EPSG:4326", always_xy=True)


def tile_address(tile_matrix: str, row: str, col: str) -> TileAddress:
    """Parse and check a tile's path parameters (``{tileMatrix}/{tileRow}/{tileCol}``).

    Raises
    ------
    InvalidParameter
        When a value is not a whole number (400).
    TileNotFound
        When the zoom is beyond the set's or the row or column outside the matrix (404).

    Examples
    --------
    >>> address = tile_address("1", "0", "1")
    >>> [round(v) for v in address.xy_bounds]
    [0, 0, 20037508, 20037508]
    """
    values = []
    for name, text in (("tileMatrix", tile_matrix), ("tileRow", row), ("tileCol", col)):
        if not (text.isascii() and text.isdigit() and len(text) <= 9):
            raise InvalidParameter(name, text, "expected a whole number of at least 0")
        values.append(int(text))
    zoom, r, c = values
    tms = tile_matrix_set()
    if zoom > tms.maxzoom:
        raise TileNotFound(f"tileMatrix={zoom} is beyond this tile matrix set (0 to {tms.maxzoom})")
    matrix = tms.matrix(zoom)
    if r >= matrix.matrixHeight or c >= matrix.matrixWidth:
        raise TileNotFound(
            f"tile {zoom}/{r}/{c} is outside tile matrix {zoom} "
            f"(rows and columns 0 to {matrix.matrixHeight - 1})"
        )
    bounds = tms.xy_bounds(morecantile.Tile(c, r, zoom))
    return TileAddress(zoom, r, c, (bounds.left, bounds.bottom, bounds.right, bounds.top))


def _to_tile(geoms: np.ndarray, address: TileAddress) -> np.ndarray:
    """Geometries in EPSG:3857 metres to tile coordinates (y down, origin top-left)."""
    left, _, _, top = address.xy_bounds
    scale = 1.0 / address.pixel
    return shapely.transform(geoms, lambda xy: np.column_stack([(xy[:, 0] - left) * scale,
                                                                  (top - xy[:, 1]) * scale]))


def _column_values(column: pd.Series) -> list[Any]:
    """A column's values as MVT stores them (ISO dates, Python numbers and text), None where null
    (MVT has no null: the property is left out)."""
    missing = column.isna().to_numpy()
    if pd.api.types.is_datetime64_any_dtype(column.dtype):
        values = column.dt.strftime("%Y-%m-%d").astype(object).to_numpy()
    elif pd.api.types.is_bool_dtype(column.dtype):
        values = column.astype(object).to_numpy()
    elif pd.api.types.is_integer_dtype(column.dtype):
        values = column.astype("Int64").astype(object).to_numpy()
    elif pd.api.types.is_float_dtype(column.dtype):
        values = column.astype(float).to_numpy().astype(object)
    else:
        values = np.array([_text(v) for v in column.to_numpy(dtype=object)], dtype=object)
    values = np.array(values, dtype=object)  # a writable copy
    values[missing] = None
    return values.tolist()


def _text(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    return str(value)


def _encode(name: str, features: list[dict[str, Any]]) -> bytes:
    return mapbox_vector_tile.encode(
        {"name": name, "features": features},
        default_options={"extents": EXTENT, "y_coord_down": True,
                         "on_invalid_geometry": mapbox_vector_tile.encoder.on_invalid_geometry_make_valid},
    )


def encode_features(frame: gpd.GeoDataFrame, fields: list[str], name: str, address: TileAddress,
                    ids: np.ndarray | None = None) -> bytes:
    """One MVT layer ``name`` of the features of ``frame`` (EPSG:4326) that fall in the tile.

    Parameters
    ----------
    frame : the features, any geometry type, in EPSG:4326
    fields : the properties to write, in order (columns of ``frame``)
    name : the MVT layer name (the collection id)
    address : the tile
    ids : the MVT feature ids (unsigned integers), or None for none

    Returns
    -------
    bytes
        The encoded tile (an empty tile when nothing falls in it).
    """
    geoms = np.asarray(frame.geometry.array, dtype=object)
    kinds = shapely.get_type_id(geoms)
    if len(geoms) and np.all(kinds == 0):  # points: straight to tile coordinates
        left, _, _, top = address.xy_bounds
        mx, my = mercator(shapely.get_x(geoms), shapely.get_y(geoms))
        geoms = shapely.points(np.round((mx - left) / address.pixel), np.round((top - my) / address.pixel))
    elif len(geoms):
        geoms = shapely.transform(geoms, lambda xy: np.column_stack(_to_mercator().transform(xy[:, 0], xy[:, 1])))
        left, bottom, right, top = address.xy_bounds
        pad = BUFFER * address.pixel
        polygonal = kinds > 0
        if polygonal.any():  # lines and polygons: cut to the tile and its buffer, one pixel of detail
            cut = shapely.clip_by_rect(geoms[polygonal], left - pad, bottom - pad, right + pad, top + pad)
            geoms[polygonal] = shapely.simplify(cut, address.pixel, preserve_topology=True)
        geoms = shapely.set_precision(_to_tile(geoms, address), 1.0)
    keep = ~(shapely.is_empty(geoms) | shapely.is_missing(geoms)) if len(geoms) else np.zeros(0, bool)
    names = [f for f in fields if f in frame.columns]
    rows = list(zip(*(_column_values(frame[f]) for f in names), strict=True)) if names else [()] * len(frame)
    features = []
    for i in np.flatnonzero(keep):
        properties = {f: v for f, v in zip(names, rows[i], strict=True) if v is not None}
        feature: dict[str, Any] = {"geometry": geoms[i], "properties": properties}
        if ids is not None:
            feature["id"] = int(ids[i])
        features.append(feature)
    return _encode(name, features)


def mercator(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Longitudes and latitudes to EPSG:3857 metres (pyproj)."""
    mx, my = _to_mercator().transform(np.asarray(x, dtype=float), np.asarray(y, dtype=float))
    return np.asarray(mx), np.asarray(my)


@dataclass(frozen=True)
class CellGrid:
    """The grid cells of a tile in degrees: columns are equal steps of longitude (Web Mercator's x
    is linear in it), rows lie between the latitudes of their edges in Mercator (``lat_edges``,
    ascending, ``per_side + 1`` of them). So a point's cell needs no projection, in NumPy as in SQL
    (``width_bucket``), and both stores put every point in the same cell."""

    per_side: int
    lon_left: float
    lon_step: float
    lat_edges: tuple[float, ...]

    def cells(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        """The cell number (``row * per_side + column``, rows from the north) of each point, -1 outside."""
        col = np.floor((np.asarray(x, dtype=float) - self.lon_left) / self.lon_step)
        row = self.per_side - np.searchsorted(np.asarray(self.lat_edges), np.asarray(y, dtype=float), side="right")
        inside = (col >= 0) & (col < self.per_side) & (row >= 0) & (row < self.per_side)
        return np.where(inside, row * self.per_side + np.where(inside, col, 0).astype(np.int64), -1)


def cell_grid(address: TileAddress, tiling: Tiling) -> CellGrid:
    """The ``CellGrid`` of ``tiling.cell_size`` tile coordinates in the tile at ``address``."""
    per_side = EXTENT // tiling.cell_size
    left, bottom, right, top = address.xy_bounds
    step = (top - bottom) / per_side
    lons, _ = _to_lonlat().transform(np.array([left, right]), np.zeros(2))
    _, lats = _to_lonlat().transform(np.zeros(per_side + 1), bottom + step * np.arange(per_side + 1))
    lon_left, lon_right = (float(v) for v in np.asarray(lons))
    edges = np.asarray(lats, dtype=float)
    return CellGrid(per_side, lon_left, (lon_right - lon_left) / per_side, tuple(edges.tolist()))


def encode_cells(x: np.ndarray, y: np.ndarray, weights: np.ndarray | None, name: str, address: TileAddress,
                 tiling: Tiling) -> bytes:
    """One MVT layer ``name`` of grid cells aggregating points (lon ``x``, lat ``y``) in the tile.

    Each cell of ``tiling.cell_size`` tile coordinates holding points is one point feature at the
    cell's centre with ``count`` and, when ``weights`` are given and any is known, the sum
    ``tiling.weight`` (unknown weights count as nothing; a cell whose weights are all unknown
    has no such property). The feature id is ``row * cells_per_side + column`` of the cell
    (``cell_grid``). Points outside the tile are left out: every point counts in one tile.
    """
    grid = cell_grid(address, tiling)
    per_side = grid.per_side
    found = grid.cells(x, y)
    inside = found >= 0
    cell = found[inside]
    counts = np.bincount(cell, minlength=per_side * per_side)
    sums = known = None
    if weights is not None and tiling.weight is not None:
        w = np.asarray(weights, dtype=float)[inside]
        valid = ~np.isnan(w)
        sums = np.bincount(cell[valid], weights=w[valid], minlength=per_side * per_side)
        known = np.bincount(cell[valid], minlength=per_side * per_side)
    half = tiling.cell_size / 2
    features = []
    for c in np.flatnonzero(counts):
        properties: dict[str, Any] = {"count": int(counts[c])}
        if sums is not None and known is not None and known[c]:
            properties[tiling.weight] = int(sums[c]) if float(sums[c]).is_integer() else float(sums[c])
        r, k = divmod(int(c), per_side)
        point = shapely.Point(k * tiling.cell_size + half, r * tiling.cell_size + half)
        features.append({"geometry": point, "properties": properties, "id": int(c)})
    return _encode(name, features)
