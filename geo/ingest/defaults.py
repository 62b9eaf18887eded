"""The embedded default data: what ``coopmap serve`` shows on a fresh machine.

Each default layer has a builder ``(settings) -> (frame, sources)``; ``ensure_defaults`` runs
the builders of the layers the store does not have yet, under the store's ``init`` lock, so
servers and ``coopmap init`` started at once build the workspace once (the others wait, then find
it built).
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


def missing_defaults(store: Store) -> list[str]:
    """The default layers ``store`` does not have, in build order."""
    return [layer_id for layer_id in DEFAULT_BUILDERS if not store.has(layer_id)]


def ensure_defaults(store: Store, settings: Settings) -> list[str]:
    """Build every default layer missing from ``store``; return the ids built (``coopmap init``).

    The build holds ``store.lock("init")``: a second process calling this meanwhile waits for the
    first to finish, then finds the layers built and builds nothing.

    Examples
    --------
    >>> ensure_defaults(store_from_settings(Settings()), Settings())  # doctest: +SKIP
    ['countries', 'envr', 'projects', 'project-countries', 'conflict-events']
    """
    if not missing_defaults(store):
        return []
    built = []
    with store.lock("init"):
        for layer_id in missing_defaults(store):  # again: another process may have built them
            frame, sources = DEFAULT_BUILDERS[layer_id](settings)
            store.write(layer_id, frame, sources)
            built.append(layer_id)
    return built


def open_workspace(settings: Settings) -> Store:
    """The workspace's store (``store_from_settings``), with the default layers built where
    missing (first start: ``ensure_defaults``)."""
    store = store_from_settings(settings)
    try:
        ensure_defaults(store, settings)
    except BaseException:
        store.close()
        raise
    return store
