"""The interactive map's geography (``geo.render.mapview``) on hand-built layers: one event
selection for the map's events, its country chart and the snapshot, and one GeoJSON writer."""

from __future__ import annotations

from types import SimpleNamespace

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pytest
import shapely

from geo.analytics.prepared import event_rows, prepared_events, select_events
from geo.analytics.timeseries import monthly_by_type
from geo.errors import InvalidParameter
from geo.features.geojson import feature_collection, records
from geo.query import Query, parse_query
from geo.render.layers import events_in_window
from geo.render.mapview import (
    chart_events,
    density_params,
    events_in_view,
    page_facts,
    select_sites,
    site_points,
)
from geo.storage.store import ParquetStore
from geo.types import Period
from tests.builders import make_events

# Layer order E0..E5; date order E2, E3, E0, E1, E5, then the undated E4.
ROWS = [
    {"event_id": "E0", "event_date": "2024-01-10", "event_type": "Battles", "country_iso3": "COD",
     "fatalities": 2, "precision": 1, "lon": 29.0, "lat": -1.0},
    {"event_id": "E1", "event_date": "2024-02-15", "event_type": "Protests", "country_iso3": "COD",
     "fatalities": 5, "precision": 3, "lon": 30.0, "lat": 0.5, "source_dataset": "synthetic-demo"},
    {"event_id": "E2", "event_date": "2023-12-31", "event_type": "Battles", "country_iso3": "COD",
     "fatalities": 1, "precision": 1, "lon": 29.5, "lat": -1.5},
    {"event_id": "E3", "event_date": "2024-01-05", "event_type": "Battles", "country_iso3": "RWA",
     "fatalities": 0, "precision": 2, "lon": 29.9, "lat": -2.0},
    {"event_id": "E4", "event_date": None, "event_type": "Battles", "country_iso3": "COD",
     "fatalities": 7, "precision": 1, "lon": 29.1, "lat": -1.1},
    {"event_id": "E5", "event_date": "2024-03-01", "event_type": "Battles", "country_iso3": "COD",
     "fatalities": 4, "precision": 1, "lon": 35.0, "lat": 0.0},
]
FILTERS = ("event_type", "source_dataset")
VIEW = (28.0, -3.0, 31.0, 1.0)
Q1 = {"datetime": "2024-01-01/2024-03-31"}


@pytest.fixture
def store(tmp_path):
    events = make_events([{"source_dataset": "acled", **row} for row in ROWS])
    store = ParquetStore(tmp_path)
    store.write("conflict-events", events, ["test"])
    return store


def _ids(frame: pd.DataFrame) -> list[str]:
    return list(frame["event_id"])


def test_one_selection_by_period_type_bbox_and_country_in_layer_order(store):
    battles = parse_query({**Q1, "event_type": "Battles"}, FILTERS)
    assert _ids(events_in_view(store, battles, VIEW, "COD")) == ["E0"]
    assert _ids(events_in_view(store, battles, VIEW)) == ["E0", "E3"]  # E3 is dated first
    assert _ids(events_in_view(store, battles, VIEW, "")) == ["E0", "E3"]
    arrays = prepared_events(store)
    wide = select_events(arrays, battles, battles.period)
    assert list(arrays.order[wide]) == [3, 0, 5]  # the mask follows the date order
    assert list(event_rows(arrays, wide)) == [0, 3, 5]
    every = select_events(arrays, Query(), None, country="COD")
    assert list(event_rows(arrays, every)) == [0, 1, 2, 4, 5]  # undated E4 with no period
    edge = select_events(arrays, Query(), None, bbox=(29.0, -1.0, 29.0, -1.0))
    assert list(event_rows(arrays, edge)) == [0]  # on the edge is inside


def test_snapshot_draws_the_same_selection_inside_its_window(store):
    query = parse_query(Q1, FILTERS)
    drawn = events_in_window(prepared_events(store), query, SimpleNamespace(window=VIEW))
    assert drawn["lon"].tolist() == [29.0, 30.0, 29.9]  # E0, E1, E3 in layer order
    assert drawn["lat"].tolist() == [-1.0, 0.5, -2.0]
    assert drawn["precision"].tolist() == [1, 3, 2]
    assert drawn["synthetic"].tolist() == [False, True, False]
    assert len(events_in_view(store, query, VIEW)) == len(drawn)


