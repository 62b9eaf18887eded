"""The embedded default data: what ``coopmap serve`` shows on a fresh machine.

Each default layer has a builder ``(settings) -> (frame, sources)``; ``ensure_defaults`` runs
the builders of the layers the store does not have yet.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

import geopandas as gpd

from geo.boundaries import load_countries
from geo.config import Settings
from geo.store import Store

Builder = Callable[[Settings], tuple[gpd.GeoDataFrame, list[str]]]


def build_countries(settings: Settings) -> tuple[gpd.GeoDataFrame, list[str]]:
    frame = load_countries(settings.boundaries_dir)
    return frame, [str(settings.boundaries_dir / "countries.parquet")]


DEFAULT_BUILDERS: dict[str, str] = {
    "countries": "geo.defaults:build_countries",
    "envr": "geo.registries.defaults:build_envr",
    "projects": "geo.registries.defaults:build_projects",
    "project-countries": "geo.registries.defaults:build_project_countries",
    "conflict-events": "geo.demo:build_demo_events",
}
"""Layer id → ``"module:function"`` of its builder, in build order."""


def _resolve(path: str) -> Builder:
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


def ensure_defaults(store: Store, settings: Settings) -> list[str]:
    """Build every default layer missing from ``store``; return the ids built."""
    built = []
    for layer_id, path in DEFAULT_BUILDERS.items():
        if not store.has(layer_id):
            frame, sources = _resolve(path)(settings)
            store.write(layer_id, frame, sources)
            built.append(layer_id)
    return built
