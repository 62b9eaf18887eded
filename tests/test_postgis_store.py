"""The PostGIS store on a real private PostgreSQL/PostGIS cluster (``tests/pgcluster.py``).

The behaviour both stores share is tested in ``test_store.py`` on both backends; here what only the
database has: the frames read back exactly as from GeoParquet, atomic swaps seen by a second
connection and survived by a killed writer, the schema and its migrations, ``coopmap db init``.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap

import geopandas as gpd
import numpy as np
import pandas as pd
import psycopg
import pyarrow as pa
import pytest
from shapely.geometry import Point, box

from geo.config import REPO_ROOT, Settings
from geo.errors import LayerNotFound
from geo.events import events_schema, events_table
from geo.storage.migrations import migrate, migrations
from geo.storage.postgis import PostgisStore, table_name
from geo.storage.store import ParquetStore, store_from_settings


@pytest.fixture
def store(pg_url: str):
    with PostgisStore(pg_url) as opened:
        yield opened


def _events(start: int, n: int) -> pa.Table:
    ids = pa.array([f"E{i}" for i in range(start, start + n)])
    return events_table({"event_id": ids}, np.arange(n) % 90 + 0.5, np.full(n, 10.0))


def _staging_tables(url: str) -> list[str]:
    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'coopmap' AND position('__new_' in tablename) > 0"
        )
        return [r[0] for r in rows]


def test_the_default_layers_read_back_as_from_geoparquet(store, pg_url, default_workspace):
    """Events (dates, int8/int64, nullable text), countries (polygons, bools), projects (6 sites
    without a location: null geometry): the same frames, dtypes, column order and CRS."""
    embedded = ParquetStore(default_workspace)
    for layer_id in embedded.manifest().layers:
        store.write(layer_id, embedded.read(layer_id), ["default"])
    with PostgisStore(pg_url) as fresh:  # no cache: everything comes from the database
        for layer_id in embedded.manifest().layers:
            expected, got = embedded.read(layer_id), fresh.read(layer_id)
            pd.testing.assert_frame_equal(got, expected, check_exact=True)
            assert got.crs.to_epsg() == 4326 and list(got.columns) == list(expected.columns)
        assert fresh.read("projects").geometry.isna().sum() == 6
        assert fresh.manifest().layers["countries"].rows == len(embedded.read("countries"))


def test_edge_values_survive_the_trip(store, pg_url):
    """Null vs empty text, quotes and newlines in text, nullable ints, bools, UTC times, NaN as null."""
    frame = gpd.GeoDataFrame(
        {
            "name": pd.array(["", None, 'say "hi",\nthen go', "Kinshasa"], dtype="string"),
            "count": pd.array([1, None, -3, 2**40], dtype="Int64"),
            "flag": [True, False, True, False],
            "when": pd.to_datetime(
                ["2024-01-01T10:00:00.123Z", None, "1999-12-31T23:59:59Z", "2024-06-01T00:00Z"], format="ISO8601"
            ),
            "share": [0.1, np.nan, 1e-300, -2.5],
        },
        geometry=[Point(0, 0), None, box(1, 1, 2, 2), Point(-179.5, -89.5)],
        crs="EPSG:4326",
    )
    store.write("edge", frame, ["hand.csv"])
    with PostgisStore(pg_url) as fresh:
        got = fresh.read("edge")
    pd.testing.assert_frame_equal(got, frame, check_exact=True)
    assert got.loc[0, "name"] == "" and got.loc[1, "name"] is pd.NA


def test_data_version_changes_on_each_write_and_never_on_a_failed_one(store, pg_url):
    assert store.data_version == "empty" and store.manifest().layers == {}
    store.write("b", gpd.GeoDataFrame({"id": [1]}, geometry=[Point(1, 1)], crs="EPSG:4326"), ["y.csv", "x.csv"])
    store.write("a", gpd.GeoDataFrame({"id": [1, 2]}, geometry=[Point(1, 1)] * 2, crs="EPSG:4326"), ["x.csv"])
    layers = store.manifest().layers
    assert (layers["a"].rows, layers["b"].rows, layers["b"].sources) == (2, 1, ["x.csv", "y.csv"])
    # version_of by hand: blake2b-8 of "id:digest;" in id order
    by_hand = hashlib.blake2b(f"a:{layers['a'].digest};b:{layers['b'].digest};".encode(), digest_size=8)
    first = store.data_version
    assert first == by_hand.hexdigest()

    with pytest.raises(RuntimeError), store.write_batches("a", events_schema()) as out:
        out.write(_events(0, 10))
        raise RuntimeError("the source file ended too early")
    truncated = pa.array([b"\x01\x01\x00\x00\x00\x00"])  # a point's header, no coordinates
    with pytest.raises(psycopg.Error), store.write_batches("a", events_schema()) as out:
        out.write(_events(0, 1).set_column(17, "geometry", truncated))  # PostGIS refuses the geometry
    assert store.data_version == first and len(store.read("a")) == 2
    assert _staging_tables(pg_url) == []

    store.write("a", gpd.GeoDataFrame({"id": [3]}, geometry=[Point(2, 2)], crs="EPSG:4326"), ["z.csv"])
    assert store.data_version not in (first, "empty") and store.read("a")["id"].tolist() == [3]
    with pytest.raises(LayerNotFound):
        store.read("nothing")


def test_readers_see_the_old_rows_until_the_write_commits(store, pg_url):
    with store.write_batches("conflict-events", events_schema(), ["Point"]) as out:
        out.write(_events(0, 3))
    before = store.data_version
    with PostgisStore(pg_url) as reader, store.write_batches("conflict-events", events_schema(), ["Point"]) as out:
        out.write(_events(100, 5))
        out.sources = ["new.csv"]
        assert reader.data_version == before
        assert reader.read("conflict-events")["event_id"].tolist() == ["E0", "E1", "E2"]
    with PostgisStore(pg_url) as reader:
        assert reader.read("conflict-events")["event_id"].tolist() == [f"E{i}" for i in range(100, 105)]
        assert reader.data_version != before


KILLED_WRITER = textwrap.dedent(
    """
    import sys
    import numpy as np, pyarrow as pa
    from geo.events import events_schema, events_table
    from geo.storage.postgis import PostgisStore

    with PostgisStore(sys.argv[1]) as store, store.write_batches("conflict-events", events_schema()) as out:
        for batch in range(10_000):
            ids = pa.array([f"K{batch}-{i}" for i in range(20_000)])
            out.write(events_table({"event_id": ids}, np.full(20_000, 1.5), np.full(20_000, 2.5)))
            if batch == 3:
                print("loading", flush=True)
    """
)


def test_a_writer_killed_in_the_middle_of_a_big_write_leaves_the_previous_version(store, pg_url):
    with store.write_batches("conflict-events", events_schema(), ["Point"]) as out:
        out.write(_events(0, 4))
        out.sources = ["before.csv"]
    before = store.data_version
    with subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, pg_url], cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    ) as child:
        try:
            assert child.stdout.readline().strip() == "loading"  # 80,000 rows sent, the COPY still going
            with psycopg.connect(pg_url) as conn:
                copying = conn.execute("SELECT count(*) FROM pg_stat_activity WHERE query LIKE 'COPY%FROM STDIN%'")
                assert copying.fetchone()[0] == 1
        finally:
            os.kill(child.pid, signal.SIGKILL)
            child.wait(30)
    assert child.returncode == -signal.SIGKILL
    with PostgisStore(pg_url) as reader:
        assert reader.data_version == before
        assert reader.read("conflict-events")["event_id"].tolist() == ["E0", "E1", "E2", "E3"]
    assert _staging_tables(pg_url) == []
    # The layer is writable again once the server has ended the dead writer's transaction.
    with store.write_batches("conflict-events", events_schema(), ["Point"]) as out:
        out.write(_events(10, 2))
    assert store.read("conflict-events")["event_id"].tolist() == ["E10", "E11"]


EXPECTED_MANIFEST = {
    "layer_id": "text",
    "table_name": "text",
    "digest": "text",
    "rows": "bigint",
    "sources": "ARRAY",
    "written_at": "timestamp with time zone",
    "geometry_types": "ARRAY",
    "arrow_schema": "bytea",
}


def test_the_migrated_schema_is_the_one_the_store_uses(pg_cluster, store):
    """From an empty database (no PostGIS, no schema) to the newest version; then the layer tables
    users' GIS tools read: documented name, SRID 4326, GiST index, typed columns."""
    url = pg_cluster.create_database("empty_db", template="template0")
    try:
        assert [m.version for m in migrate(url)] == [m.version for m in migrations()] == [1, 2, 3, 4, 5]
        assert migrate(url) == []
        with psycopg.connect(url) as conn:
            columns = dict(conn.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'coopmap' AND table_name = 'manifest'"
            ).fetchall())
            versions = [r[0] for r in conn.execute("SELECT version FROM coopmap.schema_migrations")]
        assert columns == EXPECTED_MANIFEST and versions == [1, 2, 3, 4, 5]
    finally:
        pg_cluster.drop_database("empty_db")

    frame = gpd.GeoDataFrame(
        {"site": ["a"], "budget": [1.5], "n": pd.array([1], dtype="int8"), "on": [True]},
        geometry=[Point(1, 2)],
        crs="EPSG:4326",
    )
    store.write("project-sites", frame, [])
    assert table_name("project-sites") == "layer_project_sites"
    with pytest.raises(ValueError, match="would share table layer_project_sites with layer 'project-sites'"):
        store.write("project_sites", frame, [])  # '-' and '_' name the same table: never overwrite another layer
    with psycopg.connect(store.url) as conn:
        columns = conn.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = 'coopmap' AND table_name = 'layer_project_sites' ORDER BY ordinal_position"
        ).fetchall()
        geometry = conn.execute(
            "SELECT srid, type FROM geometry_columns WHERE f_table_schema = 'coopmap' "
            "AND f_table_name = 'layer_project_sites' AND f_geometry_column = 'geom'"
        ).fetchall()
        indexes = [r[0] for r in conn.execute(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'coopmap' AND tablename = 'layer_project_sites'"
        )]
        point = conn.execute("SELECT ST_X(geom), ST_Y(geom) FROM coopmap.layer_project_sites").fetchone()
    # a 2D point layer also has xy, the point as PostgreSQL's own type, for its index-only bbox index
    assert columns == [("fid", "bigint"), ("site", "text"), ("budget", "double precision"), ("n", "smallint"),
                       ("on", "boolean"), ("geom", "USER-DEFINED"), ("xy", "point")]
    assert geometry == [(4326, "GEOMETRY")] and point == (1.0, 2.0)
    assert any("USING gist (geom)" in d for d in indexes) and any("(fid)" in d for d in indexes)
    # ... including its numbers, booleans and coded text (here one value): filters on them read no table page
    assert any('USING gist (xy) INCLUDE (fid, site, budget, n, "on")' in d for d in indexes), indexes


