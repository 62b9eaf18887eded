"""Coordinate systems (OGC API - Features Part 2) and GeoJSON as RFC 7946 asks, on both stores.

Hand-placed events around Kinshasa, a point near the pole and a grid south of it in UTM zone 33S;
a province across the antimeridian at Fiji. Expected coordinates are worked out from the
projection formulas (Web Mercator: x = R·λ, y = R·ln tan(π/4 + φ/2), R = 6378137 m).
"""

from __future__ import annotations

import math
import os
import subprocess
import sys
import urllib.parse
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pyproj
import pytest
import shapely
from owslib.ogcapi.features import Features
from shapely.geometry import Polygon, shape

from cli.main import main
from geo.crs import bbox_to_crs84, parse_crs, project_geometries, project_xy
from geo.errors import InvalidParameter
from geo.features.antimeridian import split_antimeridian
from geo.features.geojson import feature_collection
from tests.backends import backend  # noqa: F401  (these tests run on both stores)
from tests.builders import make_events
from tests.live import serve

R = 6378137.0
CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/{}"
ITEMS = "/ogc/collections/conflict-events/items"
PART2 = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"


def merc_x(lon: float) -> float:
    return R * math.radians(lon)


def merc_y(lat: float) -> float:
    return R * math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


HAND = [
    ("K", 15.3, -4.3),  # Kinshasa
    ("B", 15.28, -4.27),  # Brazzaville
    ("S", 15.0, -5.5),  # south of the box 14..16 × -5..-1
    ("E", 16.5, -3.0),  # east of it
    ("G", 29.2, -1.6),  # Goma
    ("P", 20.0, 89.0),  # near the pole: beyond Web Mercator's ±85.05°
]
UTM_BOX = (200000.0, 8000000.0, 800000.0, 9000000.0)  # EPSG:32733 (UTM 33S) metres


def _grid() -> list[tuple[str, float, float]]:
    """Points over the CRS84 envelope of UTM_BOX and a little around it."""
    rng = np.random.default_rng(7)
    lon = rng.uniform(11.0, 19.5, 400)
    lat = rng.uniform(-18.5, -8.5, 400)
    return [(f"U{i}", float(x), float(y)) for i, (x, y) in enumerate(zip(lon, lat, strict=True))]


@pytest.fixture(scope="module")
def events() -> gpd.GeoDataFrame:
    rows = [{"lon": lon, "lat": lat, "event_id": eid, "event_date": "2024-03-01", "fatalities": 1}
            for eid, lon, lat in HAND + _grid()]
    return make_events(rows)


FIJI = Polygon([(178, -18), (-179, -18), (-179, -16), (178, -16)])  # across ±180


@pytest.fixture(scope="module")
def crs_app(new_workspace, app_on, events):
    home = new_workspace("crs-home")
    writer = app_on(home).extensions["coopmap.store"]
    writer.write("conflict-events", events, ["test"])
    provinces = gpd.GeoDataFrame({"iso3": ["FJI"], "name": ["Across"], "code": ["FJ-X"], "source_file": ["hand"]},
                                 geometry=[FIJI], crs="EPSG:4326")
    writer.write("provinces", provinces, ["test"])
    return app_on(home)


@pytest.fixture(scope="module")
def client(crs_app):
    return crs_app.test_client()


def _get(client, url: str, status: int = 200) -> tuple[Any, Any]:
    response = client.get(url)
    assert response.status_code == status, response.data[:500]
    return orjson.loads(response.data), response.headers


def _by_id(doc: dict) -> dict[str, dict]:
    return {f["id"]: f for f in doc["features"]}


def test_kinshasa_in_epsg_4326_is_latitude_first(client):
    doc, headers = _get(client, f"{ITEMS}?event_id=K&crs={EPSG.format(4326)}")
    assert doc["features"][0]["geometry"]["coordinates"] == [-4.3, 15.3]
    assert headers["Content-Crs"] == f"<{EPSG.format(4326)}>"