def test_country_chart_counts_the_selected_events_by_month_and_type(store):
    selected = chart_events(store, parse_query({}, FILTERS), "COD")
    assert len(selected) == 5  # E0, E1, E2, E4 (undated), E5
    counts, deaths = monthly_by_type(selected)
    assert [str(m) for m in counts.index] == ["2023-12", "2024-01", "2024-02", "2024-03"]
    assert counts["Battles"].tolist() == [1, 1, 0, 1]
    assert counts["Protests"].tolist() == [0, 0, 1, 0]
    assert deaths["Battles"].tolist() == [1, 2, 0, 4]
    assert deaths["Protests"].tolist() == [0, 0, 5, 0]
    battles = chart_events(store, parse_query({**Q1, "event_type": "Battles"}, FILTERS), "COD")
    assert battles["fatalities"].tolist() == [2, 4]  # E0, E5 (date order)


def test_page_facts_from_the_prepared_events(store, tmp_path):
    facts = page_facts(store)
    assert facts.months == ["2023-12", "2024-01", "2024-02", "2024-03"]
    assert facts.event_types == ["Battles", "Protests"]
    assert facts.synthetic is True
    empty = page_facts(ParquetStore(tmp_path / "empty"))
    assert (empty.months, empty.event_types, empty.synthetic) == ([], [], False)


def test_sites_of_a_country_and_period():
    projects = gpd.GeoDataFrame(
        {
            "site_id": ["A", "B", "C"],
            "countries": ["COD;RWA", "RWA", "COD"],
            "start": ["2020-01-01", "2020-01-01", "2010-01-01"],
            "end": [None, None, "2012-12-31"],
        },
        geometry=[shapely.Point(29.23456789, -1.68), shapely.Point(30.06, -1.95), None],
        crs="EPSG:4326",
    )
    chosen = select_sites(None, projects, None, iso3="COD", period=Period(pd.Timestamp("2024-01-01").date(), None))
    assert chosen.envr is None and chosen.footprints is None
    assert list(chosen.projects["site_id"]) == ["A"]  # B is in Rwanda, C ended in 2012
    every = select_sites(None, projects, None)
    assert records(site_points(every.projects, ["site_id", "budget"])) == [
        {"site_id": "A", "lon": 29.23457, "lat": -1.68},
        {"site_id": "B", "lon": 30.06, "lat": -1.95},
    ]  # C has no geometry; no budget column


def test_feature_collection_writes_dates_nulls_and_geometry():
    squares = gpd.GeoDataFrame(
        {
            "name": pd.array(["West", None], dtype="string"),
            "day": pd.to_datetime(["2024-03-05 13:45", None]),
            "share": [1.5, np.nan],
            "n": [3, 4],
        },
        geometry=[shapely.box(0, 0, 1, 1, ccw=False), shapely.box(1, 0, 2, 1)],
        crs="EPSG:4326",
    )
    payload = orjson.loads(orjson.dumps(feature_collection(squares, ["name", "day", "share", "n"])))
    assert payload["type"] == "FeatureCollection"
    assert [f["properties"] for f in payload["features"]] == [
        {"name": "West", "day": "2024-03-05", "share": 1.5, "n": 3},
        {"name": None, "day": None, "share": None, "n": 4},
    ]
    assert all("id" not in f for f in payload["features"])
    first = shapely.from_geojson(orjson.dumps(payload["features"][0]["geometry"]))
    assert first.equals(shapely.box(0, 0, 1, 1))
    assert first.exterior.is_ccw  # RFC 7946 orientation, as the features API writes it
    with pytest.raises(KeyError, match="missing"):
        feature_collection(squares, ["missing"])


def test_density_parameters_follow_the_zoom():
    args = {"zoom": "7", "bbox": "0,0,10,10", "datetime": "2024", "event_type": "Battles", "lang": "fr"}
    assert density_params(args) == {
        "bbox": "0,0,10,10",
        "datetime": "2024",
        "event_type": "Battles",
        "resolution": "0.05",
    }
    assert density_params({})["resolution"] == "0.5"  # zoom 3 by default
    with pytest.raises(InvalidParameter, match="zoom"):
        density_params({"zoom": "x"})
