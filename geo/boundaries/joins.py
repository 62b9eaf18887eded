"""Assigning events to boundaries: point in polygon, with nearest-boundary fallback at sea.

A ``PolygonIndex`` answers "which polygon holds this point" fast: a 0.1° grid tells, for every
cell no boundary crosses, the polygon that holds the whole cell (or none); only points in cells a
boundary crosses are tested exactly with a shapely ``STRtree``. Points in no polygon are matched
to the nearest boundary within ``max_distance_km``, measured in kilometres in a local
equirectangular projection around each point (accurate to well under 1 % at 25 km).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import shapely
from rasterio import features
from rasterio.transform import Affine

from geo.boundaries.spatialindex import built
from geo.cache import LRUCache
from geo.errors import InvalidParameter
from geo.storage.diskcache import DiskCache

KM_PER_DEGREE = 6371.0088 * np.pi / 180
"""Kilometres per degree of latitude (mean Earth radius)."""

GRID_RES = 0.1
PIECE_SEGMENTS = 32
WITHIN, NEAREST, NONE = "within", "nearest", "none"


@dataclass(frozen=True)
class PolygonIndex:
    """Polygons with their grid, exact tree and boundary pieces (see the module docstring)."""

    geoms: np.ndarray
    tree: shapely.STRtree
    grid: np.ndarray
    """Polygon position per cell; -1 in no polygon; -2 crossed by a boundary."""
    pieces: np.ndarray
    piece_owner: np.ndarray
    piece_tree: shapely.STRtree
    cache: DiskCache | None = None
    """The disk cache of the grid (``polygon-grid-<key>.npy``) and of its near masks."""
    key: str = ""
    """The geometry content's hash, naming the cached files."""
    _near: dict[float, np.ndarray] = field(default_factory=dict, compare=False, repr=False)

    def locate(
        self, x: np.ndarray, y: np.ndarray, max_distance_km: float
    ) -> tuple[np.ndarray, np.ndarray]:
        """Position of the polygon holding (or nearest to) each point, -1 for none, and how
        (0 none, 1 within, 2 nearest)."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        found = self._grid_lookup(x, y)
        mixed = np.flatnonzero(found == -2)
        if len(mixed):
            found[mixed] = self._exact(x[mixed], y[mixed])
        how = np.where(found >= 0, 1, 0).astype(np.int8)
        outside = np.flatnonzero(found < 0)
        if len(outside) and max_distance_km > 0:
            outside = outside[self._cells(self.near_mask(max_distance_km), x[outside], y[outside])]
            near = self._nearest(x[outside], y[outside], max_distance_km)
            found[outside] = near
            how[outside[near >= 0]] = 2
        return found, how

    def _grid_lookup(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        return self._cells(self.grid, x, y).astype(np.int64)

    @staticmethod
    def _cells(grid: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        rows, cols = grid.shape
        col = np.clip(((x + 180.0) / GRID_RES).astype(np.int64), 0, cols - 1)
        row = np.clip(((90.0 - y) / GRID_RES).astype(np.int64), 0, rows - 1)
        return grid[row, col]

    def near_mask(self, max_km: float) -> np.ndarray:
        """Cells that may lie within ``max_km`` of a polygon (a conservative box around each)."""
        if max_km not in self._near:
            name = f"polygon-grid-{self.key}-near-{max_km:g}km.npy"
            packed = _load_array(self.cache, name)
            if packed is not None:
                mask = np.unpackbits(packed, count=self.grid.size).reshape(self.grid.shape)
            else:
                mask = _dilate(self.grid != -1, max_km)
                _save_array(self.cache, name, np.packbits(mask))
            self._near[max_km] = mask.astype(bool)
        return self._near[max_km]

    def _exact(self, x: np.ndarray, y: np.ndarray) -> np.ndarray:
        src, dst = self.tree.query(shapely.points(x, y))
        out = np.full(len(x), -1, dtype=np.int64)
        order = np.lexsort((src, dst))
        src, dst = src[order], dst[order]
        hit = np.zeros(len(src), dtype=bool)
        bounds = (
            np.flatnonzero(np.r_[True, dst[1:] != dst[:-1], True]) if len(dst) else np.array([0])
        )
        for start, stop in zip(bounds[:-1], bounds[1:], strict=True):
            rows = src[start:stop]
            hit[start:stop] = shapely.intersects_xy(self.geoms[dst[start]], x[rows], y[rows])
        src, dst = src[hit], dst[hit]
        order = np.lexsort((dst, src))  # lowest polygon position wins on shared borders
        src, dst = src[order], dst[order]
        first = np.r_[True, src[1:] != src[:-1]] if len(src) else np.array([], bool)
        out[src[first]] = dst[first]
        return out

    def _nearest(self, x: np.ndarray, y: np.ndarray, max_km: float) -> np.ndarray:
        src, dst, distance = self._piece_distances(x, y, max_km)
        out = np.full(len(x), -1, dtype=np.int64)
        if not len(src):
            return out
        polygon = self.piece_owner[dst]
        order = np.lexsort((polygon, distance, src))
        src, distance, polygon = src[order], distance[order], polygon[order]
        first = np.r_[True, src[1:] != src[:-1]]
        close = first & (distance <= max_km)
        out[src[close]] = polygon[close]
        return out

    def distance_km(
        self, x: np.ndarray, y: np.ndarray, target: np.ndarray, max_km: float
    ) -> np.ndarray:
        """Kilometres from each point to the polygon at position ``target[i]`` (0 inside it),
        ``inf`` when farther than ``max_km``; measured as ``locate`` measures (local
        equirectangular projection around each point)."""
        x, y = np.asarray(x, float), np.asarray(y, float)
        target = np.asarray(target, dtype=np.int64)
        out = np.full(len(x), np.inf)
        if not len(x):
            return out
        inside = shapely.intersects_xy(self.geoms[target], x, y)
        out[inside] = 0.0
        rest = np.flatnonzero(~inside)
        if not len(rest) or max_km <= 0:
            return out
        src, dst, distance = self._piece_distances(x[rest], y[rest], max_km)
        mine = self.piece_owner[dst] == target[rest][src]
        best = np.full(len(rest), np.inf)
        np.minimum.at(best, src[mine], distance[mine])
        out[rest] = np.where(best <= max_km, best, np.inf)
        return out

    def _piece_distances(
        self, x: np.ndarray, y: np.ndarray, max_km: float
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(point, piece, km)`` for every boundary piece whose box comes within ``max_km`` of
        a point, the distance in km in a local equirectangular projection around the point."""
        dlat = max_km / KM_PER_DEGREE * 1.01
        coslat = np.cos(np.radians(np.clip(np.abs(y) + dlat, 0, 89.9)))
        dlon = np.minimum(dlat / coslat, 180.0)
        src, dst = self.piece_tree.query(shapely.box(x - dlon, y - dlat, x + dlon, y + dlat))
        if not len(src):
            return src, dst, np.array([], dtype=float)
        geoms = self.pieces[dst]
        counts = shapely.get_num_coordinates(geoms)
        owner = np.repeat(np.arange(len(src)), counts)
        coords = shapely.get_coordinates(geoms)
        px, py = x[src][owner], y[src][owner]
        local = (
            np.column_stack([(coords[:, 0] - px) * np.cos(np.radians(py)), coords[:, 1] - py])
            * KM_PER_DEGREE
        )
        distance = shapely.distance(
            shapely.linestrings(local, indices=owner), shapely.points(0.0, 0.0)
        )
        return src, dst, distance