def test_kinshasa_in_web_mercator_metres(client):
    doc, headers = _get(client, f"{ITEMS}?event_id=K&crs=EPSG:3857")
    x, y = doc["features"][0]["geometry"]["coordinates"]
    # x = 6378137 · 15.3 · π/180 = 1 703 188.21 m; y = R·ln tan(45° − 2.15°) = −479 123.79 m (2 decimals)
    assert abs(x - merc_x(15.3)) <= 0.005 + 1e-9 and abs(y - merc_y(-4.3)) <= 0.005 + 1e-9
    assert (round(x, 2), round(y, 2)) == (x, y)
    assert headers["Content-Crs"] == f"<{EPSG.format(3857)}>"


def test_beyond_web_mercator_a_point_sits_on_the_edge(client):
    # 89°N cannot be projected: it is clamped to 85.05°, the top of the square world, y = x(180°) = π·R
    doc, _ = _get(client, f"{ITEMS}?event_id=P&crs=EPSG:3857")
    x, y = doc["features"][0]["geometry"]["coordinates"]
    assert y == round(math.pi * R, 2) == 20037508.34
    assert abs(x - merc_x(20.0)) <= 0.005 + 1e-9
    # and a box up to that edge holds it: what is written at y = πR is selected there (all 6 + 400 events)
    edge = math.pi * R
    doc, _ = _get(client, f"{ITEMS}?limit=1&bbox=0,{merc_y(80)},{merc_x(30)},{edge}&bbox-crs=EPSG:3857")
    assert doc["numberMatched"] == 1 and doc["features"][0]["id"] == "P"
    doc, _ = _get(client, f"{ITEMS}?limit=1&bbox=-1e9,-1e9,1e9,1e9&bbox-crs=EPSG:3857")
    assert doc["numberMatched"] == len(HAND) + 400


def test_default_is_crs84_with_its_header(client):
    doc, headers = _get(client, f"{ITEMS}?event_id=K")
    assert doc["features"][0]["geometry"]["coordinates"] == [15.3, -4.3]
    assert headers["Content-Crs"] == f"<{CRS84}>"
    one, headers = _get(client, f"{ITEMS}/K?crs=EPSG:4326")
    assert one["geometry"]["coordinates"] == [-4.3, 15.3]
    assert headers["Content-Crs"] == f"<{EPSG.format(4326)}>"


def _ids(client, query: str) -> set[str]:
    doc, _ = _get(client, f"{ITEMS}?limit=1000&{query}")
    assert doc["numberMatched"] == doc["numberReturned"]
    return {f["id"] for f in doc["features"]}


def test_bbox_crs_3857_selects_what_its_crs84_box_selects(client):
    # the box 14..16°E × 5°S..1°S holds Kinshasa and Brazzaville (S is south of it, E east, G far east)
    crs84 = _ids(client, "bbox=14,-5,16,-1")
    box = f"{merc_x(14)},{merc_y(-5)},{merc_x(16)},{merc_y(-1)}"
    mercator = _ids(client, f"bbox={box}&bbox-crs={EPSG.format(3857)}")
    latlon = _ids(client, f"bbox=-5,14,-1,16&bbox-crs={EPSG.format(4326)}")  # EPSG:4326: latitude first
    assert crs84 == mercator == latlon == {"K", "B"}


def test_bbox_crs_in_utm_is_the_exact_box_not_its_envelope(client, events):
    # A UTM box is curved in longitude/latitude: its CRS84 envelope holds more of the grid than the box
    to_utm = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32733", always_xy=True)
    grid = events[events["event_id"].str.startswith("U")]
    x, y = to_utm.transform(grid.geometry.x.to_numpy(), grid.geometry.y.to_numpy())
    minx, miny, maxx, maxy = UTM_BOX
    inside = set(grid["event_id"][(x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)])
    envelope, area = bbox_to_crs84(UTM_BOX, parse_crs("EPSG:32733"))
    in_envelope = set(grid.cx[envelope[0]:envelope[2], envelope[1]:envelope[3]]["event_id"])
    assert area is not None and len(in_envelope) > len(inside) > 50
    found = _ids(client, f"bbox={','.join(map(str, UTM_BOX))}&bbox-crs=EPSG:32733")
    assert found == inside


