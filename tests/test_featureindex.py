"""The layer index answers the same selections as geopandas, and forgets superseded data."""

from __future__ import annotations

import numpy as np
import shapely
from hypothesis import given, settings
from hypothesis import strategies as st

from geo.features.index import LayerIndex
from geo.query import Query, parse_query
from layers.selection import prepared_cache
from tests.builders import random_events
from tests.reference import apply_query

EVENTS = random_events(2000, seed=11)
INDEX = LayerIndex(EVENTS, "event_date")


@given(
    st.floats(-20, 45),
    st.floats(-15, 25),
    st.floats(0, 30),
    st.floats(0, 30),
    st.sampled_from([None, "2024", "2023-02/2023-06", "../2023-03-31"]),
    st.sampled_from([None, "Battles", "Protests,Battles"]),
)
@settings(max_examples=60, deadline=None)
def test_index_selection_equals_the_geopandas_filter(x, y, w, h, period, kind):
    params = {"bbox": f"{x},{y},{min(x + w, 180)},{min(y + h, 90)}"}
    if period:
        params["datetime"] = period
    if kind:
        params["event_type"] = kind
    query = parse_query(params, ["event_type"])
    expected = apply_query(EVENTS, query, "event_date").index.to_numpy()
    assert np.array_equal(INDEX.select(query), expected)


def test_points_on_the_bbox_edge_are_inside():
    query = parse_query({"bbox": "10,5,20,6"}, [])
    edge = LayerIndex(
        EVENTS.iloc[:1].set_geometry(shapely.points([[10.0, 5.0]]), crs="EPSG:4326"), None
    )
    assert list(edge.select(query)) == [0]


def test_sort_descending_puts_the_largest_first():
    order = INDEX.select(Query(), (("fatalities", True),))
    values = EVENTS["fatalities"].to_numpy()[order]
    assert (np.diff(values) <= 0).all()


def test_cache_forgets_older_versions_of_a_layer():
    cache = prepared_cache()
    cache.get_or_compute(("events", "v1"), lambda: "old")
    cache.get_or_compute(("countries", "v1"), lambda: "countries")
    assert cache.get_or_compute(("events", "v2"), lambda: "new") == "new"
    assert ("events", "v1") not in cache._items
    assert ("countries", "v1") in cache._items
