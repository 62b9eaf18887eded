"""Selections answered in SQL by the PostGIS store (``geo.storage.pgquery``, ``layers.pushdown``).

The store-level tests write small hand-made layers into a fresh database and check the matching
rows against answers worked out by hand (fid = stored position + 1), and against the in-memory
``LayerIndex`` on the same frame (the two paths must agree). The app-level tests serve the default
workspace from PostGIS and prove that the items, item, collection and download answers never
read the whole layer, and give the same bytes as the embedded store.
"""

from __future__ import annotations

import datetime as dt
import re

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import psycopg
import pyogrio
import pytest
from shapely.geometry import Point

from geo.cql import parse_filter, queryable_kinds
from geo.errors import DataChanged
from geo.features.export import write_frames
from geo.features.index import LayerIndex
from geo.query import Query
from geo.registries.periods import ENVR_SPAN, EVENT_SPAN, PROJECT_SPAN, TimeSpan
from geo.storage.base import RowQuery
from geo.storage.postgis import PostgisStore
from geo.types import Period
from webmap import create_app

Y2024 = Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))


def _events() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "event_id": ["A", "B", "C", "D", "E", "F"],
            "event_date": pd.to_datetime(
                ["2024-01-15", "2024-02-01", None, "2023-12-31", "2024-12-31", "2024-03-01"]).astype("datetime64[ms]"),
            "fatalities": np.array([5, 0, 12, 5, 3, 1], dtype=np.int64),
            "score": [5.0, 0.1, 2.5, np.nan, 5.0, 1.0],
            "flag": [True, False, True, False, True, False],
            "source_dataset": ["acled", "acled", "synthetic-demo", "acled", "acled", "acled"],
        },
        geometry=[Point(180, 0), Point(-180, 10), Point(179.5, -5), Point(20, 0), Point(170, 20), None],
        crs="EPSG:4326",
    )


@pytest.fixture
def pg(pg_url: str):
    with PostgisStore(pg_url) as store:
        store.write("events-test", _events(), ["hand"])
        yield store


def _span(span: TimeSpan, **kw) -> RowQuery:
    return RowQuery(start=span.start, end=span.end, ongoing=span.ongoing, absent=span.absent, **kw)


def _positions(store: PostgisStore, layer_id: str, query: RowQuery) -> list[int]:
    return (store.select_rows(layer_id, query).fids - 1).tolist()


CASES = [
    # bbox at the antimeridian: A (180, 0) and C (179.5, -5); B is at -180, E above y=10
    (dict(bbox=(170.0, -10.0, 180.0, 10.0)), [0, 2]),
    (dict(bbox=(-180.0, -90.0, -170.0, 90.0)), [1]),
    # 2024: A, B, E (31 Dec), F (no geometry, still dated); C has no date: never; D is 2023
    (dict(period=Y2024), [0, 1, 4, 5]),
    # up to 31 Jan 2024: D and A; C (unknown date) never
    (dict(period=Period(None, dt.date(2024, 1, 31))), [0, 3]),
    # up to the last representable day: every known date (C never)
    (dict(period=Period(None, dt.date.max)), [0, 1, 3, 4, 5]),
    # an integer column: its text is "5"; "05" and "5.0" match nothing
    (dict(filters=(("fatalities", ("5",)),)), [0, 3]),
    (dict(filters=(("fatalities", ("05", "5.0")),)), []),
    # a float column: its text is "5.0" and "0.1"; "5" matches nothing
    (dict(filters=(("score", ("5.0", "0.1")),)), [0, 1, 4]),
    (dict(filters=(("score", ("5",)),)), []),
    # a boolean column: "True"; "true" matches nothing
    (dict(filters=(("flag", ("True",)),)), [0, 2, 4]),
    (dict(filters=(("flag", ("true",)),)), []),
    # a date column: the text of a date-only column is YYYY-MM-DD
    (dict(filters=(("event_date", ("2024-02-01",)),)), [1]),
    # sortby -fatalities: C 12, A 5, D 5 (ties in stored order), E 3, F 1, B 0
    (dict(sortby=(("fatalities", True),)), [2, 0, 3, 4, 5, 1]),
    # sortby event_date: the unknown date first, then D, A, B, F, E
    (dict(sortby=(("event_date", False),)), [2, 3, 0, 1, 5, 4]),
    # bbox + period + filter + sort together: A and D match fatalities=5, only A is in 2024
    (dict(period=Y2024, filters=(("fatalities", ("5", "3")),), sortby=(("event_date", True),)), [4, 0]),
]