POLYGON_GRID_CACHE_MB = 256
"""Byte budget of the polygon grids on disk (a world grid is 26 MB; one per boundaries file)."""

POLYGON_INDEXES = LRUCache(8)
"""``PolygonIndex`` per geometry content (the countries, the provinces...)."""


def polygon_index(polygons: gpd.GeoDataFrame, cache_dir: Path | None = None) -> PolygonIndex:
    """The ``PolygonIndex`` of ``polygons`` (EPSG:4326), cached in memory by geometry content,
    and its grid on disk under ``cache_dir`` when given (building the grid takes about a second)."""
    if polygons.crs is None or polygons.crs.to_epsg() != 4326:
        raise InvalidParameter("polygons.crs", polygons.crs, "boundaries must be in EPSG:4326")
    raw = np.asarray(polygons.geometry.values, dtype=object)
    h = hashlib.blake2b(digest_size=16)
    h.update(shapely.get_num_coordinates(raw).astype(np.int64).tobytes())
    h.update(np.ascontiguousarray(shapely.get_coordinates(raw)).tobytes())
    key = h.hexdigest()
    return POLYGON_INDEXES.get_or_compute(key, lambda: _build(shapely.make_valid(raw), key, cache_dir))


def polygon_grid_cache(cache_dir: Path) -> DiskCache:
    """The disk cache of polygon grids and near masks: ``cache_dir/polygon-grids``, 256 MB."""
    return DiskCache(Path(cache_dir) / "polygon-grids", POLYGON_GRID_CACHE_MB * 2**20)


