"""The one bounded LRU cache of coopmap, and the two analytics caches built on it.

Every in-memory cache of the code base is an ``LRUCache`` (``PerObject`` only lets keys built from
one frame share what is prepared from it): analytics results and preparations
(here), prepared feature indexes (``layers.selection.prepared_cache``), secured frames
(``layers.access.SECURE_CACHE_SIZE``), projected snapshot base maps (``geo.render.snapshot``), polygon
indexes of the joins (``geo.boundaries.joins``), rendered map bodies (``webmap.responses``) and the
PostGIS store's selections (``geo.storage.pgselect``).

The summaries, the exposure columns and the density rasters are pure functions of the store's
data and the request parameters; the data version changes whenever any layer changes, so a key
that includes it can never serve a stale result. A repeated request costs one dictionary lookup.
"""

from __future__ import annotations

import dataclasses
import sys
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import pandas as pd
import shapely

T = TypeVar("T")

Sizeof = Callable[[Any], int]
"""``sizeof(value)``: the bytes a cached value holds (an estimate is enough)."""

Supersedes = Callable[[Hashable, Hashable], bool]
"""``supersedes(new_key, old_key)``: True when storing ``new_key`` makes ``old_key`` useless."""


@dataclass
class CacheStats:
    """Counters of a cache: ``misses`` is the number of times the result was computed."""

    hits: int = 0
    misses: int = 0


@dataclass
class _Gate:
    """The lock the one computing thread of a key holds; ``users`` counts the threads at it."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    users: int = 0


class LRUCache:
    """A thread-safe least-recently-used cache holding at most ``maxsize`` results.

    Parameters
    ----------
    maxsize : number of results kept; the least recently used is dropped first
    supersedes : optional rule ``supersedes(new_key, old_key)``; storing ``new_key`` drops every
        entry whose key it supersedes (e.g. the same layer built from older data)
    max_bytes : optional byte budget: the least recently used results are dropped until the
        stored results' sizes add up to at most this; a result larger than the whole budget is
        returned to its caller but not stored
    sizeof : how the size of a result is measured (default ``approximate_nbytes``); used only
        with ``max_bytes``

    Examples
    --------
    >>> cache = LRUCache(2)
    >>> cache.get_or_compute(("v1", "answer"), lambda: 42)
    42
    >>> cache.get_or_compute(("v1", "answer"), lambda: 0)
    42
    >>> cache.stats.hits, cache.stats.misses
    (1, 1)
    >>> sized = LRUCache(8, max_bytes=10, sizeof=len)
    >>> sized.get_or_compute("a", lambda: b"123456"), sized.get_or_compute("b", lambda: b"7890123")
    (b'123456', b'7890123')
    >>> "a" in sized, sized.total_bytes  # 6 + 7 > 10: the older went
    (False, 7)
    """

    def __init__(
        self,
        maxsize: int,
        supersedes: Supersedes | None = None,
        *,
        max_bytes: int | None = None,
        sizeof: Sizeof | None = None,
    ) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize={maxsize!r}: must be at least 1")
        if max_bytes is not None and max_bytes < 1:
            raise ValueError(f"max_bytes={max_bytes!r}: must be at least 1")
        self.maxsize = maxsize
        self.supersedes = supersedes
        self.max_bytes = max_bytes
        self.sizeof = sizeof or approximate_nbytes
        self.stats = CacheStats()
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._sizes: dict[Hashable, int] = {}
        self._gates: dict[Hashable, _Gate] = {}
        self._lock = threading.Lock()

    @property
    def total_bytes(self) -> int:
        """The summed sizes of the stored results (0 when the cache has no byte budget)."""
        return sum(self._sizes.values())

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def keys(self) -> list[Hashable]:
        """The cached keys, least recently used first (a copy)."""
        with self._lock:
            return list(self._items)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the result stored under ``key``, computing and storing it on a miss.

        Single flight: while one thread computes ``key``, others asking for the same key wait
        for its result instead of computing it again (different keys compute in parallel).
        Failures are not cached: the exception reaches the caller and the next caller computes.
        ``compute`` must not ask this cache for the same ``key`` (it would wait for itself).
        """
        with self._lock:
            if key in self._items:
                return self._hit(key)
            gate = self._gates.setdefault(key, _Gate())
            gate.users += 1
        try:
            with gate.lock:
                with self._lock:
                    if key in self._items:  # computed by the thread we waited for
                        return self._hit(key)
                    self.stats.misses += 1
                value = compute()
                size = self.sizeof(value) if self.max_bytes is not None else 0
                with self._lock:
                    self._store(key, value, size)
                return value
        finally:
            with self._lock:
                gate.users -= 1
                if not gate.users:
                    del self._gates[key]

    def clear(self) -> None:
        """Drop every result and reset the counters."""
        with self._lock:
            self._items.clear()
            self._sizes.clear()
            self.stats = CacheStats()

    def _hit(self, key: Hashable) -> Any:
        """The value of ``key``, marked most recently used; call under ``_lock``."""
        self._items.move_to_end(key)
        self.stats.hits += 1
        return self._items[key]

    def _store(self, key: Hashable, value: Any, size: int) -> None:
        """Store ``value``, drop what it supersedes, then the least recently used; under ``_lock``."""
        if self.supersedes is not None:
            for old in [k for k in self._items if k != key and self.supersedes(key, k)]:
                self._drop(old)
        if self.max_bytes is not None and size > self.max_bytes:
            return  # larger than the whole budget: served once, never kept
        self._items[key] = value
        self._items.move_to_end(key)
        if self.max_bytes is not None:
            self._sizes[key] = size
        total = sum(self._sizes.values())
        while len(self._items) > self.maxsize or (self.max_bytes is not None and total > self.max_bytes):
            oldest = next(iter(self._items))
            total -= self._sizes.get(oldest, 0)
            self._drop(oldest)

    def _drop(self, key: Hashable) -> None:
        """Forget ``key`` and its size; call under ``_lock``."""
        del self._items[key]
        self._sizes.pop(key, None)