@pytest.mark.parametrize(("kwargs", "expected"), CASES)
def test_store_selects_as_worked_out_by_hand_and_as_in_memory(pg, kwargs, expected):
    assert _positions(pg, "events-test", _span(EVENT_SPAN, **kwargs)) == expected
    sortby = kwargs.pop("sortby", ())
    in_memory = LayerIndex(_events(), EVENT_SPAN).select(Query(**kwargs), sortby)
    assert in_memory.tolist() == expected


def test_rows_come_back_in_the_order_asked_with_the_layer_dtypes(pg):
    digest = pg.select_rows("events-test", RowQuery()).digest
    table = pg.fetch_rows("events-test", np.array([3, 1]), ["event_id", "score"], digest)
    assert table.column("event_id").to_pylist() == ["C", "A"]  # fid 3 is C, fid 1 is A
    assert table.column_names == ["event_id", "score", "geometry"]


def test_overview_counts_and_bounds_every_row(pg):
    found = pg.overview("events-test", _span(EVENT_SPAN))
    # 6 rows; x from -180 (B) to 180 (A), y from -5 (C) to 20 (E); dates 2023-12-31 (D) .. 2024-12-31 (E)
    assert (found.rows, found.bbox) == (6, (-180.0, -5.0, 180.0, 20.0))
    assert (found.first, found.last) == ("2023-12-31", "2024-12-31")


def test_period_on_a_span_layer_and_on_a_year_column(pg):
    projects = gpd.GeoDataFrame(
        {
            "start": pd.to_datetime(["2023-03-01", "2017-01-01", None, "2020-01-01", "2025-01-01", "2010-01-01"]),
            "end": pd.to_datetime(["2027-02-28", "2024-12-31", None, None, "2025-06-30", "2019-12-31"]),
        },
        geometry=[Point(i, i) for i in range(6)], crs="EPSG:4326",
    )
    pg.write("spans-test", projects, ["hand"])
    # 2024: P1 (2023-2027), P2 (ends 31 Dec 2024), P4 (ongoing since 2020); P3 has no start: never
    assert _positions(pg, "spans-test", _span(PROJECT_SPAN, period=Y2024)) == [0, 1, 3]
    # March 2025 on: P1, P4 (ongoing), P5
    assert _positions(pg, "spans-test", _span(PROJECT_SPAN, period=Period(dt.date(2025, 3, 1), None))) == [0, 3, 4]
    assert _positions(pg, "spans-test", _span(PROJECT_SPAN, period=Period(None, dt.date(2016, 12, 31)))) == [5]
    assert pg.overview("spans-test", _span(PROJECT_SPAN)).last is None  # P4 is ongoing

    schools = gpd.GeoDataFrame(
        {"founded": pd.array([2015, 2021, None, 2010], dtype="Int64"), "status": ["open", "open", "open", "planned"]},
        geometry=[Point(i, i) for i in range(4)], crs="EPSG:4326",
    )
    pg.write("schools-test", schools, ["hand"])
    # founded by 30 June 2020: 2015 only (2010 is planned: never; unknown: never)
    assert _positions(pg, "schools-test", _span(ENVR_SPAN, period=Period(None, dt.date(2020, 6, 30)))) == [0]
    # a year counts from 1 January: 2021 exists in January-May 2021
    assert _positions(pg, "schools-test", _span(ENVR_SPAN, period=Period(dt.date(2021, 1, 2), dt.date(2021, 5, 31)))) \
        == [0, 1]


def test_a_polygon_filter_on_coded_columns_is_answered_by_the_xy_index(pg, pg_url):
    # the polygon 165..180 x -6..21 holds A (180, 0: on its edge), C (179.5, -5) and E (170, 20);
    # fatalities > 2: A 5, C 12, E 3; acled: A and E (C is synthetic-demo)
    kinds = queryable_kinds({"fatalities": "integer", "source_dataset": "string"})
    cql = parse_filter("fatalities > 2 AND source_dataset = 'acled' AND "
                       "S_INTERSECTS(geometry, POLYGON((165 -6, 180 -6, 180 21, 165 21, 165 -6)))", None, None, kinds)
    assert _positions(pg, "events-test", RowQuery(cql=cql)) == [0, 4]
    # the point index holds every column such a filter names (no table read): numbers, dates,
    # booleans and the text columns of few short values (here every text column)
    with psycopg.connect(pg_url) as conn:
        definition = conn.execute("SELECT indexdef FROM pg_indexes WHERE indexname = %s",
                                  ["layer_events_test_xy_idx"]).fetchone()[0]
    assert definition.endswith("INCLUDE (fid, event_date, event_id, fatalities, score, flag, source_dataset)")


