"""With COOPMAP_DATABASE_URL set, the commands and the app keep every layer in the database:
no layer file, manifest or rejects report under COOPMAP_HOME."""

from __future__ import annotations

import os
import time
from pathlib import Path

import geopandas as gpd
import psycopg
import pyogrio
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


def connections_of_this_process(url: str, settle_s: float = 5.0) -> list[str]:
    """The states of the connections this process' stores hold to the database of ``url``
    (``pg_stat_activity``, by the stores' ``application_name`` ``coopmap-<pid>``). A server process
    leaves the view a moment after its client closed the connection: an answer that is not empty
    is asked again for up to ``settle_s`` seconds."""
    deadline = time.monotonic() + settle_s
    with psycopg.connect(url, application_name="coopmap-test-observer", autocommit=True) as conn:
        while True:
            states = [row[0] for row in conn.execute(
                "SELECT state FROM pg_stat_activity WHERE datname = current_database() AND application_name = %s",
                (f"coopmap-{os.getpid()}",),
            )]
            if not states or time.monotonic() > deadline:
                return states
            time.sleep(0.05)


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
    # the export of the database's events reads back with geopandas, as from the embedded store
    for suffix in (".gpkg", ".geojson", ".parquet"):
        out = tmp_path / f"events{suffix}"
        result = runner.invoke(main, ["export", "conflict-events", "-o", str(out)])
        assert result.exit_code == 0, (result.output, result.exception)
        frame = gpd.read_parquet(out) if suffix == ".parquet" else gpd.read_file(out, engine="pyogrio")
        assert len(frame) == 3 and frame.crs.to_epsg() == 4326, suffix
    assert pyogrio.read_info(tmp_path / "events.gpkg")["features"] == 3
    for command in (["layers"], ["tokens", "list"]):
        result = runner.invoke(main, command)
        assert result.exit_code == 0, (command, result.output, result.exception)
    assert connections_of_this_process(database) == [], "a command left its store's pool open"

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
        assert connections_of_this_process(database, settle_s=0)  # the app's store holds its pool open...
    finally:
        store.close()
    assert connections_of_this_process(database) == []  # ...until closed

    kept = sorted(str(p.relative_to(home)) for p in home.rglob("*") if p.is_file())
    assert not (home / "layers").exists(), kept
    assert not (home / "manifest.json").exists()
    assert not [p for p in kept if p.endswith((".parquet", ".rejects.csv"))], kept
    assert not Path(home / "rejects").exists(), kept


def test_a_read_only_role_reads_the_layer_tables_as_the_readme_says(pg_url):
    from psycopg.conninfo import conninfo_to_dict, make_conninfo

    from tests.builders import make_events

    def events(n: int) -> gpd.GeoDataFrame:
        return gpd.GeoDataFrame(make_events([{"lon": 29.0 + i / 10, "lat": -1.5, "event_id": f"E{i}"}
                                             for i in range(n)]), geometry="geometry", crs="EPSG:4326")

    reader = f"gis_reader_{os.getpid()}"
    with PostgisStore(pg_url) as store:
        store.write("conflict-events", events(3), ["a.csv"])
        with store.connection() as conn:  # the DBA's grants, as in README "PostgreSQL + PostGIS"
            owner = conn.execute("SELECT current_user").fetchone()[0]
            for statement in (
                f"CREATE ROLE {reader} LOGIN PASSWORD 'reader'",
                f"GRANT USAGE ON SCHEMA coopmap TO {reader}",
                f"GRANT SELECT ON coopmap.manifest TO {reader}",
                f"GRANT SELECT ON coopmap.layer_conflict_events TO {reader}",
                f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA coopmap GRANT SELECT ON TABLES TO {reader}",
            ):
                conn.execute(statement)
        store.write("conflict-events", events(4), ["b.csv"])  # a new ingest: a new table in place of the old
        try:
            url = make_conninfo(**{**conninfo_to_dict(pg_url), "user": reader, "password": "reader"})
            with psycopg.connect(url) as conn:
                count, srid = conn.execute(
                    "SELECT count(*), min(ST_SRID(geom)) FROM coopmap.layer_conflict_events").fetchone()
                assert (count, srid) == (4, 4326)
                assert conn.execute("SELECT rows FROM coopmap.manifest WHERE layer_id = 'conflict-events'"
                                    ).fetchone() == (4,)
                indexes = [row[0] for row in conn.execute(
                    "SELECT indexdef FROM pg_indexes WHERE schemaname = 'coopmap' "
                    "AND indexname = 'layer_conflict_events_geom_idx'")]
                assert len(indexes) == 1 and "USING gist (geom)" in indexes[0]
                with pytest.raises(psycopg.errors.InsufficientPrivilege):
                    conn.execute("SELECT value FROM coopmap.secrets")
        finally:
            with store.connection() as conn:
                conn.execute(f"DROP OWNED BY {reader}")
                conn.execute(f"DROP ROLE {reader}")
