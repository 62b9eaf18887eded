"""A small bounded LRU cache for analytics results, keyed by (store data version, name, params).

The summaries, the exposure columns and the density rasters are pure functions of the store's
data and the request parameters; the data version changes whenever any layer changes, so a key
that includes it can never serve a stale result. A repeated request costs one dictionary lookup.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class CacheStats:
    """Counters of a cache: ``misses`` is the number of times the result was computed."""

    hits: int = 0
    misses: int = 0


class LRUCache:
    """A thread-safe least-recently-used cache holding at most ``maxsize`` results.

    Parameters
    ----------
    maxsize : number of results kept; the least recently used is dropped first

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

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError(f"maxsize={maxsize!r}: must be at least 1")
        self.maxsize = maxsize
        self.stats = CacheStats()
        self._items: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._items)

    def get_or_compute(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Return the result stored under ``key``, computing and storing it on a miss.

        Two threads missing the same key at once may both compute it; the second result wins.
        Failures are not cached.
        """
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                self.stats.hits += 1
                return self._items[key]
            self.stats.misses += 1
        value = compute()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self.maxsize:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Drop every result and reset the counters."""
        with self._lock:
            self._items.clear()
            self.stats = CacheStats()


RESULTS = LRUCache(64)
"""Results served to users (summary layers, exposure columns, rasters): small, many."""

PREPARED = LRUCache(8)
"""Per-data-version preparations of the event layer (arrays, KD-trees): large, few."""

VIEWS = LRUCache(8)
"""Light geometry of the interactive map (simplified countries per boundaries file): few."""