def approximate_nbytes(value: Any) -> int:
    """The bytes held by a cached result: arrays, frames (with their geometries), bytes and
    the dataclasses, tuples and dicts made of them; ``sys.getsizeof`` for anything else.

    Examples
    --------
    >>> approximate_nbytes(np.zeros((10, 10), dtype=np.uint32)), approximate_nbytes(b"abc")
    (400, 3)
    """
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(deep=True, index=True).sum()) + sum(
            _coordinate_bytes(value[name]) for name, dtype in value.dtypes.items() if str(dtype) == "geometry"
        )
    if isinstance(value, pd.Series):
        return int(value.memory_usage(deep=True, index=True)) + _coordinate_bytes(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return sum(approximate_nbytes(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, (tuple, list, set, frozenset)):
        return sys.getsizeof(value) + sum(approximate_nbytes(item) for item in value)
    if isinstance(value, dict):
        return sys.getsizeof(value) + sum(approximate_nbytes(k) + approximate_nbytes(v) for k, v in value.items())
    return sys.getsizeof(value)


def _coordinate_bytes(series: pd.Series) -> int:
    """The coordinates of a geometry column (pandas counts only the pointers to them)."""
    if str(series.dtype) != "geometry":
        return 0
    return int(shapely.get_num_coordinates(np.asarray(series.values)).sum()) * 16


class PerObject:
    """Results computed from one object (a layer frame), kept exactly as long as that object lives.

    The caches above are keyed by what a result means (data version, role view, parameters); two
    keys may still be built from the very same frame, e.g. the public, planner and analyst views of
    the events, which the access policy leaves identical. Asking this memo with the frame itself
    makes such keys share one preparation (index, arrays) instead of holding one copy each.

    Examples
    --------
    >>> memo, frame = PerObject(), pd.DataFrame({"a": [1, 2]})
    >>> first = memo.get_or_compute(frame, "sum", lambda: int(frame["a"].sum()))
    >>> memo.get_or_compute(frame, "sum", lambda: -1) == first == 3  # the same frame: not recomputed
    True
    >>> memo.get_or_compute(frame.copy(), "sum", lambda: -1)  # another frame
    -1
    """

    def __init__(self) -> None:
        self._items: dict[tuple[int, Hashable], tuple[weakref.ref, Any]] = {}
        self._lock = threading.Lock()

    def get_or_compute(self, owner: object, tag: Hashable, compute: Callable[[], T]) -> T:
        """The result ``tag`` of ``owner``, computed by ``compute`` unless ``owner`` already has it."""
        key = (id(owner), tag)
        with self._lock:
            found = self._items.get(key)
        if found is not None and found[0]() is owner:
            return found[1]
        value = compute()

        def forget(ref: weakref.ref, key: tuple[int, Hashable] = key) -> None:
            with self._lock:
                if key in self._items and self._items[key][0] is ref:
                    del self._items[key]

        with self._lock:
            self._items[key] = (weakref.ref(owner, forget), value)
        return value


FRAMES = PerObject()
"""Preparations of layer frames shared by every cache key built from the same frame."""

RESULTS_MAX_BYTES = 256 * 2**20
"""The byte budget of ``RESULTS``: 256 MB per process, whatever the requests (a density grid or
overlay is at most ``geo.analytics.raster.MAX_CELLS`` cells, about 16 MB)."""

RESULTS = LRUCache(64, max_bytes=RESULTS_MAX_BYTES)
"""Results served to users (summary layers, exposure columns, rasters): small, many."""

PREPARED = LRUCache(8)
"""Per-data-version preparations of the event layer (arrays, KD-trees): large, few."""

VIEWS = LRUCache(8)
"""Light geometry of the interactive map (simplified countries per boundaries file): few."""
