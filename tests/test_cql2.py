"""CQL2 filters (OGC API - Features Part 3) and queryables, on both stores, by hand-made events.

The eight events (id: lon, lat, date, type, fatalities)::

    E1: 29.2, -1.6, 2024-03-01, Battles,  7       E5: 15.0, 12.0, 2024-12-31, Violence against civilians, 6
    E2: 29.3, -1.5, 2024-06-30, Protests, 0       E6: 28.5, -0.4, 2025-01-01, Battles, 2
    E3: 10.0,  5.0, 2023-12-31, Battles, 12       E7: 40.0,  8.0, 2024-05-05, Explosions/Remote violence, 25
    E4: 30.6, -2.5, 2024-01-01, Riots,    3       E8: 29.9, -1.0, 2024-08-15, Riots, 5

Every expected set below is worked out from this table (the comment says how).
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import urllib.parse

import geopandas as gpd
import pytest
from owslib.ogcapi.features import Features

from tests.backends import backend  # noqa: F401  (these tests run on both stores)
from tests.builders import make_events
from tests.live import serve

ROWS = [
    ("E1", 29.2, -1.6, "2024-03-01", "Battles", 7),
    ("E2", 29.3, -1.5, "2024-06-30", "Protests", 0),
    ("E3", 10.0, 5.0, "2023-12-31", "Battles", 12),
    ("E4", 30.6, -2.5, "2024-01-01", "Riots", 3),
    ("E5", 15.0, 12.0, "2024-12-31", "Violence against civilians", 6),
    ("E6", 28.5, -0.4, "2025-01-01", "Battles", 2),
    ("E7", 40.0, 8.0, "2024-05-05", "Explosions/Remote violence", 25),
    ("E8", 29.9, -1.0, "2024-08-15", "Riots", 5),
]


@pytest.fixture(scope="module")
def events() -> gpd.GeoDataFrame:
    return make_events([{"event_id": i, "lon": x, "lat": y, "event_date": d, "event_type": t, "fatalities": f,
                         "country_iso3": "COD"} for i, x, y, d, t, f in ROWS])


@pytest.fixture(scope="module")
def cql_app(new_workspace, app_on, events):
    home = new_workspace("cql-home")
    app_on(home).extensions["coopmap.store"].write("conflict-events", events, ["test"])
    return app_on(home)


@pytest.fixture(scope="module")
def client(cql_app):
    return cql_app.test_client()


def ids(client, filter_: str, collection: str = "conflict-events", **params: str) -> list[str]:
    response = client.get(f"/ogc/collections/{collection}/items", query_string={"filter": filter_, **params})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["numberMatched"] == len(body["features"])
    return sorted(f["properties"]["event_id"] for f in body["features"])


@pytest.mark.parametrize(("filter_", "expected"), [
    # fatalities > 5 and Battles: E1 (7), E3 (12); E6 is a battle with 2
    ("fatalities > 5 AND event_type = 'Battles'", ["E1", "E3"]),
    # the same in the other order of operands
    ("5 < fatalities AND 'Battles' = event_type", ["E1", "E3"]),
    # not more than 5: E2 (0), E4 (3), E6 (2), E8 (5)
    ("NOT (fatalities > 5)", ["E2", "E4", "E6", "E8"]),
    ("event_type IN ('Riots', 'Protests')", ["E2", "E4", "E8"]),
    # 3 <= fatalities <= 7: E1 (7), E4 (3), E5 (6), E8 (5)
    ("fatalities BETWEEN 3 AND 7", ["E1", "E4", "E5", "E8"]),
    ("event_type LIKE 'Vio%'", ["E5"]),
    # every type ending in s: Battles, Protests, Riots, Violence against civilians (not ...violence)
    ("event_type LIKE '%s'", ["E1", "E2", "E3", "E4", "E5", "E6", "E8"]),
    ("event_type LIKE 'R_ots'", ["E4", "E8"]),
    ("CASEI(event_type) = casei('BATTLES')", ["E1", "E3", "E6"]),
    # the box 28..31 x -3..0 holds E1, E2, E4 (30.6, -2.5), E6 (28.5, -0.4), E8
    ("S_INTERSECTS(geometry, BBOX(28, -3, 31, 0))", ["E1", "E2", "E4", "E6", "E8"]),
    # the triangle (28 -3, 31 -3, 28 0) is x + y <= 28: E1 27.6, E2 27.8; E4 28.1, E6 28.1, E8 28.9 out
    ("S_INTERSECTS(geometry, POLYGON((28 -3, 31 -3, 28 0, 28 -3)))", ["E1", "E2"]),
    # strictly inside 2024: E4 (1 January) and E5 (31 December) are its ends, not during it
    ("T_DURING(event_date, INTERVAL('2024-01-01', '2024-12-31'))", ["E1", "E2", "E7", "E8"]),
    # the ends included
    ("T_INTERSECTS(event_date, INTERVAL('2024-01-01', '2024-12-31'))", ["E1", "E2", "E4", "E5", "E7", "E8"]),
    ("T_BEFORE(event_date, DATE('2024-01-01'))", ["E3"]),
    ("T_AFTER(event_date, INTERVAL('..', '2024-12-31'))", ["E6"]),
    ("event_date >= DATE('2024-12-31')", ["E5", "E6"]),
    ("event_type = 'Battles' OR fatalities >= 25", ["E1", "E3", "E6", "E7"]),
])
def test_filters_select_the_rows_worked_out_by_hand(client, filter_, expected):
    assert ids(client, filter_) == expected


def test_cql2_json_gives_the_same_rows_as_cql2_text(client):
    tree = {"op": "and", "args": [{"op": ">", "args": [{"property": "fatalities"}, 5]},
                                  {"op": "=", "args": [{"property": "event_type"}, "Battles"]}]}
    assert ids(client, json.dumps(tree), **{"filter-lang": "cql2-json"}) == ["E1", "E3"]


def test_filter_crs_epsg_4326_reads_lat_lon(client):
    # the box of the test above with its axes swapped: lat -3..0, lon 28..31
    epsg = "http://www.opengis.net/def/crs/EPSG/0/4326"
    assert ids(client, "S_INTERSECTS(geometry, BBOX(-3, 28, 0, 31))", **{"filter-crs": epsg}) == [
        "E1", "E2", "E4", "E6", "E8"]
    assert ids(client, "S_INTERSECTS(geometry, POLYGON((-3 28, -3 31, 0 28, -3 28)))", **{"filter-crs": epsg}) == [
        "E1", "E2"]


def test_filter_crs_web_mercator_boxes_and_polygons_are_moved_to_crs84(client):
    # lon 29..30, lat -2..0 in EPSG:3857 metres (x = lon * 111319.49, y = R ln tan(pi/4 + lat/2)):
    # E1 (29.2, -1.6), E2 (29.3, -1.5), E8 (29.9, -1.0); not E4 (lon 30.6) nor E6 (lon 28.5)
    mercator = "http://www.opengis.net/def/crs/EPSG/0/3857"
    box = "3228265, -222685, 3339585, 0"
    assert ids(client, f"S_INTERSECTS(geometry, BBOX({box}))", **{"filter-crs": mercator}) == ["E1", "E2", "E8"]
    polygon = "POLYGON((3228265 -222685, 3339585 -222685, 3339585 0, 3228265 0, 3228265 -222685))"
    assert ids(client, f"S_INTERSECTS(geometry, {polygon})", **{"filter-crs": "EPSG:3857"}) == ["E1", "E2", "E8"]


def test_filter_combines_with_datetime_bbox_property_filters_and_paging(client):
    # 2024 and fatalities > 5: E1 (7), E5 (6), E7 (25); in the box 0..30 x -5..15: E1, E5
    assert ids(client, "fatalities > 5", datetime="2024") == ["E1", "E5", "E7"]
    assert ids(client, "fatalities > 5", datetime="2024", bbox="0,-5,30,15") == ["E1", "E5"]
    assert ids(client, "fatalities > 1", event_type="Riots") == ["E4", "E8"]
    body = client.get("/ogc/collections/conflict-events/items",
                      query_string={"filter": "fatalities > 1", "limit": "2", "sortby": "-fatalities"}).get_json()
    # fatalities > 1: E1 7, E3 12, E4 3, E5 6, E6 2, E7 25, E8 5 = 7; the two largest: E7, E3
    assert body["numberMatched"] == 7
    assert [f["properties"]["event_id"] for f in body["features"]] == ["E7", "E3"]


def test_filtered_downloads_and_csv(client):
    response = client.get("/download/conflict-events.csv", query_string={"filter": "event_type = 'Riots'"})
    assert response.status_code == 200
    lines = response.get_data(as_text=True).strip().splitlines()
    assert len(lines) == 1 + 2  # header, E4 and E8


def test_project_intervals_match_the_datetime_parameter(client):
    # T_INTERSECTS of [start, end] with 2024 is the period rule of datetime=2024 (a null end is ongoing)
    def sites(**params: str) -> list[str]:
        body = client.get("/ogc/collections/projects/items", query_string={"limit": "1000", **params}).get_json()
        return sorted(f["id"] for f in body["features"])

    by_period = sites(datetime="2024-01-01/2024-12-31")
    assert by_period  # the default registry has projects active in 2024
    by_filter = sites(filter="T_INTERSECTS(INTERVAL(start, end), INTERVAL('2024-01-01', '2024-12-31'))")
    assert by_filter == by_period
    assert sites(filter="T_BEFORE(INTERVAL(start, end), DATE('1900-01-01'))") == []


@pytest.mark.parametrize(("params", "parameter", "words"), [
    ({"filter": "fatalities >"}, "filter", "line 1, column 13"),
    ({"filter": "event_type = 'Battles' AND ("}, "filter", "line 1, column 29"),
    ({"filter": '{"op": "=", "args": [{"property": "fatalities"}', "filter-lang": "cql2-json"}, "filter", "column"),
    ({"filter": "fatalities = 'many'"}, "filter", "cannot be compared"),
    ({"filter": "nonexistent = 1"}, "filter", "unknown queryable 'nonexistent'"),
    ({"filter": "fatalities + 1 > 2"}, "filter", "not supported"),
    ({"filter": "S_CROSSES(geometry, BBOX(0, 0, 1, 1))"}, "filter", "not supported"),
    ({"filter": "S_INTERSECTS(geometry, BBOX(5, 0, 1, 1))"}, "filter", "minimum greater"),
    ({"filter": "S_INTERSECTS(geometry, POLYGON((0 0, 1 1, 1 0, 0 1, 0 0)))"}, "filter", "not valid"),
    ({"filter": "T_DURING(event_date, INTERVAL('2024-12-31', '2024-01-01'))"}, "filter", "starts after"),
    ({"filter": "event_date > DATE('2024-02-30')"}, "filter", "RFC 3339"),
    ({"filter": "fatalities > 1", "filter-lang": "sql"}, "filter-lang", "cql2-text"),
    ({"filter": "fatalities > 1", "filter-crs": "EPSG:999999"}, "filter-crs", "not a CRS known"),
    ({"filter-crs": "lon-lat please"}, "filter-crs", "not a CRS identifier"),
    ({"filter": "S_INTERSECTS(geometry, BBOX(0, 0, 1e9, 1e9))", "filter-crs": "EPSG:32735"}, "filter", "domain"),
])
def test_bad_filters_are_400_naming_the_parameter(client, params, parameter, words):
    response = client.get("/ogc/collections/conflict-events/items", query_string=params)
    assert response.status_code == 400, response.get_data(as_text=True)
    body = response.get_json()
    assert body["code"] == "InvalidParameterValue"
    assert f"invalid {parameter}=" in body["description"]
    assert words in body["description"]


def test_a_restricted_field_is_an_unknown_queryable_for_the_public(cql_app, client):
    # budget_eur is restricted: to the public it answers as a field that does not exist at all
    restricted = client.get("/ogc/collections/projects/items", query_string={"filter": "budget_eur > 0"})
    unknown = client.get("/ogc/collections/projects/items", query_string={"filter": "budget_zzz > 0"})
    assert restricted.status_code == unknown.status_code == 400
    assert "unknown queryable 'budget_eur'" in restricted.get_json()["description"]
    assert restricted.get_json()["description"].replace("budget_eur", "X") == (
        unknown.get_json()["description"].replace("budget_zzz", "X"))
    token = cql_app.extensions["coopmap.tokens"].create("cql-analyst", "analyst")
    analyst = client.get("/ogc/collections/projects/items", query_string={"filter": "budget_eur > 0"},
                         headers={"Authorization": f"Bearer {token}"})
    assert analyst.status_code == 200


def test_queryables_are_a_role_filtered_json_schema_linked_from_the_collection(cql_app, client):
    collection = client.get("/ogc/collections/conflict-events").get_json()
    [link] = [x for x in collection["links"] if x["rel"] == "http://www.opengis.net/def/rel/ogc/1.0/queryables"]
    response = client.get(urllib.parse.urlsplit(link["href"]).path)
    assert response.status_code == 200
    assert response.mimetype == "application/schema+json"
    doc = response.get_json()
    assert doc["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert doc["$id"] == link["href"] and doc["type"] == "object"
    props = doc["properties"]
    assert props["geometry"] == {"title": "geometry", "format": "geometry-point", "x-ogc-role": "primary-geometry"}
    assert props["fatalities"]["type"] == "integer"
    assert props["event_date"]["format"] == "date" and props["event_date"]["x-ogc-role"] == "primary-instant"
    # the five types of the eight events, read from the data
    assert props["event_type"]["enum"] == ["Battles", "Explosions/Remote violence", "Protests", "Riots",
                                           "Violence against civilians"]
    public = client.get("/ogc/collections/projects/queryables").get_json()["properties"]
    assert "budget_eur" not in public and "start" in public
    token = cql_app.extensions["coopmap.tokens"].create("cql-analyst-q", "analyst")
    analyst = client.get("/ogc/collections/projects/queryables", headers={"Authorization": f"Bearer {token}"})
    assert "budget_eur" in analyst.get_json()["properties"]
    html = client.get("/ogc/collections/conflict-events/queryables?f=html")
    assert html.status_code == 200 and "Riots" in html.get_data(as_text=True)
    assert client.get("/ogc/collections/conflict-events/queryables?x=1").status_code == 400


def test_conformance_declares_the_cql2_classes(client):
    classes = client.get("/ogc/conformance").get_json()["conformsTo"]
    for name in ("basic-cql2", "advanced-comparison-operators", "case-insensitive-comparison",
                 "basic-spatial-functions", "temporal-functions", "cql2-text", "cql2-json"):
        assert f"http://www.opengis.net/spec/cql2/1.0/conf/{name}" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter" in classes
    assert not any(c.endswith(("/spatial-functions", "/array-functions", "/property-property",
                               "/arithmetic", "/accent-insensitive-comparison")) for c in classes)


GDAL_WHERE = """
import sys, pyogrio
frame = pyogrio.read_dataframe(sys.argv[1], layer="conflict-events", where=sys.argv[2])
print(",".join(sorted(frame["event_id"])))
"""


def test_gdal_pushes_its_where_clause_down_as_a_filter(cql_app, client):
    # GDAL's OAPIF driver sends an OGR where clause as filter= when the OpenAPI offers it; the
    # server's request log shows it, and the rows are the server-side query's: E1, E3
    requests: list[str] = []

    class Log(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            requests.append(record.getMessage())

    handler, logger = Log(), logging.getLogger("werkzeug")
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        with serve(cql_app) as url:
            done = subprocess.run(
                [sys.executable, "-c", GDAL_WHERE, f"OAPIF:{url}/ogc", "fatalities > 5 AND event_type = 'Battles'"],
                capture_output=True, text=True, timeout=120, env={**os.environ, "GDAL_HTTP_TIMEOUT": "30"})
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().split(",") == ids(client, "fatalities > 5 AND event_type = 'Battles'") == ["E1", "E3"]
    items = [urllib.parse.unquote_plus(r) for r in requests if "/collections/conflict-events/items?" in r]
    assert any("filter=(fatalities > 5) AND (event_type = 'Battles')" in r for r in items), items


def test_owslib_reads_a_filtered_collection(cql_app):
    with serve(cql_app) as url:
        api = Features(f"{url}/ogc")
        result = api.collection_items("conflict-events", filter="event_type IN ('Riots', 'Protests')",
                                      **{"filter-lang": "cql2-text"})
        queryables = api.collection_queryables("conflict-events")
    assert sorted(f["properties"]["event_id"] for f in result["features"]) == ["E2", "E4", "E8"]
    assert result["numberMatched"] == 3
    assert "event_type" in queryables["properties"]


def test_postgis_answers_filters_in_sql_without_reading_the_layer(backend, client, cql_app):  # noqa: F811
    if backend != "postgis":
        pytest.skip("the embedded store selects in memory")
    store = cql_app.extensions["coopmap.store"]
    reads = store.full_reads
    assert ids(client, "fatalities > 5 AND event_type IN ('Battles', 'Riots') AND "
               "S_INTERSECTS(geometry, POLYGON((0 -10, 35 -10, 35 10, 0 10, 0 -10)))") == ["E1", "E3"]
    assert ids(client, "T_DURING(event_date, INTERVAL('2024-01-01', '2024-12-31'))") == ["E1", "E2", "E7", "E8"]
    assert client.get("/download/conflict-events.geojson?filter=fatalities%3E5").status_code == 200
    assert store.full_reads == reads  # answered in SQL: the table was never read whole


def _nulls() -> gpd.GeoDataFrame:
    import numpy as np
    import pandas as pd
    from shapely.geometry import Point

    return gpd.GeoDataFrame(
        {
            "event_id": ["A", "B", "C", "D", "E", "F"],
            "event_date": pd.to_datetime(
                ["2024-01-15", "2024-02-01", None, "2023-12-31", "2024-12-31", "2024-03-01"]).astype("datetime64[ms]"),
            "event_type": pd.array(["Battles", "riots", None, "Battles", "Protests", "Riots"], dtype="string"),
            "fatalities": np.array([5, 0, 12, 5, 3, 1], dtype=np.int64),
            "score": [5.0, 0.1, 2.5, np.nan, 5.0, 1.0],
            "flag": [True, False, True, False, True, False],
        },
        geometry=[Point(180, 0), Point(-180, 10), Point(179.5, -5), Point(20, 0), Point(170, 20), None],
        crs="EPSG:4326",
    )


NULL_CASES = [
    # A..F are positions 0..5; a null operand is unknown: neither the condition nor its NOT holds
    ("event_type = 'Battles'", [0, 3]),
    ("NOT (event_type = 'Battles')", [1, 4, 5]),  # C's type is null
    ("event_type IS NULL", [2]),
    ("score > 1", [0, 2, 4]),  # D's score is NaN: null
    ("NOT (score > 1)", [1, 5]),
    ("flag = true", [0, 2, 4]),
    ("CASEI(event_type) = casei('RIOTS')", [1, 5]),
    # code-point order: "Battles" and "Protests" sort before "R", "Riots" and "riots" after
    ("event_type < 'R'", [0, 3, 4]),
    ("event_type IN ('Riots', 'riots')", [1, 5]),
    ("event_type LIKE '%ts'", [1, 4, 5]),
    ("S_INTERSECTS(geometry, BBOX(170, -10, 180, 10))", [0, 2]),
    ("NOT S_INTERSECTS(geometry, BBOX(170, -10, 180, 10))", [1, 3, 4]),  # F has no geometry
    ("T_AFTER(event_date, DATE('2024-01-31'))", [1, 4, 5]),
    ("NOT T_AFTER(event_date, DATE('2024-01-31'))", [0, 3]),  # C has no date
    ("fatalities = 5 OR event_type IS NULL", [0, 2, 3]),
    ("fatalities = 5 AND NOT (event_type = 'Battles')", []),
]


@pytest.mark.parametrize(("text", "expected"), NULL_CASES)
def test_sql_and_masks_agree_with_nulls_as_worked_out_by_hand(pg_url, text, expected):
    from geo.cql import parse_filter, queryable_kinds
    from geo.features.index import LayerIndex
    from geo.query import Query
    from geo.registries.periods import EVENT_SPAN
    from geo.storage.base import RowQuery
    from geo.storage.postgis import PostgisStore

    kinds = queryable_kinds({"event_id": "string", "event_date": "date", "event_type": "string",
                             "fatalities": "integer", "score": "number", "flag": "boolean"})
    cql = parse_filter(text, None, None, kinds)
    assert LayerIndex(_nulls(), EVENT_SPAN).select(Query(cql=cql)).tolist() == expected
    with PostgisStore(pg_url) as store:
        store.write("cql-test", _nulls(), ["hand"])
        fids = store.select_rows("cql-test", RowQuery(start="event_date", cql=cql)).fids
    assert (fids - 1).tolist() == expected
