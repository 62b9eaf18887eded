"""With COOPMAP_DATABASE_URL set, the commands and the app keep every layer in the database:
no layer file, manifest or rejects report under COOPMAP_HOME."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from cli.main import main
from geo.storage.postgis import PostgisStore
from tests.conftest import DEMO_EVENTS
from tests.test_ingest_events import BAD_ROWS, GOOD_ROWS, write_acled
from webmap import create_app


@pytest.fixture
def database(pg_cluster) -> str:
    """A database with PostGIS but no coopmap schema yet (``coopmap db init`` creates it)."""
    url = pg_cluster.create_database("empty_workspace")
    yield url
    pg_cluster.drop_database("empty_workspace")


def test_commands_and_app_on_the_database_leave_no_layer_file(database, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("COOPMAP_HOME", str(home))
    monkeypatch.setenv("COOPMAP_DATABASE_URL", database)
    monkeypatch.setenv("COOPMAP_DEMO_EVENTS", DEMO_EVENTS)
    acled = write_acled(tmp_path / "acled_drc.csv", GOOD_ROWS + BAD_ROWS)
    runner = CliRunner()

    for command, code in ((["db", "init"], 0), (["init"], 0), (["ingest", "acled", str(acled)], 1)):
        result = runner.invoke(main, command)
        assert result.exit_code == code, (command, result.output, result.exception)
    # 3 good rows + 5 bad ones = 8 read; the ACLED export replaces the demo events
    assert "read 8  added 3  updated 0  unchanged 0  rejected 5" in result.output

    app = create_app({"TESTING": True, "COOPMAP_HOME": str(home)})
    store = app.extensions["coopmap.store"]
    try:
        assert isinstance(store, PostgisStore)
        response = app.test_client().get("/ogc/collections/conflict-events/items?limit=50")
        assert response.status_code == 200, response.get_data(as_text=True)
        assert response.get_json()["numberMatched"] == 3
        countries = app.test_client().get("/ogc/collections/countries/items?limit=1").get_json()
        assert countries["numberMatched"] > 200  # the default layers were built into the database
        # the rejects are listed through the store: lines 6..10 of the file (header + 3 good rows,
        # one of them on two lines because of a quoted newline)
        assert "acled_drc.rejects" in store.reports()
        assert store.read_report("acled_drc.rejects").column("line").to_pylist() == [6, 7, 8, 9, 10]
    finally:
        store.close()

    kept = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    assert not (home / "layers").exists(), kept
    assert not (home / "manifest.json").exists()
    assert not [p for p in kept if p.endswith((".parquet", ".rejects.csv"))], kept
    assert not Path(home / "rejects").exists(), kept
