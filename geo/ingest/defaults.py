"""The embedded default data: what ``coopmap serve`` shows on a fresh machine.

Each default layer has a builder ``(settings) -> (frame, sources)``; ``ensure_defaults`` runs
the builders of the layers the store does not have yet.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd

from geo.boundaries.countries import load_countries
from geo.config import Settings
from geo.ingest.demo import build_demo_events
from geo.registries.defaults import build_envr, build_project_countries, build_projects
from geo.storage.store import Store, store_from_settings

Builder = Callable[[Settings], tuple[gpd.GeoDataFrame, list[str]]]


def build_countries(settings: Settings) -> tuple[gpd.GeoDataFrame, list[str]]:
    frame = load_countries(settings.boundaries_dir)
    return frame, [str(settings.boundaries_dir / "countries.parquet")]


DEFAULT_BUILDERS: dict[str, Builder] = {
    "countries": build_countries,
    "envr": build_envr,
    "projects": build_projects,
    "project-countries": build_project_countries,
    "conflict-events": build_demo_events,
}
"""Layer id → its builder, in build order."""


def ensure_defaults(store: Store, settings: Settings) -> list[str]:
    """Build every default layer missing from ``store``; return the ids built."""
    built = []
    for layer_id, build in DEFAULT_BUILDERS.items():
        if not store.has(layer_id):
            frame, sources = build(settings)
            store.write(layer_id, frame, sources)
            built.append(layer_id)
    return built


def open_workspace(settings: Settings) -> Store:
    """The workspace's store, with the default layers built where missing (first start)."""
    store = store_from_settings(settings)
    ensure_defaults(store, settings)
    return store
