"""The disk cache of rendered snapshots, keyed by parameters, format and data version.

A new data version gives new keys, so stale images are never served; files are written
atomically (``geo.storage.io``), so a reader never sees half a file.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from geo.config import Settings
from geo.render.snapshot import render_snapshot
from geo.render.spec import SnapshotSpec
from geo.render.style import MapLayer
from geo.storage.io import write_bytes_atomic
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


def cache_path(settings: Settings, key: str, fmt: str) -> Path:
    """The file of ``key`` under ``settings.cache_dir/snapshots``."""
    return settings.cache_dir / "snapshots" / key[:2] / f"{key}.{fmt}"


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
    path = cache_path(settings, key, fmt)
    try:
        return Snapshot(path.read_bytes(), key, fmt, path, from_cache=True)
    except FileNotFoundError:
        pass
    content = (render or render_snapshot)(store, settings, spec, fmt, layers)
    write_bytes_atomic(path, content)
    return Snapshot(content, key, fmt, path, from_cache=False)
