"""Assigning events to countries: both sides of a border, coast, far sea, distances in km."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from geo.boundaries.countries import load_countries
from geo.boundaries.joins import assign_countries
from geo.config import Settings
from tests.builders import make_events


@pytest.fixture
def squares() -> gpd.GeoDataFrame:
    """Two 1° squares sharing the meridian 1°E, and one far north at 60-61°N."""
    return gpd.GeoDataFrame(
        {"iso3": ["AAA", "BBB", "NNN"]},
        geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1), box(10, 60, 11, 61)],
        crs="EPSG:4326",
    )


def assigned(events: gpd.GeoDataFrame) -> list[tuple[str | None, str]]:
    return [
        (None if pd.isna(c) else str(c), str(b))
        for c, b in zip(events["country_iso3"].astype(object), events["assigned_by"], strict=True)
    ]


def test_each_side_of_a_border_and_the_sea(squares):
    events = make_events(
        [
            {"lon": 0.99, "lat": 0.5},
            {"lon": 1.01, "lat": 0.5},  # either side of the shared border
            {"lon": -0.09, "lat": 0.5},  # 10 km west of AAA's coast
            {"lon": -0.5, "lat": 0.5},  # 56 km out: too far
            {"lon": 2.2, "lat": 0.5},  # 22 km east of BBB
        ]
    )
    out = assign_countries(events, squares, max_distance_km=25)
    assert assigned(out) == [
        ("AAA", "within"),
        ("BBB", "within"),
        ("AAA", "nearest"),
        (None, "none"),
        ("BBB", "nearest"),
    ]


def test_distance_is_in_kilometres_not_degrees(squares):
    # At 60.5°N, 0.4° of longitude is 22 km (< 25 km) though 0.4° > 25 km of latitude (0.225°).
    events = make_events([{"lon": 9.6, "lat": 60.5}, {"lon": 9.5, "lat": 60.5}])
    out = assign_countries(events, squares, max_distance_km=25)
    assert assigned(out) == [("NNN", "nearest"), (None, "none")]


def test_max_distance_zero_keeps_sea_events_unassigned(squares):
    out = assign_countries(make_events([{"lon": -0.01, "lat": 0.5}]), squares, max_distance_km=0)
    assert assigned(out) == [(None, "none")]


def test_real_boundaries_border_towns_and_offshore():
    countries = load_countries(Settings().boundaries_dir)
    events = make_events(
        [
            {"lon": 29.2205, "lat": -1.6792},  # Goma (DRC)
            {"lon": 29.2620, "lat": -1.6960},  # Gisenyi (Rwanda), across the border
            {"lon": 45.3182, "lat": 2.0371},  # Mogadishu
            {"lon": 45.42, "lat": 1.98},  # about 10 km off Mogadishu, in the Indian Ocean
            {"lon": -30.0, "lat": 0.0},  # mid-Atlantic
        ]
    )
    out = assign_countries(events, countries)
    assert assigned(out) == [
        ("COD", "within"),
        ("RWA", "within"),
        ("SOM", "within"),
        ("SOM", "nearest"),
        (None, "none"),
    ]


def test_provinces_follow_their_country(squares):
    provinces = gpd.GeoDataFrame(
        {"iso3": ["AAA", "BBB"], "code": ["AAA-W", "BBB-E"], "name": ["W", "E"]},
        geometry=[box(0, 0, 0.5, 1), box(1.5, 0, 2, 1)],
        crs="EPSG:4326",
    )
    events = make_events(
        [{"lon": 0.2, "lat": 0.5}, {"lon": 1.8, "lat": 0.5}, {"lon": 0.8, "lat": 0.5}]
    )
    out = assign_countries(events, squares, provinces=provinces, max_distance_km=5)
    assert [None if pd.isna(p) else p for p in out["province"].astype(object)] == [
        "AAA-W",
        "BBB-E",
        None,
    ]