def test_a_projected_crs_for_the_extent_is_served(client):
    # UTM 33N (12°E–18°E, 0–84°N) meets the events' extent (15°E, 89°N...): accepted though not listed
    doc, headers = _get(client, f"{ITEMS}?event_id=K&crs=EPSG:32633")
    x, y = doc["features"][0]["geometry"]["coordinates"]
    ex, ey = pyproj.Transformer.from_crs("OGC:CRS84", "EPSG:32633", always_xy=True).transform(15.3, -4.3)
    assert abs(x - ex) <= 0.005 + 1e-9 and abs(y - ey) <= 0.005 + 1e-9
    assert headers["Content-Crs"] == f"<{EPSG.format(32633)}>"


@pytest.mark.parametrize("query, parameter", [
    ("crs=EPSG:999999", "crs"),
    ("crs=not-a-crs", "crs"),
    ("crs=http://www.opengis.net/def/crs/OGC/1.3/CRS27", "crs"),
    ("crs=EPSG:4978", "crs"),  # geocentric: not a 2D CRS
    ("crs=EPSG:2154", "crs"),  # Lambert-93: France only, misses the events
    ("bbox=0,0,1,1&bbox-crs=EPSG:nope", "bbox-crs"),
    ("bbox=1,1,0,0&bbox-crs=EPSG:3857", "bbox"),
    ("bbox=a,b,c,d&bbox-crs=EPSG:3857", "bbox"),
    ("f=csv&crs=EPSG:3857", "crs"),
])
def test_bad_crs_parameters_are_400_naming_them(client, query, parameter):
    doc, _ = _get(client, f"{ITEMS}?{query}", 400)
    assert doc["code"] == "InvalidParameterValue"
    assert parameter in doc["description"]


def test_single_item_and_download_reject_an_unknown_crs(client):
    doc, _ = _get(client, f"{ITEMS}/K?crs=EPSG:0", 400)
    assert "crs" in doc["description"]
    doc, _ = _get(client, "/download/conflict-events.geojson?crs=foo", 400)
    assert "crs" in doc["description"]


def test_collection_metadata_lists_the_crs(client):
    doc, _ = _get(client, "/ogc/collections/conflict-events")
    assert doc["storageCrs"] == CRS84
    assert {CRS84, EPSG.format(4326), EPSG.format(3857)} <= set(doc["crs"])
    every, _ = _get(client, "/ogc/collections")
    assert CRS84 in every["crs"] and all("storageCrs" in c for c in every["collections"])
    conformance, _ = _get(client, "/ogc/conformance")
    assert PART2 in conformance["conformsTo"]
    api, _ = _get(client, "/ogc/api")
    names = {p.get("$ref", "").rsplit("/", 1)[-1]
             for p in api["paths"]["/collections/conflict-events/items"]["get"]["parameters"]}
    assert {"crs", "bbox-crs"} <= names


def _coordinates(node: Any) -> list[float]:
    if isinstance(node, (int, float)):
        return [float(node)]
    return [v for item in node for v in _coordinates(item)]


def test_fiji_province_is_cut_at_the_antimeridian(client):
    doc, _ = _get(client, "/ogc/collections/provinces/items")
    geometry = doc["features"][0]["geometry"]
    assert geometry["type"] == "MultiPolygon"
    parts = sorted(shape(geometry).geoms, key=lambda p: p.bounds[0])
    # west of −180: −180..−179 × −18..−16 = 2 square degrees; east: 178..180 × −18..−16 = 4
    assert [p.bounds for p in parts] == [(-180, -18, -179, -16), (178, -18, 180, -16)]
    assert [p.area for p in parts] == [2.0, 4.0]


def test_no_geojson_coordinate_carries_more_than_six_decimals(client):
    for url in ("/ogc/collections/countries/items?limit=300", f"{ITEMS}?limit=1000",
                "/download/countries.geojson"):
        doc, _ = _get(client, url)
        values = [v for f in doc["features"] if f["geometry"] for v in _coordinates(f["geometry"]["coordinates"])]
        assert values and all(round(v, 6) == v for v in values), url
        for feature in doc["features"]:  # Russia and Fiji come already cut: nothing crosses ±180
            for line in _lines(feature["geometry"]):
                assert not (np.abs(np.diff(np.asarray(line)[:, 0])) > 180).any(), feature["properties"]


def _lines(geometry: dict | None) -> list[list]:
    if geometry is None or geometry["type"] == "Point":
        return []
    depth = {"LineString": 0, "Polygon": 1, "MultiLineString": 1, "MultiPolygon": 2}[geometry["type"]]
    lines = [geometry["coordinates"]]
    for _ in range(depth):
        lines = [inner for outer in lines for inner in outer]
    return lines


