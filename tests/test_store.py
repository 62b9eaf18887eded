from __future__ import annotations

import os
import threading

import geopandas as gpd
import pyarrow as pa
import pytest
from shapely.geometry import Point

from geo.errors import InvalidParameter
from geo.storage.io import atomic_path, write_parquet_atomic
from geo.storage.store import ParquetStore


def _points(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": range(n)}, geometry=[Point(i, i) for i in range(n)], crs="EPSG:4326")


def test_write_then_read_bumps_the_data_version(open_store):
    store = open_store()
    assert store.data_version == "empty"
    store.write("things", _points(3), ["a.csv"])
    first = store.data_version
    assert len(store.read("things")) == 3
    assert store.manifest().layers["things"].rows == 3
    store.write("things", _points(5), ["b.csv"])
    assert store.data_version != first
    assert len(open_store().read("things")) == 5


def test_a_write_that_fails_midway_leaves_the_old_file(tmp_path):
    target = tmp_path / "layer.parquet"
    write_parquet_atomic(_points(2), target)
    before = target.read_bytes()
    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_bytes(b"half a parquet file")
        raise RuntimeError("disk gone")
    assert target.read_bytes() == before
    assert len(gpd.read_parquet(target)) == 2
    assert os.listdir(tmp_path) == ["layer.parquet"]


def test_a_killed_writer_leaves_the_old_file(tmp_path):
    """A child process is killed between writing its temp file and the rename."""
    import multiprocessing
    import signal

    target = tmp_path / "layer.parquet"
    write_parquet_atomic(_points(2), target)
    before = target.read_bytes()

    ctx = multiprocessing.get_context("fork")
    ready = ctx.Event()
    child = ctx.Process(target=_write_and_hang, args=(str(target), ready))
    child.start()
    assert ready.wait(30)
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    assert target.read_bytes() == before


def _write_and_hang(target: str, ready) -> None:  # runs in the child
    import time

    with atomic_path(target) as tmp:
        _points(1000).to_parquet(tmp)
        ready.set()
        time.sleep(60)


def test_write_batches_streams_row_groups_and_is_atomic(open_store, tmp_path):
    import numpy as np
    import pyarrow as pa

    from geo.events import events_schema, events_table

    store = open_store()
    schema = events_schema()

    def table(start: int, n: int) -> pa.Table:
        ids = pa.array([f"E{i}" for i in range(start, start + n)])
        return events_table({"event_id": ids}, np.arange(n) + 0.5, np.full(n, 10.0))

    with store.write_batches("conflict-events", schema, ["Point"]) as out:
        out.write(table(0, 3))
        out.write(table(3, 2))
        out.sources = ["a.csv"]
    version = store.data_version
    frame = store.read("conflict-events")
    assert list(frame["event_id"]) == ["E0", "E1", "E2", "E3", "E4"]
    assert frame.crs.to_epsg() == 4326 and frame.geometry.x.tolist() == [0.5, 1.5, 2.5, 0.5, 1.5]
    assert store.manifest().layers["conflict-events"].rows == 5
    assert [t.num_rows for t in store.scan("conflict-events", ["event_id"])] == [5]

    with pytest.raises(RuntimeError), store.write_batches("conflict-events", schema) as out:
        out.write(table(10, 1))
        raise RuntimeError("disk gone")
    assert store.data_version == version and len(store.read("conflict-events")) == 5
    assert len(open_store().read("conflict-events")) == 5
    if isinstance(store, ParquetStore):  # no temporary file left beside the layer
        assert sorted(p.name for p in (tmp_path / "layers").iterdir()) == ["conflict-events.parquet"]


def test_secured_store_scans_what_the_role_may_read_and_never_writes(open_store):
    import shapely

    from geo.events import events_schema
    from layers import CATALOGUE
    from layers.secured import SecuredStore

    store = open_store()
    sites = gpd.GeoDataFrame(
        {"site_id": ["P1-1"], "country_iso3": ["MLI"], "budget_eur": [1_000_000.0]},
        geometry=[Point(-7.98, 12.65)],
        crs="EPSG:4326",
    )
    store.write("projects", sites, ["p.csv"])
    planner = SecuredStore(store, "planner", CATALOGUE)
    [table] = list(planner.scan("projects"))
    assert "budget_eur" not in table.column_names
    assert table.column("site_id").to_pylist() == ["P1-1"]
    assert shapely.from_wkb(table.column("geometry").to_pylist())[0].equals(Point(-7.98, 12.65))
    with pytest.raises(PermissionError):
        planner.write_batches("conflict-events", events_schema())


def test_the_store_and_every_role_view_hash_their_layers_the_same_way(open_store):
    import hashlib

    from geo.storage.store import LayerRecord, version_of
    from layers import CATALOGUE
    from layers.secured import SecuredStore

    one = LayerRecord(rows=1, sources=[], updated="", digest="abc")
    two = LayerRecord(rows=1, sources=[], updated="", digest="def")
    expected = hashlib.blake2b(b"a:def;b:abc;", digest_size=8).hexdigest()  # ids sorted
    assert version_of({"b": one, "a": two}) == expected

    store = open_store()
    store.write("things", _points(2), ["a.csv"])
    assert store.data_version == version_of(store.manifest().layers)
    # The admin sees every layer as stored: the same layers give the same version.
    assert SecuredStore(store, "admin", CATALOGUE).data_version == store.data_version


def test_scanning_a_column_the_layer_lacks_is_an_error_naming_it(open_store):
    from layers import CATALOGUE
    from layers.secured import SecuredStore

    store = open_store()
    store.write("things", _points(3), ["a.csv"])
    assert sum(t.num_rows for t in store.scan("things", ["geometry"])) == 3
    for view in (store, SecuredStore(store, "admin", CATALOGUE)):
        with pytest.raises(InvalidParameter, match="colour") as raised:
            list(view.scan("things", ["geometry", "colour"]))
        assert raised.value.parameter == "columns" and raised.value.value == "colour"
        assert raised.value.status == 400


def test_reports_secrets_and_locks_are_kept_by_the_store(open_store):
    store, other = open_store(), open_store()  # two handles on the same state: two workers, say
    report = pa.table({"line": pa.array([4, 7], pa.int64()), "reason": ["bad date '2024-13-01'", "no country"],
                       "event_id": ["A1", None]})
    assert store.save_report("acled_cod.rejects", report) is not None
    assert other.reports() == ["acled_cod.rejects"]
    back = other.read_report("acled_cod.rejects")
    assert back.column("line").to_pylist() == [4, 7]
    assert back.column("reason").to_pylist() == ["bad date '2024-13-01'", "no country"]
    assert back.column("event_id").to_pylist() == ["A1", None]
    assert store.save_report("acled_cod.rejects", report.slice(0, 0)) is None  # a clean re-run clears it
    assert other.reports() == []
    with pytest.raises(InvalidParameter, match="report"):
        other.read_report("acled_cod.rejects")
    # a secret is made once and is the same for every handle
    key = store.secret("secret_key")
    assert len(key) == 64 and other.secret("secret_key") == key and store.secret("other") != key
    # a lock held by one handle makes the other wait
    order: list[str] = []

    def wait_for_the_lock() -> None:
        with other.lock("init"):
            order.append("other")

    with store.lock("init"):
        waiter = threading.Thread(target=wait_for_the_lock)
        waiter.start()
        waiter.join(0.5)
        order.append("first released")
    waiter.join(5)
    assert order == ["first released", "other"]