def _load_array(cache: DiskCache | None, name: str) -> np.ndarray | None:
    handle = cache.open(name) if cache is not None else None
    if handle is None:
        return None
    with handle:
        return np.load(handle)


def _save_array(cache: DiskCache | None, name: str, array: np.ndarray) -> None:
    if cache is not None:
        cache.fill(name, lambda path: np.save(path, array)).close()


def _build(geoms: np.ndarray, key: str, cache_dir: Path | None) -> PolygonIndex:
    cache = polygon_grid_cache(cache_dir) if cache_dir is not None else None
    if cache_dir is not None:  # grids of earlier versions sat at the cache's root, unbounded
        for legacy in Path(cache_dir).glob("polygon-grid-*.npy"):
            legacy.unlink(missing_ok=True)
    grid = _load_array(cache, f"polygon-grid-{key}.npy")
    if grid is None:
        grid = _grid(geoms)
        _save_array(cache, f"polygon-grid-{key}.npy", grid)
    shapely.prepare(geoms)
    pieces, owner = _boundary_pieces(geoms)
    return PolygonIndex(
        geoms,
        built(shapely.STRtree(geoms)),
        grid,
        pieces,
        owner,
        built(shapely.STRtree(pieces)),
        cache,
        key,
    )


def _grid(geoms: np.ndarray) -> np.ndarray:
    shape = (int(round(180 / GRID_RES)), int(round(360 / GRID_RES)))
    transform = Affine(GRID_RES, 0, -180.0, 0, -GRID_RES, 90.0)
    grid = np.full(shape, -1, dtype=np.int32)
    if not len(geoms):
        return grid
    shapes = [
        (g, i) for i, g in reversed(list(enumerate(geoms))) if g is not None and not g.is_empty
    ]
    grid = features.rasterize(shapes, out_shape=shape, transform=transform, fill=-1, dtype="int32")
    edges = features.rasterize(
        ((b, 1) for b in shapely.boundary(geoms) if b is not None and not b.is_empty),
        out_shape=shape,
        transform=transform,
        fill=0,
        all_touched=True,
        dtype="uint8",
    )
    crossed = edges.astype(bool)
    grown = crossed.copy()  # one cell of margin around every crossed cell
    grown[1:, :] |= crossed[:-1, :]
    grown[:-1, :] |= crossed[1:, :]
    grown[:, 1:] |= grown[:, :-1].copy()
    grown[:, :-1] |= grown[:, 1:].copy()
    grid[grown] = -2
    return grid


def _dilate(mask: np.ndarray, km: float) -> np.ndarray:
    """Grow ``mask`` by ``km`` in every direction: rows by a fixed count, columns by a count
    that grows with latitude (a degree of longitude shrinks towards the poles)."""
    rows, cols = mask.shape
    dy = int(np.ceil(km / KM_PER_DEGREE / GRID_RES)) + 1
    padded = np.pad(mask, ((dy, dy), (0, 0)))
    tall = np.zeros_like(mask)
    for shift in range(2 * dy + 1):
        tall |= padded[shift : shift + rows]
    lat = 90.0 - (np.arange(rows) + 0.5) * GRID_RES
    coslat = np.cos(np.radians(np.clip(np.abs(lat) + (dy + 1) * GRID_RES, 0, 90)))
    with np.errstate(divide="ignore"):
        dx = np.ceil(km / (KM_PER_DEGREE * GRID_RES * coslat)) + 1
    dx = np.minimum(dx, cols).astype(np.int64)
    total = np.zeros((rows, cols + 1), dtype=np.int32)
    np.cumsum(tall, axis=1, out=total[:, 1:])
    index = np.arange(cols)
    out = np.empty((rows, cols), dtype=bool)
    for d in np.unique(dx):  # rows sharing a width, a few dozen groups
        band = np.flatnonzero(dx == d)
        hi, lo = np.minimum(index + d + 1, cols), np.maximum(index - d, 0)
        part = total[band]
        out[band] = (part[:, hi] - part[:, lo]) > 0
    return out


