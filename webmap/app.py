"""The Flask application factory."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

from geo.config import (
    DOWNLOAD_CACHE_MB,
    GEOJSON_PRECISION,
    GEOJSON_PRECISION_PROJECTED,
    SNAPSHOT_CACHE_MB,
    Settings,
    cache_budget_mb,
    decimals,
    default_data_dir,
    default_home,
)
from geo.ingest.defaults import open_workspace
from geo.storage.store import Store
from layers.tokens import TokenStore, token_store
from webmap.errors import register_error_handlers
from webmap.security import init_access_control


def create_app(
    config: Mapping[str, Any] | None = None,
    store: Store | None = None,
    tokens: TokenStore | None = None,
) -> Flask:
    """Build the coopmap app.

    Parameters
    ----------
    config : Flask config overrides; ``COOPMAP_HOME`` and ``COOPMAP_DATA`` choose the workspace
        and the reference data (default: the environment, then ``./var/coopmap`` and ``<repo>/data``).
    store : the layer store to serve (default: the workspace's, its default layers built on first
        start, ``geo.ingest.defaults.open_workspace``)
    tokens : where API tokens and login sessions live (default: ``layers.tokens.token_store``
        of the store); the session-signing secret is the store's (``Store.secret``)
    """
    app = Flask(__name__)
    app.config.update(JSON_SORT_KEYS=False, MAX_CONTENT_LENGTH=1 << 20)
    if config:
        app.config.update(config)
    settings = Settings(
        home=Path(app.config.get("COOPMAP_HOME") or default_home()),
        data_dir=Path(app.config.get("COOPMAP_DATA") or default_data_dir()),
        **_cache_budgets(app.config),
        **_precisions(app.config),
    )
    app.extensions["coopmap.settings"] = settings
    store = store if store is not None else open_workspace(settings)
    app.extensions["coopmap.store"] = store
    app.extensions["coopmap.tokens"] = tokens if tokens is not None else token_store(store, settings.home)
    register_error_handlers(app)
    init_access_control(app)
    _register_blueprints(app)
    return app


def _cache_budgets(config: Mapping[str, Any]) -> dict[str, int]:
    """The disk-cache budgets given in the Flask config (else Settings reads the environment)."""
    names = {"download_cache_mb": ("COOPMAP_DOWNLOAD_CACHE_MB", DOWNLOAD_CACHE_MB),
             "snapshot_cache_mb": ("COOPMAP_SNAPSHOT_CACHE_MB", SNAPSHOT_CACHE_MB)}
    return {field: cache_budget_mb(key, config[key], default)
            for field, (key, default) in names.items() if config.get(key) is not None}


def _precisions(config: Mapping[str, Any]) -> dict[str, int]:
    """The GeoJSON precisions given in the Flask config (else Settings reads the environment)."""
    names = {"geojson_precision": ("COOPMAP_GEOJSON_PRECISION", GEOJSON_PRECISION),
             "geojson_precision_projected": ("COOPMAP_GEOJSON_PRECISION_PROJECTED", GEOJSON_PRECISION_PROJECTED)}
    return {field: decimals(key, config[key], default)
            for field, (key, default) in names.items() if config.get(key) is not None}


def _register_blueprints(app: Flask) -> None:
    from webmap import assets, briefs, downloads, features, mapdata, pages, registry_api, registry_pages, tiles
    from webmap.health import init_health
    from webmap.snapshots import bp as snapshots_bp

    app.register_blueprint(pages.bp)
    app.register_blueprint(assets.bp)
    app.register_blueprint(mapdata.bp)
    app.register_blueprint(features.bp)
    app.register_blueprint(tiles.bp)
    app.register_blueprint(registry_api.bp)  # Part 4 writes on the registry collections
    app.register_blueprint(downloads.bp)
    app.register_blueprint(snapshots_bp)
    app.register_blueprint(briefs.bp)  # after snapshots: it renders in their render pool
    app.register_blueprint(registry_pages.bp)
    init_health(app)
