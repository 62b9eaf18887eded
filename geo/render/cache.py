"""The disk cache of rendered snapshots, keyed by parameters, format and data version.

A new data version (of the caller's view) gives new keys, so stale images are never served. The
folder follows the one disk-cache policy (``geo.storage.diskcache``): atomic entries, a byte
budget (``Settings.snapshot_cache_mb``, default 128 MB) with least-recently-used eviction shared by
every worker process, files 0600 in a 0700 folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from geo.config import Settings
from geo.render.snapshot import render_snapshot
from geo.render.spec import SnapshotSpec
from geo.render.style import MapLayer
from geo.storage.diskcache import DiskCache
from geo.storage.store import Store

Renderer = Callable[[Store, Settings, SnapshotSpec, str, Mapping[str, MapLayer]], bytes]


@dataclass(frozen=True)
class Snapshot:
    """A rendered snapshot and where it came from."""

    content: bytes
    key: str
    fmt: str
    path: Path
    from_cache: bool


def snapshot_cache(settings: Settings) -> DiskCache:
    """The snapshots' disk cache: ``settings.cache_dir/snapshots``, ``snapshot_cache_mb`` MB."""
    return DiskCache(settings.cache_dir / "snapshots", settings.snapshot_cache_mb * 2**20)


def cache_path(settings: Settings, key: str, fmt: str) -> Path:
    """The file of ``key`` under ``settings.cache_dir/snapshots`` (present while cached)."""
    return snapshot_cache(settings).path(f"{key}.{fmt}")


def snapshot(
    store: Store,
    settings: Settings,
    spec: SnapshotSpec,
    fmt: str,
    layers: Mapping[str, MapLayer],
    render: Renderer | None = None,
) -> Snapshot:
    """The snapshot of ``spec`` as ``fmt``: from the disk cache, else rendered and cached.

    Parameters
    ----------
    store, settings : the workspace
    spec : validated parameters
    fmt : ``png``, ``svg`` or ``pdf``
    layers : the drawable layers by id (the catalogue's ``map_layers()``)
    render : the renderer (a slot for other backends); default ``render_snapshot``

    Examples
    --------
    >>> shot = snapshot(store, settings, parse_snapshot({"view": "sahel"}, layers), "png", layers)  # doctest: +SKIP
    >>> shot.from_cache  # doctest: +SKIP
    False
    """
    key = spec.key(fmt, store.data_version)
    cache = snapshot_cache(settings)
    name = f"{key}.{fmt}"
    content, cached = cache.bytes_or_make(name, lambda: (render or render_snapshot)(store, settings, spec, fmt, layers))
    return Snapshot(content, key, fmt, cache.path(name), from_cache=cached)
