"""The map data under load: events of the view from the prepared arrays, cached bodies that
follow the data and the caller's role, and spatial indexes safe to share between threads."""

from __future__ import annotations

import threading

import geopandas as gpd
import pytest
import shapely

from geo.analytics.prepared import read_events
from geo.boundaries.spatialindex import ready_sindex
from geo.query import Query, parse_query
from geo.render.mapview import events_in_view
from tests.builders import random_events
from tests.mapfixtures import analyst_token, populate
from tests.reference import apply_query
from webmap.context import store
from webmap.mapdata import EVENT_FILTERS


def event_selection(params: dict[str, str]) -> gpd.GeoDataFrame:
    """The reference: the caller's events of the period and types in ``params``, by pandas."""
    query = parse_query(params, EVENT_FILTERS)
    return apply_query(read_events(store()), Query(None, query.period, query.filters), "event_date")


@pytest.fixture
def mapped(app, home):
    populate(app.extensions["coopmap.store"], events=random_events(3000, seed=5))
    return app, home


PARAMS = [
    {},
    {"datetime": "2023-03-01/2023-09-30"},
    {"datetime": "2024-01", "event_type": "Battles,Protests"},
    {"event_type": "Protests", "source_dataset": "synthetic-demo"},
    {"datetime": "../2023-02-01"},
]
BBOXES = [(-18.0, -12.0, 45.0, 25.0), (0.0, 0.0, 10.0, 5.5), (46.0, 26.0, 47.0, 27.0)]


def test_events_of_the_view_are_the_filtered_events_inside_the_bbox(mapped):
    app, _ = mapped
    sizes = []
    for params in PARAMS:
        for bbox in BBOXES:
            with app.test_request_context("/map-data/events"):
                expected = event_selection(params)
                x, y = expected.geometry.x, expected.geometry.y
                inside = (x >= bbox[0]) & (x <= bbox[2]) & (y >= bbox[1]) & (y <= bbox[3])
                got = events_in_view(store(), parse_query(params, EVENT_FILTERS), bbox)
            assert list(got["event_id"]) == list(expected[inside]["event_id"]), (params, bbox)
            sizes.append(len(got))
    assert sizes.count(0) < len(sizes) // 2 and max(sizes) > 1000


def test_a_cached_map_body_follows_new_data(mapped):
    app, _ = mapped
    client = app.test_client()
    url = "/map-data/events?bbox=-18,-12,45,25&zoom=3&datetime=2023-01-01/2024-12-31"
    before = client.get(url).json["total"]
    assert client.get(url).json["total"] == before == 3000
    app.extensions["coopmap.store"].write("conflict-events", random_events(500, seed=6), ["t"])
    assert client.get(url).json["total"] == 500


def test_a_cached_sites_body_is_never_served_to_another_role(mapped):
    app, home = mapped
    token = analyst_token(home)
    client = app.test_client()
    exact = client.get("/map-data/sites", headers={"Authorization": f"Bearer {token}"}).json
    public = client.get("/map-data/sites").json
    assert {round(p["lon"], 2) for p in exact["projects"]} == {29.23, 28.86, 2.11, -4.02}
    assert not {round(p["lon"], 2) for p in public["projects"]} & {29.23, 28.86, 2.11, -4.02}
    assert all("budget_eur" not in p for p in public["projects"])


def test_a_shared_spatial_index_answers_concurrent_first_queries(mapped):
    frame = gpd.GeoDataFrame(geometry=shapely.points(range(2000), range(2000)))
    answers: list[int] = []

    def query() -> None:
        answers.append(len(ready_sindex(frame).query(shapely.box(10, 10, 1009, 1009))))

    threads = [threading.Thread(target=query) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [1000] * 8
