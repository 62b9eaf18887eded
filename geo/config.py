"""Where coopmap keeps its files.

Resolved when asked for, never at import time, so tests can point everything at ``tmp_path``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from geo.errors import InvalidParameter

REPO_ROOT = Path(__file__).resolve().parent.parent
"""The project checkout: the committed reference data lives under ``REPO_ROOT / 'data'``."""


def default_home() -> Path:
    """The workspace directory: ``$COOPMAP_HOME`` or ``./var/coopmap``."""
    return Path(os.environ.get("COOPMAP_HOME", "var/coopmap")).resolve()


def default_border_tolerance_km() -> float:
    """How far (km) outside its polygon an export's own country is still believed:
    ``$COOPMAP_BORDER_TOLERANCE_KM`` or 10."""
    raw = os.environ.get("COOPMAP_BORDER_TOLERANCE_KM", "").strip() or "10"
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value >= 0 or value == float("inf"):
        raise InvalidParameter("COOPMAP_BORDER_TOLERANCE_KM", raw, "must be a number of km >= 0")
    return value


def default_data_dir() -> Path:
    """The committed reference data: ``$COOPMAP_DATA`` or ``<repo>/data``."""
    return Path(os.environ.get("COOPMAP_DATA", REPO_ROOT / "data")).resolve()


DOWNLOAD_CACHE_MB = 256
"""Default byte budget of the download files' disk cache (``COOPMAP_DOWNLOAD_CACHE_MB``)."""
SNAPSHOT_CACHE_MB = 128
"""Default byte budget of the rendered snapshots' disk cache (``COOPMAP_SNAPSHOT_CACHE_MB``)."""


def cache_budget_mb(name: str, value: object, default: int) -> int:
    """A disk-cache budget in MB from the setting ``name`` (``value`` None or empty: ``default``).

    Raises ``InvalidParameter`` naming the setting unless it is a whole number >= 0 (0 turns the
    cache off: every file is served once and dropped).

    Examples
    --------
    >>> cache_budget_mb("COOPMAP_SNAPSHOT_CACHE_MB", "64", 128), cache_budget_mb("X", None, 128)
    (64, 128)
    """
    return _whole_number(name, value, default, None, "use a whole number of megabytes, 0 or more")


def _whole_number(name: str, value: object, default: int, most: int | None, advice: str) -> int:
    """The whole number >= 0 (and <= ``most``) the setting ``name`` holds; None or empty: ``default``."""
    if value is None or value == "":
        return default
    try:
        number = int(str(value).strip())
    except ValueError:
        number = -1
    if number < 0 or (most is not None and number > most):
        raise InvalidParameter(name, value, advice)
    return number


def _env_budget(name: str, default: int) -> int:
    return cache_budget_mb(name, os.environ.get(name), default)


GEOJSON_PRECISION = 6
"""Default decimals of GeoJSON coordinates in degrees (``COOPMAP_GEOJSON_PRECISION``; RFC 7946 §11.2)."""
GEOJSON_PRECISION_PROJECTED = 2
"""Default decimals of GeoJSON coordinates in metres, for a projected ``crs=``
(``COOPMAP_GEOJSON_PRECISION_PROJECTED``)."""


def decimals(name: str, value: object, default: int) -> int:
    """A number of decimals from the setting ``name`` (None or empty: ``default``).

    Raises ``InvalidParameter`` naming the setting unless it is a whole number from 0 to 15.

    Examples
    --------
    >>> decimals("COOPMAP_GEOJSON_PRECISION", "7", 6), decimals("X", None, 6)
    (7, 6)
    """
    return _whole_number(name, value, default, 15, "use a whole number of decimals from 0 to 15")


@dataclass(frozen=True)
class Settings:
    """Paths and switches shared by the CLI and the web app."""

    home: Path = field(default_factory=default_home)
    data_dir: Path = field(default_factory=default_data_dir)
    tiles_url: str | None = field(default_factory=lambda: os.environ.get("COOPMAP_TILES") or None)
    border_tolerance_km: float = field(default_factory=default_border_tolerance_km)
    """See ``geo.ingest.assign``: the export's country wins within this distance of its polygon."""
    download_cache_mb: int = field(
        default_factory=lambda: _env_budget("COOPMAP_DOWNLOAD_CACHE_MB", DOWNLOAD_CACHE_MB)
    )
    """Byte budget, in MB, of ``cache_dir/downloads``."""
    snapshot_cache_mb: int = field(
        default_factory=lambda: _env_budget("COOPMAP_SNAPSHOT_CACHE_MB", SNAPSHOT_CACHE_MB)
    )
    """Byte budget, in MB, of ``cache_dir/snapshots``."""
    geojson_precision: int = field(
        default_factory=lambda: decimals("COOPMAP_GEOJSON_PRECISION", os.environ.get("COOPMAP_GEOJSON_PRECISION"),
                                         GEOJSON_PRECISION)
    )
    """Decimals of GeoJSON coordinates in degrees (API, downloads, map data)."""
    geojson_precision_projected: int = field(
        default_factory=lambda: decimals("COOPMAP_GEOJSON_PRECISION_PROJECTED",
                                         os.environ.get("COOPMAP_GEOJSON_PRECISION_PROJECTED"),
                                         GEOJSON_PRECISION_PROJECTED)
    )
    """Decimals of GeoJSON coordinates in metres (a projected ``crs=``)."""
    database_url: str | None = field(default_factory=lambda: os.environ.get("COOPMAP_DATABASE_URL") or None)
    """``COOPMAP_DATABASE_URL``: a ``postgresql://`` URL selects the PostGIS store; unset, the embedded one."""

    @property
    def boundaries_dir(self) -> Path:
        return self.data_dir / "boundaries"

    @property
    def reference_dir(self) -> Path:
        return self.data_dir / "reference"

    @property
    def cache_dir(self) -> Path:
        """This host's disk caches (``geo.storage.diskcache.DiskCache``), keyed by data version;
        persistent state lives in the store (``geo.storage.store.store_from_settings``)."""
        return self.home / "cache"
