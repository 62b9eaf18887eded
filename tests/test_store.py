from __future__ import annotations

import os

import geopandas as gpd
import pytest
from shapely.geometry import Point

from geo.io import atomic_path, write_parquet_atomic
from geo.store import ParquetStore


def _points(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"id": range(n)}, geometry=[Point(i, i) for i in range(n)], crs="EPSG:4326")


def test_write_then_read_bumps_the_data_version(tmp_path):
    store = ParquetStore(tmp_path)
    assert store.data_version == "empty"
    store.write("things", _points(3), ["a.csv"])
    first = store.data_version
    assert len(store.read("things")) == 3
    assert store.manifest().layers["things"].rows == 3
    store.write("things", _points(5), ["b.csv"])
    assert store.data_version != first
    assert len(ParquetStore(tmp_path).read("things")) == 5


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