def test_a_selection_is_cached_and_a_new_write_changes_it(pg):
    first = pg.select_rows("events-test", _span(EVENT_SPAN, period=Y2024))
    assert pg.select_rows("events-test", _span(EVENT_SPAN, period=Y2024)).fids is first.fids
    pg.write("events-test", _events().iloc[:2], ["hand"])
    again = pg.select_rows("events-test", _span(EVENT_SPAN, period=Y2024))
    assert again.digest != first.digest and again.fids.tolist() == [1, 2]


def test_rows_of_a_layer_replaced_since_the_selection_are_refused(pg):
    first = pg.select_rows("events-test", RowQuery())
    pg.write("events-test", _events().iloc[::-1], ["hand"])  # same fids, other rows
    with pytest.raises(DataChanged) as raised:
        pg.fetch_rows("events-test", first.fids[:2], ["event_id"], first.digest)
    assert raised.value.status == 503


def test_a_geopackage_is_written_part_by_part(tmp_path):
    events = _events().drop(columns=["event_date"])
    path = tmp_path / "events.gpkg"
    parts = [events.iloc[0:2], events.iloc[2:4], events.iloc[4:6]]
    write_frames(iter(parts), path, "conflict-events", {"licence": "test"}, synthetic=True)
    back = gpd.read_file(path, engine="pyogrio")
    assert back["event_id"].tolist() == ["A", "B", "C", "D", "E", "F"]  # 2 + 2 + 2 rows, in order
    meta = pyogrio.read_info(path, layer="conflict-events")["layer_metadata"]
    assert meta["licence"] == "test" and "synthetic" in meta["notice"]


# -- the app on PostGIS: only the matching rows are read, answers as on the embedded store ----------


@pytest.fixture(scope="module")
def backend() -> str:
    return "postgis"


@pytest.fixture(scope="module")
def apps(new_workspace, app_on):
    """(embedded app, PostGIS app) on copies of the default workspace."""
    embedded = create_app({"TESTING": True, "COOPMAP_HOME": str(new_workspace("embedded"))})
    return embedded, app_on(new_workspace("pg"))


def _body(response) -> bytes:
    """The response body without what differs by store on purpose: the data version (a hash of
    each store's own digests) and the time of the response."""
    assert response.status_code == 200, response.data[:300]
    if response.mimetype.endswith("json"):
        doc = orjson.loads(response.data)
        for key in ("timeStamp", "dataVersion"):
            doc.pop(key, None)
        doc.get("coopmap", {}).pop("data_version", None)
        return orjson.dumps(doc, option=orjson.OPT_SORT_KEYS)
    return re.sub(rb"data version [0-9a-f]+", b"data version", response.data)


URLS = [
    "/ogc/collections/conflict-events/items?bbox=10,-10,40,10&limit=50",
    "/ogc/collections/conflict-events/items?sortby=-fatalities,event_date&offset=37&limit=25",
    "/ogc/collections/conflict-events/items?datetime=2024-01/2024-06&event_type=Battles,Protests&limit=20&f=csv",
    "/ogc/collections/conflict-events/items?fatalities=0&sortby=event_id&offset=5&limit=10&f=html",
    "/ogc/collections/conflict-events/items?event_type=Nothing",
    "/ogc/collections/conflict-events/items?fatalities=abc,1,2.0&limit=7",
    "/ogc/collections/conflict-events/items?event_date=2024-02-30,2024-03-01",
    "/ogc/collections/conflict-events/items?datetime=../9999-12-31&sortby=-event_date&limit=5",
    "/ogc/collections/conflict-events/items?bbox=180,-90,180,90",
    "/ogc/collections/conflict-events",
    "/download/conflict-events.csv?bbox=0,-20,50,20",
    "/download/conflict-events.geojson?datetime=2024&sortby=event_date",
]


def test_postgis_answers_without_reading_the_whole_layer_and_as_the_embedded_store(apps):
    embedded, pg_app = apps
    store = pg_app.extensions["coopmap.store"]
    reads = store.full_reads
    left, right = embedded.test_client(), pg_app.test_client()
    for url in URLS:
        assert _body(left.get(url)) == _body(right.get(url)), url
    first = orjson.loads(left.get("/ogc/collections/conflict-events/items?limit=1").data)["features"][0]
    url = f"/ogc/collections/conflict-events/items/{first['id']}"
    assert _body(left.get(url)) == _body(right.get(url))
    assert right.get("/ogc/collections/conflict-events/items/no-such-id").status_code == 404
    assert store.full_reads == reads  # no request read the conflict-events table whole
