"""OGC API - Features read by the clients analysts use, over a real HTTP server."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
import urllib.request

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pytest
import shapely
from owslib.ogcapi.features import Features
from shapely.geometry import box, shape

from tests.backends import backend  # noqa: F401  (these tests run on both stores)
from tests.builders import make_events, random_events
from tests.live import serve

N_RANDOM = 3000


@pytest.fixture(scope="module")
def events() -> gpd.GeoDataFrame:
    hand = make_events(
        [
            {
                "lon": 29.2,
                "lat": -1.6,
                "event_date": "2024-03-01",
                "country_iso3": "COD",
                "event_id": "H1",
                "notes": "<script>alert('x')</script>",
                "fatalities": 7,
                "event_type": "Battles",
            },
            {
                "lon": 29.3,
                "lat": -1.5,
                "event_date": "2024-06-30",
                "country_iso3": "COD",
                "event_id": "H2",
                "event_type": "Protests",
                "fatalities": 0,
            },
        ]
    )
    frame = pd.concat([random_events(N_RANDOM, seed=3), hand], ignore_index=True)
    return gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")


@pytest.fixture(scope="module")
def ogc_app(new_workspace, app_on, events):
    home = new_workspace("ogc-home")
    app_on(home).extensions["coopmap.store"].write("conflict-events", events, ["test"])
    return app_on(home)  # another server on the workspace: it reads the events back from the store


@pytest.fixture(scope="module")
def base(ogc_app):
    with serve(ogc_app) as url:
        yield url


def get(url: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, dict(exc.headers), exc.read()


def items(base: str, collection: str = "conflict-events", query: str = "") -> dict:
    status, headers, body = get(f"{base}/ogc/collections/{collection}/items?{query}")
    assert status == 200, body
    assert headers["Content-Type"].startswith("application/geo+json")
    return orjson.loads(body)


def test_owslib_lists_the_catalogue_and_reads_items(base, events):
    api = Features(f"{base}/ogc")
    ids = [c["id"] for c in api.collections()["collections"]]
    assert {"countries", "conflict-events", "provinces", "country-summary"} <= set(ids)
    assert (
        "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson"
        in api.conformance()["conformsTo"]
    )
    result = api.collection_items("conflict-events", bbox=[0, 0, 20, 10], limit=50)
    inside = events.cx[0:20, 0:10]
    assert result["numberMatched"] == len(inside)
    assert result["numberReturned"] == len(result["features"]) == 50


def test_geopandas_reads_the_items_url(base):
    frame = gpd.read_file(
        f"{base}/ogc/collections/conflict-events/items?limit=200&event_type=Battles"
    )
    assert len(frame) == 200
    assert set(frame["event_type"]) == {"Battles"}
    assert frame.crs.to_epsg() == 4326


GDAL_CLIENT = """
import sys, geopandas as gpd, pyogrio
url, out = sys.argv[1], sys.argv[2]
layers = sorted(name for name, _ in pyogrio.list_layers(url))
frame = pyogrio.read_dataframe(url, layer="conflict-events", bbox=(0.0, 0.0, 20.0, 10.0), PAGE_SIZE="100")
frame.attrs = {}
frame.to_parquet(out)
print(",".join(layers))
"""


def read_with_gdal(base: str, out) -> tuple[list[str], gpd.GeoDataFrame]:
    """The collections GDAL's OAPIF driver lists and the events it reads in the bbox 0,0,20,10.

    In another process: pyogrio holds the GIL while GDAL fetches pages, so a GDAL client in this
    process would stall the test server (in this process too) until its HTTP timeout."""
    done = subprocess.run([sys.executable, "-c", GDAL_CLIENT, f"OAPIF:{base}/ogc", str(out)], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "GDAL_HTTP_TIMEOUT": "30"})
    assert done.returncode == 0, done.stderr
    return done.stdout.strip().split(","), gpd.read_parquet(out)


def test_gdal_oapif_driver_lists_the_collections_and_reads_a_bbox(base, events, tmp_path):
    # GDAL's own OGC API - Features client (the OAPIF driver, as QGIS and ogr2ogr use it): it
    # discovers the collections, pages through the items by the next links, and types the columns
    layers, frame = read_with_gdal(base, tmp_path / "gdal.parquet")
    assert {"countries", "conflict-events", "provinces"} <= set(layers)
    inside = events.cx[0:20, 0:10]
    assert len(frame) == len(inside) > 200  # three pages of 100 or more
    ids = frame["id"] if "id" in frame else frame["event_id"]
    assert sorted(ids) == sorted(inside["event_id"])
    # the collections declare storageCrs CRS84 (Part 2): GDAL reads the features in it, longitude first
    assert frame.crs.to_string() == "OGC:CRS84"
    by_id = inside.set_index("event_id")
    for key, fatalities, geometry in zip(ids[:50], frame["fatalities"][:50], frame.geometry[:50], strict=True):
        assert fatalities == by_id.loc[key, "fatalities"]
        # GeoJSON carries 6 decimals (RFC 7946 §11.2): each axis within 0.5e-6, so the point within
        # √2 · 0.5e-6 ≈ 7.08e-7
        assert geometry.equals_exact(by_id.loc[key, "geometry"], 7.1e-7)


def test_next_links_page_through_exactly_number_matched(base):
    url = f"{base}/ogc/collections/conflict-events/items?bbox=-10,-10,30,20&limit=250"
    seen: list[str] = []
    matched = None
    while url:
        status, _, body = get(url)
        page = orjson.loads(body)
        matched = page["numberMatched"]
        seen += [f["id"] for f in page["features"]]
        nexts = [link["href"] for link in page["links"] if link["rel"] == "next"]
        assert len(nexts) <= 1
        url = nexts[0] if nexts else None
        if url is None:
            assert len(seen) == matched
    assert len(seen) == len(set(seen)) == matched > 250


def test_every_feature_of_a_bbox_query_intersects_the_bbox(base):
    bbox = (5.0, -3.0, 12.5, 4.0)
    page = items(base, query="bbox=" + ",".join(map(str, bbox)) + "&limit=10000")
    assert page["numberReturned"] > 0
    area = box(*bbox)
    assert all(shape(f["geometry"]).intersects(area) for f in page["features"])


def test_datetime_filters_and_sortby(base, events):
    page = items(base, query="datetime=2024-01-01/2024-03-31&limit=10000")
    dates = {f["properties"]["event_date"] for f in page["features"]}
    assert min(dates) >= "2024-01-01" and max(dates) <= "2024-03-31"
    expected = (
        (events["event_date"] >= "2024-01-01") & (events["event_date"] <= "2024-03-31")
    ).sum()
    assert page["numberMatched"] == expected
    open_end = items(base, query="datetime=../2023-01-31&limit=1")
    assert open_end["numberMatched"] == (events["event_date"] <= "2023-01-31").sum()
    ranked = items(base, query="sortby=-fatalities&limit=20")
    fatalities = [f["properties"]["fatalities"] for f in ranked["features"]]
    assert (
        fatalities == sorted(fatalities, reverse=True)
        and fatalities[0] == events["fatalities"].max()
    )


def test_property_filters_combine_with_or_inside_a_field(base, events):
    page = items(base, query="event_type=Protests,Battles&country_iso3=COD")
    assert [f["id"] for f in page["features"]] == ["H1", "H2"]
    page = items(base, query="event_type=Protests&country_iso3=COD")
    assert [f["id"] for f in page["features"]] == ["H2"]
    assert page["numberMatched"] == 1


def test_single_feature_and_synthetic_notice(base):
    status, headers, body = get(f"{base}/ogc/collections/conflict-events/items/R10")
    feature = orjson.loads(body)
    assert status == 200 and feature["id"] == "R10"
    assert "synthetic demo data" in feature["notice"]
    assert "synthetic demo data" in items(base, query="limit=1")["notice"]
    assert "notice" not in items(base, query="country_iso3=COD")


def test_polygons_follow_the_right_hand_rule(base):
    feature = orjson.loads(get(f"{base}/ogc/collections/countries/items/FRA")[2])
    geometry = shape(feature["geometry"])
    polygons = getattr(geometry, "geoms", [geometry])
    assert all(shapely.is_ccw(p.exterior) for p in polygons)
    assert all(not shapely.is_ccw(ring) for p in polygons for ring in p.interiors)


def test_summary_and_absent_layers(base):
    summary = items(base, "country-summary", "datetime=2024&event_type=Battles,Protests&iso3=COD")
    (cod,) = summary["features"]
    assert cod["properties"]["events"] == 2
    assert items(base, "provinces")["numberMatched"] == 0
    collection = orjson.loads(get(f"{base}/ogc/collections/provinces")[2])
    assert collection["numberOfFeatures"] == 0


BAD = [
    ("/ogc/collections/conflict-events/items?bbox=abc", 400),
    ("/ogc/collections/conflict-events/items?bbox=10,10,0,0", 400),
    ("/ogc/collections/conflict-events/items?bbox=1,2,3", 400),
    ("/ogc/collections/conflict-events/items?limit=-1", 400),
    ("/ogc/collections/conflict-events/items?limit=1000000000", 400),
    ("/ogc/collections/conflict-events/items?limit=ten", 400),
    ("/ogc/collections/conflict-events/items?offset=-5", 400),
    ("/ogc/collections/conflict-events/items?datetime=yesterday", 400),
    ("/ogc/collections/conflict-events/items?datetime=2024-05-01/2024-01-01", 400),
    ("/ogc/collections/conflict-events/items?sortby=nope", 400),
    ("/ogc/collections/conflict-events/items?f=xml", 400),
    ("/ogc/collections/conflict-events/items?colour=red", 400),
    ("/ogc/collections/nowhere", 404),
    ("/ogc/collections/nowhere/items", 404),
    ("/ogc/collections/conflict-events/items/NO-SUCH-EVENT", 404),
    ("/download/conflict-events.geojson?bbox=abc", 400),
    ("/download/nowhere.geojson", 404),
    ("/download/conflict-events.shp", 404),
]


@pytest.mark.parametrize(("path", "status"), BAD)
def test_bad_input_gets_a_json_error(base, path, status):
    got, headers, body = get(base + path)
    assert got == status
    error = orjson.loads(body)
    assert set(error) == {"code", "description"}
    assert error["description"]


def test_etag_and_last_modified_revalidate_with_304(base):
    url = f"{base}/ogc/collections/conflict-events/items?limit=5"
    status, headers, _ = get(url)
    assert status == 200
    assert get(url, {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(url, {"If-Modified-Since": headers["Last-Modified"]})[0] == 304
    assert get(url + "&offset=5", {"If-None-Match": headers["ETag"]})[0] == 200


def test_large_bodies_are_gzipped_and_cors_is_open(base):
    status, headers, body = get(
        f"{base}/ogc/collections/conflict-events/items?limit=500",
        {"Accept-Encoding": "gzip", "Origin": "http://elsewhere.example"},
    )
    assert headers["Content-Encoding"] == "gzip"
    assert headers["Access-Control-Allow-Origin"] == "*"
    assert len(orjson.loads(gzip.decompress(body))["features"]) == 500


def test_html_view_escapes_data_and_links_pages(base):
    status, headers, body = get(
        f"{base}/ogc/collections/conflict-events/items?country_iso3=COD&f=html"
    )
    text = body.decode()
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "<script>alert" not in text
    assert "&lt;script&gt;alert(" in text
    assert 'class="notice"' not in text
    status, headers, body = get(
        f"{base}/ogc/collections/conflict-events/items?limit=10", {"Accept": "text/html"}
    )
    assert headers["Content-Type"].startswith("text/html")
    assert 'rel="next"' in body.decode()
    assert '<p class="notice">synthetic demo data' in body.decode()


def test_csv_items(base):
    status, headers, body = get(
        f"{base}/ogc/collections/conflict-events/items?f=csv&country_iso3=COD"
    )
    table = pd.read_csv(pd.io.common.BytesIO(body))
    assert list(table["event_id"]) == ["H1", "H2"]
    assert np.allclose(table["longitude"], [29.2, 29.3])
