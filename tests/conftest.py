"""Shared fixtures: the app, its client and CLI runner on a temporary workspace.

The default workspace is built once per session (``default_workspace``); each test that needs one
gets its own copy (``home``), so tests stay independent without rebuilding the default layers.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
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
from geo.storage.store import Store, store_from_settings
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


@pytest.fixture(scope="session")
def app_on() -> Callable[..., Flask]:
    """``app_on(home, **config)``: the app in testing mode on workspace ``home``.

    For module-scoped fixtures; a test uses ``app_factory``.
    """

    def build(home: Path, **config: Any) -> Flask:
        return create_app({"TESTING": True, "COOPMAP_HOME": str(home), **config})

    return build


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
def app_factory(home: Path, app_on: Callable[..., Flask]) -> Callable[..., Flask]:
    """``app_factory(**config)``: a new app in testing mode on the test's ``home``;
    ``config`` overrides or adds Flask config keys (``COOPMAP_HOME`` too)."""

    def build(**config: Any) -> Flask:
        return app_on(config.pop("COOPMAP_HOME", home), **config)

    return build


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
