"""Shared fixtures: the app, its client and CLI runner on a temporary workspace.

The default workspace is built once per session (``default_workspace``); each test that needs one
gets its own copy (``home``), so tests stay independent without rebuilding the default layers.
"""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import pytest
from click.testing import CliRunner
from flask import Flask
from flask.testing import FlaskClient
from shapely.geometry import box

from geo.config import REPO_ROOT, Settings
from geo.ingest.defaults import open_workspace
from geo.storage.store import ParquetStore, Store, store_from_settings
from webmap import create_app

DATA_DIR = Path(__file__).parent / "data"
"""Small committed fixtures."""

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
"""The reference files gathered for the project (read in place, never copied)."""


DEMO_EVENTS = "2000"
"""Events in the synthetic demo set of the test workspaces: a small set keeps tests fast."""


@pytest.fixture(scope="session")
def default_workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default workspace (countries, registries, demo events), built once per session.

    A template, never used in place: tests get copies (``home``, ``new_workspace``).
    """
    workspace = tmp_path_factory.mktemp("default-workspace") / "home"
    with pytest.MonkeyPatch.context() as monkeypatch:
        monkeypatch.setenv("COOPMAP_DEMO_EVENTS", DEMO_EVENTS)
        open_workspace(Settings(home=workspace))
    return workspace


@pytest.fixture(scope="session")
def new_workspace(
    tmp_path_factory: pytest.TempPathFactory, default_workspace: Path
) -> Callable[[str], Path]:
    """``new_workspace(name)``: a fresh copy of the default workspace, for module-scoped fixtures."""

    def copy(name: str) -> Path:
        return Path(shutil.copytree(default_workspace, tmp_path_factory.mktemp(name) / "home"))

    return copy


@pytest.fixture(scope="module")
def backend() -> str:
    """The store the app fixtures run on: ``"parquet"`` (the embedded store) unless a test module
    asks for both with ``from tests.backends import backend`` (``tests/backends.py``)."""
    return "parquet"


@pytest.fixture(scope="module")
def app_on(request: pytest.FixtureRequest, backend: str) -> Iterator[Callable[..., Flask]]:
    """``app_on(home, **config)``: the app in testing mode on workspace ``home``, on the module's
    ``backend``.

    On PostGIS, the workspace's layers and reports move into a database of their own
    (``tests/backends.py``), ``home`` keeps no layer file, and the app is built with
    ``COOPMAP_DATABASE_URL`` set; every app on the same ``home`` shares that database.
    For module-scoped fixtures; a test uses ``app_factory``.
    """
    if backend == "parquet":
        yield lambda home, **config: create_app({"TESTING": True, "COOPMAP_HOME": str(home), **config})
        return
    from tests.backends import DatabasePerWorkspace

    databases = DatabasePerWorkspace(request.getfixturevalue("pg_cluster"),
                                     request.getfixturevalue("pg_workspace_template"))
    try:
        yield databases
    finally:
        databases.close()


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, default_workspace: Path) -> Path:
    """A fresh workspace with the default layers (a copy of ``default_workspace``),
    also seen by the CLI through COOPMAP_HOME."""
    workspace = Path(shutil.copytree(default_workspace, tmp_path / "home"))
    monkeypatch.setenv("COOPMAP_HOME", str(workspace))
    monkeypatch.setenv("COOPMAP_DEMO_EVENTS", DEMO_EVENTS)
    return workspace


@pytest.fixture
def store(home: Path) -> Store:
    """The store of the test's ``home``, opened the one way the app and the CLI open it."""
    return store_from_settings(Settings(home=home))


@pytest.fixture
def app_factory(home: Path, app_on: Callable[..., Flask]) -> Iterator[Callable[..., Flask]]:
    """``app_factory(**config)``: a new app in testing mode on the test's ``home`` (on the module's
    ``backend``); ``config`` overrides or adds Flask config keys (``COOPMAP_HOME`` too)."""

    homes: list[Path] = []

    def build(**config: Any) -> Flask:
        homes.append(Path(config.pop("COOPMAP_HOME", home)))
        return app_on(homes[-1], **config)

    yield build
    release = getattr(app_on, "release", None)  # PostGIS: the test's database goes with the test
    for used in homes if release else ():
        release(used)


@pytest.fixture
def app(app_factory: Callable[..., Flask]) -> Flask:
    return app_factory()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(home: Path) -> CliRunner:
    return CliRunner()


@pytest.fixture
def province_file(tmp_path: Path) -> Path:
    """A geoBoundaries-style ADM1 file: Ituri and Nord-Kivu drawn as boxes inside the DRC,
    and one box in the Atlantic that claims to be in the DRC."""
    frame = gpd.GeoDataFrame(
        {
            "shapeName": ["Ituri", "Nord-Kivu", "Atlantis"],
            "shapeISO": ["CD-IT", "CD-NK", "CD-XX"],
            "shapeGroup": ["COD", "COD", "COD"],
        },
        geometry=[box(28.5, 1.0, 30.0, 2.5), box(28.0, -1.5, 29.0, 0.0), box(-20.0, -10.0, -19.0, -9.0)],
        crs="EPSG:4326",
    )
    path = tmp_path / "geoBoundaries-COD-ADM1.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Any]:
    """A private PostgreSQL + PostGIS cluster for the session (``tests/pgcluster.py``), started on
    first use, stopped and removed at the end; skipped without the binaries (failed in CI)."""
    from pgcluster import PrivateCluster, require_binaries

    require_binaries()
    cluster = PrivateCluster()
    try:
        yield cluster.start()
    finally:
        cluster.stop()


@pytest.fixture
def private_redis() -> Iterator[Any]:
    """A private Redis server (``tests/redisserver.py``) for one test, stopped and removed after it."""
    from redisserver import PrivateRedis, require_redis

    require_redis()
    server = PrivateRedis()
    try:
        yield server.start()
    finally:
        server.close()


_databases = itertools.count(1)


@pytest.fixture(scope="session")
def pg_workspace_template(pg_cluster: Any, default_workspace: Path) -> str:
    """A database (migrated) holding the default workspace's layers and reports, written through
    ``PostgisStore``: the template of the apps' databases on the PostGIS backend."""
    from tests.backends import workspace_template

    return workspace_template(pg_cluster, default_workspace)


@pytest.fixture
def pg_url(pg_cluster: Any) -> Iterator[str]:
    """The URL of a fresh database with PostGIS and the coopmap schema (migrated), dropped after the test."""
    from geo.storage.migrations import migrate

    name = f"test_{next(_databases)}"
    url = pg_cluster.create_database(name)
    migrate(url)
    yield url
    pg_cluster.drop_database(name)


@pytest.fixture(params=["parquet", "postgis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], Store]]:
    """``open_store()``: a store of the test's backend (the parameter: embedded GeoParquet under
    ``tmp_path``, or PostGIS in a fresh database); each call opens a new one on the same data."""
    opened: list[Store] = []

    def open_one() -> Store:
        if request.param == "parquet":
            return ParquetStore(tmp_path)
        from geo.storage.postgis import PostgisStore

        store = PostgisStore(url)
        opened.append(store)
        return store

    url = request.getfixturevalue("pg_url") if request.param == "postgis" else ""
    yield open_one
    for store in opened:
        store.close()  # type: ignore[attr-defined]
