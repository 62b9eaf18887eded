"""The analyst formats as their specifications recommend: GeoParquet 1.1 (bbox covering, spatial
order, row groups) checked by the OGC abstract tests (``geoparquet-validator``), FlatGeobuf with
its spatial index, GeoPackage with its R-tree."""

from __future__ import annotations

import sqlite3
import struct

import geopandas as gpd
import geoparquet_validator as gpv
import numpy as np
import orjson
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
import shapely

from geo.storage.digest import LayerDigest
from geo.storage.io import frame_to_arrow
from geo.storage.store import ParquetStore
from tests.backends import backend  # noqa: F401  (the download tests run on both stores)
from tests.builders import random_events


def _validated(path) -> dict:
    """The validator's report on ``path``, asserting no Core, Covering or Distribution test failed
    and that the covering class was claimed (its tests ran)."""
    report = gpv.check(str(path))
    assert gpv.failed(report) == [], report["outcomes"]
    statuses = {o["id"]: o["status"] for o in report["outcomes"]}
    assert statuses["/conf/covering/bbox-paths"] == "pass"
    assert statuses["/conf/distribution/geospatial-statistics"] == "pass"
    assert report["version"] == "1.1.0"
    return statuses


def _clusters(n: int) -> gpd.GeoDataFrame:
    """``n`` points: ids 0..n-1, a fifth around each of five centres taken in turn (so the written
    order jumps across the map at every row), normally spread with a standard deviation of 1 degree.

    The centres are those of five cells of 45 x 22.5 degrees (the Hilbert curve's third level over
    the world): each cluster (within +-5 degrees) lies inside its own cell, so the curve visits it
    in one stretch and the five clusters fill the five row groups one each."""
    rng = np.random.default_rng(3)
    cities = np.array([[22.5, -11.25], [22.5, 11.25], [-22.5, 11.25], [22.5, 33.75], [67.5, 33.75]])
    centre = cities[np.arange(n) % 5]
    xy = centre + rng.normal(0, 1.0, (n, 2))
    return gpd.GeoDataFrame({"n": np.arange(n)}, geometry=shapely.points(xy), crs="EPSG:4326")


def test_a_large_layer_file_passes_core_covering_and_distribution(tmp_path):
    # 500,000 rows in row groups of 100,000: 500000 / 100000 = 5 row groups, the fewest on which
    # the validator gives its spatial-order verdict
    frame = _clusters(500_000)
    store = ParquetStore(tmp_path)
    store.write("points", frame, ["test"])
    path = store.path("points")
    statuses = _validated(path)
    assert statuses["/conf/distribution/spatial-order"] == "pass"
    meta = pq.ParquetFile(path).metadata
    assert [meta.row_group(i).num_rows for i in range(meta.num_row_groups)] == [100_000] * 5
    # each row group holds one cluster: its bbox (from the covering's statistics) is about 10
    # degrees wide (+-5 sd), not the 90 degrees between the centres at -22.5 and 67.5
    names = pq.read_schema(path).names
    xmin, xmax = names.index("bbox"), names.index("bbox") + 2  # leaf columns bbox.xmin, bbox.xmax
    widths = [meta.row_group(i).column(xmax).statistics.max - meta.row_group(i).column(xmin).statistics.min
              for i in range(5)]
    assert max(widths) < 20
    # the layer reads and scans back in the order written (ids 0, 1, 2, ...), 100,000 rows a table
    assert store.read("points")["n"].tolist() == list(range(500_000))
    scanned = list(store.scan("points", ["n"]))
    assert [t.num_rows for t in scanned] == [100_000] * 5
    assert np.concatenate([t.column("n").to_numpy() for t in scanned]).tolist() == list(range(500_000))


def test_a_bbox_read_skips_the_row_groups_outside_the_window(tmp_path):
    frame = _clusters(500_000)
    store = ParquetStore(tmp_path)
    store.write("points", frame, ["test"])
    # the middle of the cluster around (22.5, -11.25)
    window = (20.0, -14.0, 25.0, -9.0)
    back = gpd.read_parquet(store.path("points"), bbox=window)
    expected = frame.cx[20.0:25.0, -14.0:-9.0]
    assert sorted(back["n"]) == sorted(expected["n"])
    # the row groups a reader must open: those whose covering statistics meet the window; the
    # cluster's 100,000 points are one of the five
    meta = pq.ParquetFile(store.path("points")).metadata
    names = pq.read_schema(store.path("points")).names
    first = names.index("bbox")
    stats = [[meta.row_group(g).column(first + k).statistics for k in range(4)] for g in range(5)]
    opened = [g for g, (x0, y0, x1, y1) in enumerate(stats)
              if x0.min <= 25.0 and x1.max >= 20.0 and y0.min <= -9.0 and y1.max >= -14.0]
    assert len(opened) == 1