def test_db_init_creates_the_schema_once(pg_cluster, monkeypatch):
    from click.testing import CliRunner

    from cli.main import main

    url = pg_cluster.create_database("init_db")
    try:
        monkeypatch.setenv("COOPMAP_DATABASE_URL", url)
        first = CliRunner().invoke(main, ["db", "init"])
        assert first.exit_code == 0, first.output
        assert first.output.splitlines() == [
            "applied 0001 layers", "applied 0002 state", "applied 0003 tokens", "applied 0004 version_notify",
            "applied 0005 registry", "schema version 0005 (up to date; 5 applied now)"]
        second = CliRunner().invoke(main, ["db", "init"])
        assert second.exit_code == 0 and second.output.splitlines() == [
            "schema version 0005 (up to date; 0 applied now)"
        ]
        with PostgisStore(url) as opened:
            assert opened.data_version == "empty"
        monkeypatch.delenv("COOPMAP_DATABASE_URL")
        unset = CliRunner().invoke(main, ["db", "init"])
        assert unset.exit_code == 2 and "COOPMAP_DATABASE_URL is not set" in unset.output
    finally:
        pg_cluster.drop_database("init_db")


def test_the_database_url_setting_selects_the_postgis_store(pg_url, tmp_path, monkeypatch):
    monkeypatch.setenv("COOPMAP_DATABASE_URL", pg_url)
    chosen = store_from_settings(Settings(home=tmp_path))
    try:
        assert isinstance(chosen, PostgisStore) and chosen.url == pg_url
    finally:
        chosen.close()
    monkeypatch.delenv("COOPMAP_DATABASE_URL")
    assert isinstance(store_from_settings(Settings(home=tmp_path)), ParquetStore)


