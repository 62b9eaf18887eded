"""Fast selection and paging over one layer.

A ``LayerIndex`` is built once per layer and data version: polygons are oriented to the
right-hand rule, point coordinates are kept as arrays sorted by longitude, dates as day numbers
and property values as integer codes. A bbox query then costs a binary search plus work on the
points inside the longitude band, not a GeoDataFrame filter; selections are cached so deep
pages cost a slice.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.boundaries.spatialindex import built
from geo.cache import FRAMES, LRUCache
from geo.features.cqlmask import cql_mask
from geo.query import Query
from geo.registries.periods import TimeSpan, extent, overlaps, span_days
from geo.types import Period

SortKey = tuple[tuple[str, bool], ...]
SELECTIONS_CACHED = 64
"""Selections (row positions) kept per index."""


class LayerIndex:
    """Arrays over one layer frame that answer ``Query`` selections quickly.

    Parameters
    ----------
    frame : the layer's features in EPSG:4326
    time : when a feature exists (``geo.registries.periods.TimeSpan``; a column name is an
        instant), the ``datetime`` parameter selects by it; None: no time
    """

    def __init__(self, frame: gpd.GeoDataFrame, time: TimeSpan | str | None) -> None:
        self.frame = orient_frame(frame)
        span = TimeSpan(time) if isinstance(time, str) else time
        self.time = span if span is not None and span.start in frame.columns else None
        self.time_field = self.time.start if self.time is not None else None
        self.n = len(frame)
        geoms = self.frame.geometry.array
        types = shapely.get_type_id(np.asarray(geoms))
        self.points = bool(self.n) and bool(np.all((types == 0) | (types == -1)))
        self._lock = threading.Lock()
        self._codes: dict[str, tuple[np.ndarray, pd.Index]] = {}
        self._sort_keys: dict[str, np.ndarray] = {}
        self._span: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None
        self._tree: shapely.STRtree | None = None
        self._selections = LRUCache(SELECTIONS_CACHED)
        self.columns: dict[str, tuple[str, object]] = {}
        """How each column is read for output (``geo.features.geojson.ColumnValues``), shared by
        every encoder of this index."""
        if self.points:
            self.x = shapely.get_x(np.asarray(geoms)).astype(float)
            self.y = shapely.get_y(np.asarray(geoms)).astype(float)
            self._x_order = np.argsort(self.x, kind="stable")
            self._x_sorted = self.x[self._x_order]

    # -- selection ---------------------------------------------------------------------------

    def select(self, query: Query, sortby: SortKey = ()) -> np.ndarray:
        """Row positions matching ``query`` (bbox intersects, period, filters), in output order.

        Without ``sortby`` the order is the stored row order; the result is cached (LRU).
        """

        def compute() -> np.ndarray:
            positions = self._select(query)
            if sortby:
                positions = positions[self._order(positions, sortby)]
            positions.setflags(write=False)
            return positions

        return self._selections.get_or_compute((query.key(), sortby), compute)

    def _select(self, query: Query) -> np.ndarray:
        positions = self._bbox(query.bbox) if query.bbox is not None else None
        if query.period is not None and self.time is not None:
            positions = self._narrow(positions, self._period_mask, query.period)
        for name, values in query.filters:
            positions = self._narrow(positions, self._filter_mask, name, values)
        if query.cql is not None:
            positions = self._narrow(positions, lambda at: cql_mask(self, query.cql.tree(), at))
        if positions is None:
            positions = np.arange(self.n, dtype=np.int64)
        return positions

    def _narrow(
        self, positions: np.ndarray | None, mask_of: Callable[..., np.ndarray], *args: object
    ) -> np.ndarray:
        mask = mask_of(positions, *args)
        return np.flatnonzero(mask) if positions is None else positions[mask]

    def _bbox(self, bbox: tuple[float, float, float, float]) -> np.ndarray:
        minx, miny, maxx, maxy = bbox
        if not self.n:
            return np.zeros(0, dtype=np.int64)
        if self.points:
            lo = np.searchsorted(self._x_sorted, minx, side="left")
            hi = np.searchsorted(self._x_sorted, maxx, side="right")
            band = self._x_order[lo:hi]
            ys = self.y[band]
            return np.sort(band[(ys >= miny) & (ys <= maxy)])
        if self._tree is None:
            self._tree = built(shapely.STRtree(np.asarray(self.frame.geometry.array)))
        hits = self._tree.query(shapely.box(minx, miny, maxx, maxy), predicate="intersects")
        return np.sort(hits).astype(np.int64)

    def _period_mask(self, positions: np.ndarray | None, period: Period) -> np.ndarray:
        """The one period rule (``geo.registries.periods``): spans overlap it, unknown starts never."""
        start, end, exists = self._days()
        if positions is not None:
            start, end, exists = start[positions], end[positions], exists[positions]
        return overlaps(start, end, period) & exists

    def _filter_mask(
        self, positions: np.ndarray | None, name: str, values: tuple[str, ...]
    ) -> np.ndarray:
        codes, uniques = self.codes(name)
        wanted = uniques.get_indexer(pd.Index(list(values), dtype="string"))
        wanted = wanted[wanted >= 0]
        subset = codes if positions is None else codes[positions]
        return np.isin(subset, wanted)

    def _order(self, positions: np.ndarray, sortby: SortKey) -> np.ndarray:
        keys = []
        for name, descending in reversed(sortby):
            key = self.sort_key(name)[positions]
            keys.append(-key if descending else key)
        return np.lexsort(keys)

    def extent(self) -> tuple[list[float] | None, list[str | None] | None]:
        """The bbox ``[minx, miny, maxx, maxy]`` and the ``[first, last]`` dates (None when unknown;
        ``last`` None: some features are ongoing). Null geometries are left out of the bbox."""
        bbox = None
        if self.n:
            bounds = self.frame.total_bounds
            if np.isfinite(bounds).all():
                bbox = [float(b) for b in bounds]
        interval = None
        if self.time is not None and self.n:
            start, end, exists = self._days()
            dates = extent(start[exists], end[exists])
            if dates is not None:
                first, last = dates
                interval = [f"{first}T00:00:00Z", None if last is None else f"{last}T23:59:59Z"]
        return bbox, interval

    def find(self, name: str, value: str) -> np.ndarray:
        """Positions of the rows whose column ``name`` equals ``value`` (as text)."""
        codes, uniques = self.codes(name)
        code = uniques.get_indexer(pd.Index([value], dtype="string"))[0]
        return np.zeros(0, dtype=np.int64) if code < 0 else np.flatnonzero(codes == code)

    # -- cached per-column arrays ------------------------------------------------------------

    def codes(self, name: str) -> tuple[np.ndarray, pd.Index]:
        """Integer codes of the text form of column ``name`` (-1 for missing) and its values."""
        with self._lock:
            cached = self._codes.get(name)
        if cached is None:
            codes, uniques = pd.factorize(self.frame[name].astype("string"))
            cached = (narrow_codes(codes, len(uniques)), pd.Index(uniques, dtype="string"))
            with self._lock:
                self._codes[name] = cached
        return cached

    def sort_key(self, name: str) -> np.ndarray:
        """A numeric array ordering rows by column ``name`` (missing values first)."""
        with self._lock:
            cached = self._sort_keys.get(name)
        if cached is None:
            column = self.frame[name]
            if pd.api.types.is_datetime64_any_dtype(column):
                cached = column.to_numpy("datetime64[ms]").astype(np.int64).astype(float)
                cached[column.isna().to_numpy()] = -np.inf
            elif pd.api.types.is_numeric_dtype(column) or pd.api.types.is_bool_dtype(column):
                cached = column.astype("Float64").to_numpy(float, na_value=-np.inf)
            else:
                codes, _ = pd.factorize(column.astype("string"), sort=True)
                cached = codes.astype(float)
            with self._lock:
                self._sort_keys[name] = cached
        return cached

    def _days(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start and end days and the rows that exist at all (``periods.span_days``), cached."""
        if self._span is None:
            assert self.time is not None
            self._span = span_days(self.frame, self.time)
        return self._span


