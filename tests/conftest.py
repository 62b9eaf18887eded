"""Shared fixtures: the app, its client and CLI runner on a temporary workspace."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

from geo.config import REPO_ROOT
from webmap import create_app

DATA_DIR = Path(__file__).parent / "data"
"""Small committed fixtures."""

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
"""The reference files gathered for the project (read in place, never copied)."""


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh workspace, also seen by the CLI through COOPMAP_HOME."""
    workspace = tmp_path / "home"
    monkeypatch.setenv("COOPMAP_HOME", str(workspace))
    monkeypatch.setenv("COOPMAP_DEMO_EVENTS", "2000")  # a small synthetic demo set keeps tests fast
    return workspace


@pytest.fixture
def app(home: Path):
    return create_app({"TESTING": True, "COOPMAP_HOME": str(home)})


@pytest.fixture
def client(app):
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