@pytest.mark.slow
def test_with_a_database_url_the_default_layers_live_in_the_database(pg_url, tmp_path, monkeypatch):
    """``coopmap layers`` builds the default workspace into PostGIS: no layer file under COOPMAP_HOME."""
    from click.testing import CliRunner

    from cli.main import main

    monkeypatch.setenv("COOPMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("COOPMAP_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("COOPMAP_DEMO_EVENTS", "300")
    listed = CliRunner().invoke(main, ["layers"])
    assert listed.exit_code == 0, listed.output
    rows = {line.split()[0]: line.split()[1] for line in listed.output.splitlines()[2:]}
    assert rows["conflict-events"] == "300" and rows["envr"] != "-"
    assert not list((tmp_path / "home").rglob("*.parquet")) and not (tmp_path / "home" / "manifest.json").exists()
    with PostgisStore(pg_url) as opened:
        assert len(opened.read("conflict-events")) == 300
        assert opened.manifest().data_version in listed.output.splitlines()[0]


def test_an_unreachable_or_uninitialised_database_is_named_not_a_timeout(pg_cluster):
    from pgcluster import _free_port

    from geo.storage.pgconnect import DatabaseUnreachable, SchemaMissing

    with pytest.raises(DatabaseUnreachable, match="'dbname': 'nowhere'"):
        PostgisStore(f"postgresql://coopmap@127.0.0.1:{_free_port()}/nowhere", connect_timeout=1)
    url = pg_cluster.create_database("not_initialised")
    try:
        with PostgisStore(url) as bare, pytest.raises(SchemaMissing, match="coopmap db init"):
            bare.manifest()
    finally:
        pg_cluster.drop_database("not_initialised")