def layer_index(frame: gpd.GeoDataFrame, time: TimeSpan | str | None) -> LayerIndex:
    """The ``LayerIndex`` of ``frame``, built once per frame object (``geo.cache.FRAMES``).

    Cache keys that differ only by who asks (the role views of a layer that the access policy
    leaves identical) then share one index and its arrays while the frame lives.
    """
    return FRAMES.get_or_compute(frame, ("layer-index", time), lambda: LayerIndex(frame, time))


def narrow_codes(codes: np.ndarray, labels: int) -> np.ndarray:
    """Factorisation ``codes`` (-1 for missing) in the narrowest signed integer type that holds
    ``labels`` distinct values: a million rows of a column with a few hundred values then take
    2 MB instead of 8.

    Examples
    --------
    >>> narrow_codes(np.array([0, -1, 1]), 2).dtype, narrow_codes(np.array([0, 300]), 301).dtype
    (dtype('int8'), dtype('int16'))
    """
    for dtype in (np.int8, np.int16, np.int32):
        if labels <= np.iinfo(dtype).max:
            return np.asarray(codes).astype(dtype, copy=False)
    return np.asarray(codes, dtype=np.int64)


def orient_frame(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """``frame`` with polygon exteriors counter-clockwise and holes clockwise (RFC 7946)."""
    geoms = np.asarray(frame.geometry.array)
    if not len(geoms):
        return frame
    types = shapely.get_type_id(geoms)
    if not np.isin(types, (3, 6, 7)).any():
        return frame
    out = frame.copy()
    out[frame.geometry.name] = gpd.GeoSeries(
        shapely.orient_polygons(geoms, exterior_cw=False), index=frame.index, crs=frame.crs
    )
    return out

