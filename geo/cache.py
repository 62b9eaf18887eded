"""The one bounded LRU cache of coopmap, and the two analytics caches built on it.

Every in-memory cache of the code base is an ``LRUCache``: analytics results and preparations
(here), prepared feature indexes (``layers.selection.prepared_cache``), secured frames
(``layers.access.SECURE_CACHE_SIZE``), projected snapshot base maps (``geo.render.snapshot``), polygon
indexes of the joins (``geo.boundaries.joins``) and rendered map bodies (``webmap.responses``).

The summaries, the exposure columns and the density rasters are pure functions of the store's
data and the request parameters; the data version changes whenever any layer changes, so a key
that includes it can never serve a stale result. A repeated request costs one dictionary lookup.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, TypeVar

T = TypeVar("T")

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

    Examples
    --------
    >>> cache = LRUCache(2)
    >>> cache.get_or_compute(("v1", "answer"), lambda: 42)
    42
    >>> cache.get_or_compute(("v1", "answer"), lambda: 0)
    42
    >>> cache.stats.hits, cache.stats.misses
    (1, 1)
    """

    def __init__(self, maxsize: int, supersedes: Supersedes | None = None) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize={maxsize!r}: must be at least 1")
        self.maxsize = maxsize
        self.supersedes = supersedes
        self.stats = CacheStats()
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._gates: dict[Hashable, _Gate] = {}
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

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
                with self._lock:
                    self._store(key, value)
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
            self.stats = CacheStats()

    def _hit(self, key: Hashable) -> Any:
        """The value of ``key``, marked most recently used; call under ``_lock``."""
        self._items.move_to_end(key)
        self.stats.hits += 1
        return self._items[key]

    def _store(self, key: Hashable, value: Any) -> None:
        """Store ``value``, drop what it supersedes, then the least recently used; under ``_lock``."""
        if self.supersedes is not None:
            for old in [k for k in self._items if k != key and self.supersedes(key, k)]:
                del self._items[old]
        self._items[key] = value
        self._items.move_to_end(key)
        while len(self._items) > self.maxsize:
            self._items.popitem(last=False)


RESULTS = LRUCache(64)
"""Results served to users (summary layers, exposure columns, rasters): small, many."""

PREPARED = LRUCache(8)
"""Per-data-version preparations of the event layer (arrays, KD-trees): large, few."""

VIEWS = LRUCache(8)
"""Light geometry of the interactive map (simplified countries per boundaries file): few."""