def test_the_file_is_spatially_ordered_but_the_layer_keeps_its_order_and_digest(tmp_path):
    # written in the order A (40, 10), B (-10, -10), C (41, 10), D (-11, -10): the Hilbert curve
    # visits the north-east quadrant (A, C) and the south-west one (B, D) each in one stretch
    frame = gpd.GeoDataFrame(
        {"name": ["A", "B", "C", "D"]},
        geometry=shapely.points([[40, 10], [-10, -10], [41, 10], [-11, -10]]),
        crs="EPSG:4326",
    )
    store = ParquetStore(tmp_path)
    store.write("sites", frame, ["test"])
    stored = pq.read_table(store.path("sites"))
    order = stored.column("name").to_pylist()
    assert order.index("A") // 2 == order.index("C") // 2 and order.index("B") // 2 == order.index("D") // 2
    assert order != ["A", "B", "C", "D"]
    # fid: each row's place in the written order
    assert dict(zip(order, stored.column("fid").to_pylist(), strict=True)) == {"A": 1, "B": 2, "C": 3, "D": 4}
    # the covering of a point is the point
    boxes = dict(zip(order, stored.column("bbox").to_pylist(), strict=True))
    assert boxes["C"] == {"xmin": 41.0, "ymin": 10.0, "xmax": 41.0, "ymax": 10.0}
    geo = orjson.loads(pq.read_schema(store.path("sites")).metadata[b"geo"])["columns"]["geometry"]
    assert geo["covering"]["bbox"]["xmin"] == ["bbox", "xmin"] and geo["bbox"] == [-11.0, -10.0, 41.0, 10.0]

    again = ParquetStore(tmp_path)  # another process: no cache
    assert again.read("sites")["name"].tolist() == ["A", "B", "C", "D"]
    assert "fid" not in again.read("sites").columns and "bbox" not in again.read("sites").columns
    assert [t.column("name").to_pylist() for t in again.scan("sites")] == [["A", "B", "C", "D"]]
    with pytest.raises(Exception, match="fid"):
        list(again.scan("sites", ["fid"]))
    # the digest is the content's in the written order, whatever the file's order: the data
    # version of equal content is the one it had before (and the PostGIS store's)
    digest = LayerDigest(frame_to_arrow(frame).schema)
    digest.update(frame_to_arrow(frame))
    assert again.manifest().layers["sites"].digest == digest.hexdigest()


def test_a_layer_file_without_fid_or_covering_still_reads(tmp_path):
    # a workspace written before the spatial layout: plain GeoParquet 1.0, one row group
    store = ParquetStore(tmp_path)
    frame = _clusters(10)
    store.write("points", frame, ["test"])
    frame.to_parquet(store.path("points"), index=False)  # the old file layout, same content
    again = ParquetStore(tmp_path)
    assert again.read("points")["n"].tolist() == list(range(10))
    assert np.concatenate([t.column("n").to_numpy() for t in again.scan("points")]).tolist() == list(range(10))


# -- downloads -----------------------------------------------------------------------------------


@pytest.fixture
def events(app, app_factory):
    frame = gpd.GeoDataFrame(random_events(12_000, seed=11), geometry="geometry", crs="EPSG:4326")
    app_factory().extensions["coopmap.store"].write("conflict-events", frame, ["test"])
    return frame


def _download(client, url: str, path):
    with client.get(url) as response:
        assert response.status_code == 200, response.get_data(as_text=True)
        path.write_bytes(response.get_data())
    return path


def test_the_parquet_download_passes_core_covering_and_distribution(client, events, tmp_path):
    path = _download(client, "/download/conflict-events.parquet", tmp_path / "events.parquet")
    _validated(path)
    back = gpd.read_parquet(path, bbox=(0.0, 0.0, 20.0, 10.0))
    assert sorted(back["event_id"]) == sorted(events.cx[0:20, 0:10]["event_id"])
    # spatial order: consecutive rows are near each other. In the random order of the layer the
    # mean step is about a third of the 63 x 37 degree extent (~25 degrees); sorted, well under 1
    xy = shapely.get_coordinates(gpd.read_parquet(path).geometry.array)
    assert np.hypot(*np.diff(xy, axis=0).T).mean() < 1.0


def test_a_sorted_parquet_download_keeps_the_asked_order(client, events, tmp_path):
    path = _download(client, "/download/conflict-events.parquet?sortby=-fatalities", tmp_path / "e.parquet")
    _validated(path)
    fatalities = gpd.read_parquet(path)["fatalities"].tolist()
    assert fatalities == sorted(fatalities, reverse=True) and len(fatalities) == 12_000


def _fgb_index_node_size(path) -> int:
    """``index_node_size`` of a FlatGeobuf header (0: no spatial index; absent: the default 16)."""
    data = path.read_bytes()
    assert data[:3] == b"fgb"
    size = struct.unpack_from("<I", data, 8)[0]
    header = data[12:12 + size]  # a flatbuffer: root table offset, then the table's vtable
    root = struct.unpack_from("<I", header, 0)[0]
    vtable = root - struct.unpack_from("<i", header, root)[0]
    slot = 4 + 2 * 9  # field 9 of the Header table: index_node_size
    if slot >= struct.unpack_from("<H", header, vtable)[0]:
        return 16
    offset = struct.unpack_from("<H", header, vtable + slot)[0]
    return 16 if offset == 0 else struct.unpack_from("<H", header, root + offset)[0]