def test_download_in_web_mercator_reads_back_in_that_crs(client, tmp_path):
    for ext in ("gpkg", "geojson", "parquet"):
        response = client.get(f"/download/conflict-events.{ext}?crs=EPSG:3857&event_id=K")
        assert response.status_code == 200, response.data[:300]
        assert response.headers["Content-Crs"] == f"<{EPSG.format(3857)}>"
        path = tmp_path / f"k.{ext}"
        path.write_bytes(response.get_data())
        response.close()
        frame = gpd.read_parquet(path) if ext == "parquet" else gpd.read_file(path)
        assert frame.crs.to_epsg() == 3857, ext
        point = frame.geometry.iloc[0]
        assert abs(point.x - merc_x(15.3)) < 0.01 and abs(point.y - merc_y(-4.3)) < 0.01, ext


def test_owslib_reads_items_in_a_crs(crs_app):
    with serve(crs_app) as base:
        api = Features(f"{base}/ogc")
        result = api.collection_items("conflict-events", crs=EPSG.format(4326), event_id="K")
    assert result["features"][0]["geometry"]["coordinates"] == [-4.3, 15.3]


GDAL_CLIENT = """
import sys, pyogrio
frame = pyogrio.read_dataframe(sys.argv[1], layer="conflict-events", CRS="EPSG:3857", where="event_id = 'K'")
print(frame.crs.to_epsg(), frame.geometry.iloc[0].x, frame.geometry.iloc[0].y)
"""


def test_gdal_oapif_reads_the_events_in_web_mercator(crs_app):
    # GDAL's OAPIF driver (3.7 and later) asks the server for crs= (the requests show it: the server
    # reprojects, not GDAL) and reads the Content-Crs
    asked: list[str] = []
    inner = crs_app.wsgi_app

    def recording(environ, start_response):
        if environ["PATH_INFO"].endswith("/conflict-events/items"):
            asked.append(urllib.parse.unquote(environ.get("QUERY_STRING", "")))
        return inner(environ, start_response)

    crs_app.wsgi_app = recording
    try:
        with serve(crs_app) as base:
            done = subprocess.run([sys.executable, "-c", GDAL_CLIENT, f"OAPIF:{base}/ogc"], capture_output=True,
                                  text=True, timeout=120, env={**os.environ, "GDAL_HTTP_TIMEOUT": "30"})
    finally:
        crs_app.wsgi_app = inner
    assert done.returncode == 0, done.stderr
    assert any(f"crs={EPSG.format(3857)}" in query for query in asked), asked
    epsg, x, y = done.stdout.split()
    assert int(epsg) == 3857
    assert abs(float(x) - merc_x(15.3)) < 0.01 and abs(float(y) - merc_y(-4.3)) < 0.01


def test_parse_crs_forms_and_errors():
    assert parse_crs("[EPSG:3857]").uri == parse_crs("urn:ogc:def:crs:EPSG::3857").uri == EPSG.format(3857)
    assert parse_crs(None).uri == parse_crs("OGC:CRS84").uri == CRS84
    with pytest.raises(InvalidParameter, match="bbox-crs"):
        parse_crs("EPSG:123456789", "bbox-crs")
    first, second = project_xy(np.array([15.3, np.nan]), np.array([-4.3, np.nan]), parse_crs("EPSG:4326"))
    assert first[0] == -4.3 and second[0] == 15.3 and np.isnan(first[1])


def test_split_and_rounding_in_the_one_encoder():
    # the map data's serialiser is the same encoder: the Fiji square comes out in two parts, rounded
    frame = gpd.GeoDataFrame({"name": ["x", "y"]}, geometry=[FIJI, shapely.Point(1 / 3, 2 / 3)], crs="EPSG:4326")
    doc = orjson.loads(orjson.dumps(feature_collection(frame, ["name"])))
    assert doc["features"][0]["geometry"]["type"] == "MultiPolygon"
    assert doc["features"][1]["geometry"]["coordinates"] == [0.333333, 0.666667]
    already = np.array([shapely.box(178, -18, 180, -16), None])
    assert split_antimeridian(already) is already  # nothing crosses: untouched


