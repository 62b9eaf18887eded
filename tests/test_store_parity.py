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