def test_the_flatgeobuf_download_carries_its_spatial_index(client, events, tmp_path):
    path = _download(client, "/download/conflict-events.fgb", tmp_path / "events.fgb")
    assert _fgb_index_node_size(path) > 0
    assert pyogrio.read_info(path)["capabilities"]["fast_spatial_filter"]
    back = pyogrio.read_dataframe(path, bbox=(0.0, 0.0, 20.0, 10.0))
    assert sorted(back["event_id"]) == sorted(events.cx[0:20, 0:10]["event_id"])


def test_the_geopackage_download_carries_a_valid_rtree(client, events, tmp_path):
    path = _download(client, "/download/conflict-events.gpkg", tmp_path / "events.gpkg")
    _assert_rtree(path, "conflict-events", events)


def test_a_geopackage_written_in_parts_keeps_its_rtree_valid(tmp_path):
    from geo.features.export import write_frames

    events = gpd.GeoDataFrame(random_events(12_000, seed=12), geometry="geometry", crs="EPSG:4326")
    parts = [events.iloc[0:5000], events.iloc[5000:10_000], events.iloc[10_000:]]  # 5000 + 5000 + 2000
    path = tmp_path / "events.gpkg"
    write_frames(iter(parts), path, "conflict-events", {"data_version": "v1"}, synthetic=True)
    _assert_rtree(path, "conflict-events", events)


def _assert_rtree(path, layer: str, events: gpd.GeoDataFrame) -> None:
    with sqlite3.connect(path) as db:
        extensions = db.execute("SELECT extension_name FROM gpkg_extensions WHERE table_name = ?", (layer,)).fetchall()
        assert ("gpkg_rtree_index",) in extensions
        rtree = f'"rtree_{layer}_geom"'
        assert db.execute(f"SELECT count(*) FROM {rtree}").fetchone()[0] == len(events)  # one entry per feature
        inside = db.execute(
            f"SELECT count(*) FROM {rtree} WHERE minx >= 0 AND maxx <= 20 AND miny >= 0 AND maxy <= 10"
        ).fetchone()[0]
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert inside == len(events.cx[0:20, 0:10])
    back = pyogrio.read_dataframe(path, bbox=(0.0, 0.0, 20.0, 10.0))
    assert len(back) == inside


def test_parquet_written_from_parts_is_one_sorted_file(tmp_path):
    from geo.features.export import write_frames

    events = gpd.GeoDataFrame(random_events(12_000, seed=13), geometry="geometry", crs="EPSG:4326")
    parts = [events.iloc[0:5000], events.iloc[5000:10_000], events.iloc[10_000:]]
    path = tmp_path / "events.parquet"
    write_frames(iter(parts), path, "conflict-events", {"data_version": "v1"}, synthetic=True)
    _validated(path)
    back = gpd.read_parquet(path)
    assert sorted(back["event_id"]) == sorted(events["event_id"])
    assert "synthetic demo data" in orjson.loads(pq.read_schema(path).metadata[b"coopmap"])["notice"]
    pd.testing.assert_series_equal(
        back.set_index("event_id")["fatalities"].sort_index(), events.set_index("event_id")["fatalities"].sort_index()
    )


def test_a_flatgeobuf_written_in_parts_has_every_feature_and_its_index(tmp_path):
    from geo.features.export import write_frames

    events = gpd.GeoDataFrame(random_events(12_000, seed=14), geometry="geometry", crs="EPSG:4326")
    parts = [events.iloc[0:5000], events.iloc[5000:10_000], events.iloc[10_000:]]  # 5000 + 5000 + 2000
    path = tmp_path / "events.fgb"
    write_frames(iter(parts), path, "conflict-events", {"data_version": "v1"}, synthetic=True)
    assert _fgb_index_node_size(path) > 0
    info = pyogrio.read_info(path)
    assert info["features"] == 12_000 and info["geometry_type"] == "Point" and info["crs"] == "EPSG:4326"
    assert "synthetic demo data" in info["layer_metadata"]["DESCRIPTION"]
    back = pyogrio.read_dataframe(path, bbox=(0.0, 0.0, 20.0, 10.0))
    assert sorted(back["event_id"]) == sorted(events.cx[0:20, 0:10]["event_id"])


def test_a_flatgeobuf_with_a_feature_without_geometry_keeps_it_without_an_index(tmp_path):
    from geo.features.export import write_frames

    # a project not mapped has no geometry: FlatGeobuf's index cannot hold it, the feature is kept
    sites = gpd.GeoDataFrame({"name": ["a", "b", "unmapped"]},
                             geometry=[shapely.Point(1, 1), shapely.Point(2, 2), None], crs="EPSG:4326")
    path = tmp_path / "sites.fgb"
    write_frames(iter([sites.iloc[:2], sites.iloc[2:]]), path, "projects", {"data_version": "v1"}, synthetic=False)
    assert _fgb_index_node_size(path) == 0
    back = pyogrio.read_dataframe(path)
    assert back["name"].tolist() == ["a", "b", "unmapped"] and back.geometry.isna().tolist() == [False, False, True]