def _boundary_pieces(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Polygon boundaries cut into short linestrings (fast nearest queries)."""
    lines = shapely.get_parts(shapely.boundary(geoms), return_index=True)
    parts, owner = lines
    parts = shapely.get_parts(parts, return_index=True)
    lines, owner = parts[0], owner[parts[1]]
    coords, which = shapely.get_coordinates(lines, return_index=True)
    starts = np.flatnonzero(np.r_[True, which[1:] != which[:-1]])
    stops = np.r_[starts[1:], len(which)]
    piece_coords, piece_ids, piece_owner = [], [], []
    n = 0
    for start, stop, line in zip(starts, stops, which[starts], strict=True):
        for s in range(start, stop - 1, PIECE_SEGMENTS):
            e = min(s + PIECE_SEGMENTS + 1, stop)
            piece_coords.append(coords[s:e])
            piece_ids.append(np.full(e - s, n))
            piece_owner.append(owner[line])
            n += 1
    if not n:
        return np.array([], dtype=object), np.array([], dtype=np.int64)
    pieces = shapely.linestrings(np.concatenate(piece_coords), indices=np.concatenate(piece_ids))
    return pieces, np.asarray(piece_owner, dtype=np.int64)


def assign_countries(
    events: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    max_distance_km: float = 25,
    provinces: gpd.GeoDataFrame | None = None,
    cache_dir: Path | None = None,
) -> gpd.GeoDataFrame:
    """Set ``country_iso3``, ``assigned_by`` and (with ``provinces``) ``province`` on events.

    Parameters
    ----------
    events : point events in EPSG:4326 (the ``conflict-events`` frame)
    countries : admin-0 polygons with ``iso3`` (the ``countries`` layer)
    max_distance_km : events in no polygon take the nearest country within this distance
        (``assigned_by = "nearest"``); farther ones get no country (``"none"``)
    provinces : admin-1 polygons with ``code`` and ``iso3``; an event gets the province (its
        ``code``) holding it or nearest within ``max_distance_km``, when in its assigned country
    cache_dir : where to keep the boundary grids between runs (e.g. ``settings.cache_dir``)

    Returns
    -------
    A copy of ``events`` with the three columns set.

    Examples
    --------
    >>> out = assign_countries(events, store.read("countries"))  # doctest: +SKIP
    >>> out.assigned_by.value_counts()  # doctest: +SKIP
    """
    if events.crs is not None and events.crs.to_epsg() != 4326:
        raise InvalidParameter("events.crs", events.crs, "events must be in EPSG:4326")
    x, y = shapely.get_x(events.geometry.values), shapely.get_y(events.geometry.values)
    found = assign_points(x, y, countries, max_distance_km, provinces, cache_dir)
    out = events.copy(deep=False)  # new columns only: the event data is shared, not copied
    for name, values in found.items():
        out[name] = pd.array(values.to_numpy(zero_copy_only=False), dtype="string")
    return out


def assign_points(
    x: np.ndarray,
    y: np.ndarray,
    countries: gpd.GeoDataFrame,
    max_distance_km: float = 25,
    provinces: gpd.GeoDataFrame | None = None,
    cache_dir: Path | None = None,
) -> dict[str, pa.Array]:
    """``country_iso3``, ``assigned_by`` and (with ``provinces``) ``province`` of points given
    as longitude / latitude arrays (EPSG:4326), as Arrow string arrays; see ``assign_countries``.
    """
    if max_distance_km < 0:
        raise InvalidParameter("max_distance_km", max_distance_km, "must be >= 0")
    x, y = np.asarray(x, float), np.asarray(y, float)
    found, how = polygon_index(countries, cache_dir).locate(x, y, max_distance_km)
    iso = pa.array(countries["iso3"].astype(object).to_numpy(), pa.string())
    out = {
        "country_iso3": iso.take(pa.array(found, mask=found < 0)),
        "assigned_by": pa.array([NONE, WITHIN, NEAREST]).take(pa.array(how)),
    }
    if provinces is not None and len(provinces):
        out["province"] = assign_provinces(
            x, y, out["country_iso3"], provinces, max_distance_km, cache_dir
        )
    return out


def assign_provinces(
    x: np.ndarray,
    y: np.ndarray,
    country: pa.Array,
    provinces: gpd.GeoDataFrame,
    max_km: float,
    cache_dir: Path | None,
) -> pa.Array:
    """The ``code`` of the province holding (or nearest within ``max_km`` to) each point, null
    unless that province lies in the point's ``country`` (ISO alpha-3 per point)."""
    found, _ = polygon_index(provinces, cache_dir).locate(x, y, max_km)
    code = pa.array(provinces["code"].astype(object).to_numpy(), pa.string())
    iso = provinces["iso3"].astype(object).to_numpy()
    safe = np.maximum(found, 0)
    same = (found >= 0) & (iso[safe] == country.to_numpy(zero_copy_only=False))
    return code.take(pa.array(safe, mask=~same))