def test_map_data_polygons_carry_six_decimals(client):
    doc, _ = _get(client, "/map-data/country/COD")
    values = [v for f in doc["country"]["features"] for v in _coordinates(f["geometry"]["coordinates"])]
    assert values and all(round(v, 6) == v for v in values)


def test_precision_is_a_setting(crs_app, app_on):
    home = crs_app.config["COOPMAP_HOME"]
    coarse = app_on(home, COOPMAP_GEOJSON_PRECISION="3", COOPMAP_GEOJSON_PRECISION_PROJECTED="0").test_client()
    doc, _ = _get(coarse, f"{ITEMS}?event_id=B")
    assert doc["features"][0]["geometry"]["coordinates"] == [15.28, -4.27]
    doc, _ = _get(coarse, f"{ITEMS}?event_id=K&crs=EPSG:3857")
    # 1 703 188.21 → 1 703 188 and −479 123.79 → −479 124 whole metres
    assert doc["features"][0]["geometry"]["coordinates"] == [round(merc_x(15.3)), round(merc_y(-4.3))]
    basemap, _ = _get(coarse, "/map-data/basemap?detail=z2")
    values = [v for f in basemap["features"] for v in _coordinates(f["geometry"]["coordinates"])]
    assert all(round(v, 3) == v for v in values)
    with pytest.raises(InvalidParameter, match="COOPMAP_GEOJSON_PRECISION"):
        app_on(home, COOPMAP_GEOJSON_PRECISION="-1")


def test_outside_a_projection_the_geometry_is_null():
    # Lambert azimuthal equal-area Europe (EPSG:3035) is centred on 10°E 52°N: its antipode, 170°W 52°S,
    # has no place on it; the centre is at false easting/northing (4 321 000, 3 210 000), northing first
    geoms = np.array([shapely.Point(-170, -52), shapely.Point(10, 52), shapely.LineString([(10, 52), (-170, -52)])])
    out = project_geometries(geoms, parse_crs("EPSG:3035"), 2)
    assert out[0] is None and out[2] is None
    assert (out[1].x, out[1].y) == (3210000.0, 4321000.0)


def test_cli_export_writes_geojson_at_the_configured_precision(runner, home, tmp_path, monkeypatch):
    monkeypatch.setenv("COOPMAP_GEOJSON_PRECISION", "2")
    out = tmp_path / "countries.geojson"
    result = runner.invoke(main, ["export", "countries", "-o", str(out)])
    assert result.exit_code == 0, result.output
    doc = orjson.loads(out.read_bytes())
    values = [v for f in doc["features"] if f["geometry"] for v in _coordinates(f["geometry"]["coordinates"])]
    assert values and all(round(v, 2) == v for v in values)


def test_bbox_crs_is_selected_by_the_store_that_selects(crs_app, backend):  # noqa: F811 (the fixture)
    # On PostGIS the box's envelope is selected in SQL and only the matches' geometries are read back for
    # the exact UTM test; the embedded store selects in memory. Same answer: the K box (2 events), and
    # the UTM box checked above.
    from layers import CATALOGUE
    from layers.pushdown import StoredSelection
    from layers.selection import MemorySelection, prepared_cache, select

    layer = CATALOGUE.get("conflict-events")
    store = crs_app.extensions["coopmap.store"]
    box = {"bbox": f"{merc_x(14)},{merc_y(-5)},{merc_x(16)},{merc_y(-1)}", "bbox-crs": "EPSG:3857"}
    selection = select(prepared_cache(), layer, store, box, layer.fields)
    assert isinstance(selection, StoredSelection if backend == "postgis" else MemorySelection)
    assert selection.matched == 2
    utm = {"bbox": ",".join(map(str, UTM_BOX)), "bbox-crs": "EPSG:32733"}
    narrowed = select(prepared_cache(), layer, store, utm, layer.fields)
    assert isinstance(narrowed, StoredSelection if backend == "postgis" else MemorySelection)
    envelope, _ = bbox_to_crs84(UTM_BOX, parse_crs("EPSG:32733"))
    whole = select(prepared_cache(), layer, store, {"bbox": ",".join(map(repr, envelope))}, layer.fields)
    assert 0 < narrowed.matched < whole.matched
