"""What one store keeps, the other keeps too: layers read back by another process (a new store on
the same data, no cache) are the same on the embedded store and on PostGIS."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point


def test_categories_read_back_as_categories(open_store):
    frame = gpd.GeoDataFrame(
        {"zone": pd.Categorical(["north", None, "south"])},
        geometry=[Point(29.2, -1.6), Point(29.3, -1.5), Point(30.0, 1.0)],
        crs="EPSG:4326",
    )
    open_store().write("zones", frame, ["zones.csv"])
    back = open_store().read("zones")
    assert back["zone"].dtype == "category"
    assert back["zone"].isna().tolist() == [False, True, False]
    assert back["zone"].dropna().tolist() == ["north", "south"]


def test_heights_of_3d_geometries_are_kept(open_store):
    # a GPS survey with heights, and a layer mixing 2D sites with one 3D site
    survey = gpd.GeoDataFrame({"site": ["a", "b"]}, geometry=[Point(29.2, -1.6, 1500.0), Point(29.3, -1.5, 1480.5)],
                              crs="EPSG:4326")
    mixed = gpd.GeoDataFrame({"site": ["c", "d"]}, geometry=[Point(29.0, -1.0), Point(29.1, -1.1, 900.0)],
                             crs="EPSG:4326")
    store = open_store()
    store.write("survey", survey, ["gps.gpkg"])
    store.write("mixed", mixed, ["sites.gpkg"])
    back = open_store()
    assert back.read("survey").geometry.z.tolist() == [1500.0, 1480.5]
    assert back.read("mixed").geometry.has_z.tolist() == [False, True]
    assert back.read("mixed").geometry.iloc[1].z == 900.0


def test_the_same_data_gives_the_same_data_version_in_either_store(tmp_path, pg_url):
    import numpy as np
    import pyarrow as pa

    from geo.events import events_schema, events_table
    from geo.storage.postgis import PostgisStore
    from geo.storage.store import ParquetStore

    zones = gpd.GeoDataFrame(
        {"zone": pd.Categorical(["north", None, "south"]), "name": ["Goma", None, "Bukavu"], "people": [3, 1, 2]},
        geometry=[Point(29.2, -1.6), Point(29.3, -1.5), Point(30.0, 1.0)],
        crs="EPSG:4326",
    )
    n = 150_000  # more than one piece of the digest (65,536 rows) and of a scan (100,000 rows)
    events = events_table({"event_id": pa.array([f"E{i}" for i in range(n)])}, np.arange(n) % 360 - 179.5,
                          np.arange(n) % 170 - 84.5)

    def ingest(store, cuts: list[int]) -> None:
        store.write("zones", zones, ["zones.csv"])
        with store.write_batches("conflict-events", events_schema(), ["Point"]) as out:
            for start, stop in zip([0, *cuts], [*cuts, n], strict=True):
                out.write(events.slice(start, stop - start))
            out.sources = ["acled.csv"]

    embedded = ParquetStore(tmp_path)
    with PostgisStore(pg_url) as database:
        # the same rows, cut into tables differently (as two ingests reading different block sizes)
        ingest(embedded, [70_000])
        ingest(database, [3, 99_999, 100_001])
        ours, theirs = embedded.manifest(), database.manifest()
        assert {k: r.digest for k, r in ours.layers.items()} == {k: r.digest for k, r in theirs.layers.items()}
        assert ours.data_version == theirs.data_version
        # one value changed in either store: another version, again the same in both
        zones.loc[2, "people"] = 5
        for store in (embedded, database):
            store.write("zones", zones, ["zones.csv"])
        assert embedded.data_version == database.data_version != ours.data_version


def test_the_default_workspace_copied_into_postgis_has_the_embedded_data_version(
    default_workspace, pg_cluster, pg_workspace_template
):
    # The demo workspace, built on the embedded store by `coopmap init` (events by batches, the
    # other layers as frames), and its copy in PostGIS, each layer read back and written again
    from geo.storage.postgis import PostgisStore
    from geo.storage.store import ParquetStore

    embedded = ParquetStore(default_workspace).manifest()
    with PostgisStore(pg_cluster.url(pg_workspace_template), min_size=0) as database:
        copied = database.manifest()
    assert {k: r.digest for k, r in copied.layers.items()} == {k: r.digest for k, r in embedded.layers.items()}
    assert copied.data_version == embedded.data_version
