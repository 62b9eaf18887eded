"""The API tests on both stores: the embedded GeoParquet store and PostGIS, same tests, same answers.

A test module runs on both with one line::

    from tests.backends import backend  # noqa: F401  (the module's tests run on both stores)

which overrides conftest's ``backend`` fixture (``"parquet"`` everywhere else, so the rest of the
suite runs once). ``app_on``/``app_factory``/``app``/``client`` then build, on ``"postgis"``, the
app of a workspace whose layers and reports live in a database of its own — a copy of
``pg_workspace_template``, the default workspace written through ``PostgisStore`` once per session
— with ``COOPMAP_DATABASE_URL`` set and no layer file, manifest or report under ``COOPMAP_HOME``.
"""

from __future__ import annotations

import itertools
import shutil
from pathlib import Path
from typing import Any

import pytest
from flask import Flask

from geo.storage.migrations import migrate
from geo.storage.postgis import PostgisStore
from geo.storage.store import ParquetStore, read_layer_file
from webmap import create_app

BACKENDS = ("parquet", "postgis")
WORKSPACE_TEMPLATE = "coopmap_workspace"
_names = itertools.count(1)


@pytest.fixture(scope="module", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The store of the module's apps: each test of the module runs once per store."""
    return request.param


def workspace_template(cluster: Any, workspace: Path) -> str:
    """Create database ``WORKSPACE_TEMPLATE`` (migrated) holding every layer and report of the
    embedded ``workspace``, each written through ``PostgisStore``; return its name."""
    url = cluster.create_database(WORKSPACE_TEMPLATE)
    migrate(url)
    source = ParquetStore(workspace)
    with PostgisStore(url) as target:
        for layer_id, record in source.manifest().layers.items():
            # the whole layer: ``read`` leaves out the archive columns (the events' source rows)
            target.write(layer_id, read_layer_file(source.path(layer_id)), record.sources)
        for name in source.reports():
            target.save_report(name, source.read_report(name))
    return WORKSPACE_TEMPLATE


def strip_layers(home: Path) -> None:
    """Remove what the embedded store keeps under ``home`` (layers, manifest, reports), so an app
    that read a file behind the PostGIS store's back would fail."""
    shutil.rmtree(home / "layers", ignore_errors=True)
    shutil.rmtree(home / "rejects", ignore_errors=True)
    (home / "manifest.json").unlink(missing_ok=True)


class DatabasePerWorkspace:
    """``app_on`` on PostGIS: one database per workspace folder, copied from ``template``."""

    def __init__(self, cluster: Any, template: str) -> None:
        self.cluster = cluster
        self.template = template
        self.databases: dict[Path, tuple[str, str]] = {}
        self.apps: dict[Path, list[Flask]] = {}

    def url(self, home: Path) -> str:
        """The database of workspace ``home`` (created, and ``home`` stripped, on first use)."""
        home = Path(home).resolve()
        if home not in self.databases:
            name = f"ws_{next(_names)}"
            self.databases[home] = (name, self.cluster.create_database(name, template=self.template))
            strip_layers(home)
        return self.databases[home][1]

    def __call__(self, home: Path, **config: Any) -> Flask:
        url = self.url(home)
        with pytest.MonkeyPatch.context() as monkeypatch:
            monkeypatch.setenv("COOPMAP_DATABASE_URL", url)
            app = create_app({"TESTING": True, "COOPMAP_HOME": str(home), **config})
        assert isinstance(app.extensions["coopmap.store"], PostgisStore), "the app did not open the database"
        self.apps.setdefault(Path(home).resolve(), []).append(app)
        return app

    def release(self, home: Path) -> None:
        """Close the stores of the apps on ``home`` and drop its database."""
        home = Path(home).resolve()
        for app in self.apps.pop(home, []):
            app.extensions["coopmap.store"].close()
        name, _ = self.databases.pop(home, (None, None))
        if name:
            self.cluster.drop_database(name)

    def close(self) -> None:
        for home in list(self.databases):
            self.release(home)
