"""Where coopmap keeps its files.

Resolved when asked for, never at import time, so tests can point everything at ``tmp_path``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

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
        from geo.errors import InvalidParameter

        raise InvalidParameter("COOPMAP_BORDER_TOLERANCE_KM", raw, "must be a number of km >= 0")
    return value


def default_data_dir() -> Path:
    """The committed reference data: ``$COOPMAP_DATA`` or ``<repo>/data``."""
    return Path(os.environ.get("COOPMAP_DATA", REPO_ROOT / "data")).resolve()


@dataclass(frozen=True)
class Settings:
    """Paths and switches shared by the CLI and the web app."""

    home: Path = field(default_factory=default_home)
    data_dir: Path = field(default_factory=default_data_dir)
    tiles_url: str | None = field(default_factory=lambda: os.environ.get("COOPMAP_TILES") or None)
    border_tolerance_km: float = field(default_factory=default_border_tolerance_km)
    """See ``geo.ingest.assign``: the export's country wins within this distance of its polygon."""

    @property
    def boundaries_dir(self) -> Path:
        return self.data_dir / "boundaries"

    @property
    def reference_dir(self) -> Path:
        return self.data_dir / "reference"

    @property
    def rejects_dir(self) -> Path:
        return self.home / "rejects"

    @property
    def cache_dir(self) -> Path:
        return self.home / "cache"
