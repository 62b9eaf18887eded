"""Rendered map-data bodies cached per caller view, data version and request.

The map pages ask for the same few documents again and again (the world basemap, the
choropleth of the default period, the chart of a country): each is a pure function of the
data the caller may see and of the request, so its bytes are kept in a bounded LRU
(``geo.cache.LRUCache``) under (secured data version, path, query, Accept-Language).
The secured store's data version differs per role view, so one role never gets another's body.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, current_app, request

from geo.cache import LRUCache
from webmap.context import store

EXTENSION = "coopmap.map_responses"
SIZE = 128
"""Bodies kept per worker process (most are 5-400 kB; a detailed basemap view up to ~1 MB)."""
MAX_BYTES = 64 * 2**20
"""The bodies' byte budget per worker process, whatever the requests."""


def init_response_cache(app: Flask) -> None:
    """Give ``app`` its cache (created once, before any request: no lazy set-up race)."""
    app.extensions[EXTENSION] = LRUCache(SIZE, max_bytes=MAX_BYTES, sizeof=len)


def cached_body(compute: Callable[[], bytes]) -> bytes:
    """The body for this request, computed with ``compute()`` on a miss."""
    cache: LRUCache = current_app.extensions[EXTENSION]
    key = (
        store().data_version,
        request.path,
        tuple(sorted(request.args.items(multi=True))),
        request.headers.get("Accept-Language", ""),
    )
    return cache.get_or_compute(key, compute)
