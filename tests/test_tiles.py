"""OGC API - Tiles: vector tiles of the collections on both stores, read by mapbox_vector_tile and GDAL.

The hand-built events sit in one tile of zoom 9, computed by hand and checked with morecantile:
a zoom-9 tile is 360 / 2**9 = 0.703125 degrees wide, so longitude 29.2 is in column
floor((29.2 + 180) / 0.703125) = floor(297.53) = 297 (29.25: 297.60, 29.3: 297.67); latitude -1.6
is at Mercator y = ln(tan(45° - 0.8°)) = -0.027929, row floor((1 + 0.027929 / pi) / 2 * 512) =
floor(258.28) = 258 (-1.5: 258.13, -1.55: 258.21). All three are in tile 9/258/297.
"""

from __future__ import annotations

import gzip

import geopandas as gpd
import mapbox_vector_tile
import morecantile
import pandas as pd
import pytest

from tests.backends import backend  # noqa: F401  (these tests run on both stores)
from tests.builders import make_events, random_events

MVT = "application/vnd.mapbox-vector-tile"
EVENTS = "/ogc/collections/conflict-events/tiles/WebMercatorQuad"
HAND_TILE = (9, 258, 297)
RANDOM_BOX = (0.0, 5.0, 10.0, 15.0)


@pytest.fixture(scope="module")
def events() -> gpd.GeoDataFrame:
    rows = [
        {"lon": 29.2, "lat": -1.6, "event_date": "2024-03-01", "event_id": "H1", "fatalities": 7,
         "event_type": "Battles", "country_iso3": "COD", "notes": "<b>near Goma</b>"},
        {"lon": 29.3, "lat": -1.5, "event_date": "2024-06-30", "event_id": "H2", "fatalities": 0,
         "event_type": "Protests", "country_iso3": "COD"},
        {"lon": 29.25, "lat": -1.55, "event_date": "2023-05-01", "event_id": "H3", "fatalities": 2,
         "event_type": "Battles", "country_iso3": "COD"},
        {"lon": 10.0, "lat": 10.0, "event_date": "2024-01-01", "event_id": "F1", "fatalities": 1,
         "event_type": "Battles", "country_iso3": "NGA"},
        {"lon": -170.0, "lat": 70.0, "event_date": "2024-01-01", "event_id": "F2", "fatalities": 1,
         "event_type": "Battles"},
    ]
    hand = make_events(rows)
    spread = random_events(2000, seed=4, bbox=RANDOM_BOX)  # far from the hand tile and its zoom-4 tile
    return gpd.GeoDataFrame(pd.concat([hand, spread], ignore_index=True), geometry="geometry", crs="EPSG:4326")


@pytest.fixture(scope="module")
def tiles_app(new_workspace, app_on, events):
    home = new_workspace("tiles-home")
    app_on(home).extensions["coopmap.store"].write("conflict-events", events, ["test"])
    return app_on(home)


@pytest.fixture
def tclient(tiles_app):
    return tiles_app.test_client()


def decode(body: bytes) -> dict:
    return mapbox_vector_tile.decode(body)


def features(client, path: str, layer: str = "conflict-events", **headers) -> list[dict]:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.mimetype == MVT
    body = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        body = gzip.decompress(body)
    return decode(body).get(layer, {}).get("features", [])


def test_the_hand_tile_is_the_one_morecantile_computes():
    tms = morecantile.tms.get("WebMercatorQuad")
    for lon, lat in ((29.2, -1.6), (29.3, -1.5), (29.25, -1.55)):
        tile = tms.tile(lon, lat, 9)
        assert (tile.z, tile.y, tile.x) == HAND_TILE


def test_a_tile_holds_the_events_of_its_box_with_their_attributes(tclient):
    found = features(tclient, f"{EVENTS}/9/258/297?f=mvt")
    assert sorted(f["properties"]["event_id"] for f in found) == ["H1", "H2", "H3"]
    h1 = next(f for f in found if f["properties"]["event_id"] == "H1")
    assert h1["properties"]["fatalities"] == 7
    assert h1["properties"]["event_type"] == "Battles"
    assert h1["properties"]["event_date"] == "2024-03-01"
    assert h1["properties"]["notes"] == "<b>near Goma</b>"
    assert h1["geometry"]["type"] == "Point"
    # a neighbouring tile holds none of them (nor, beyond its 64-unit buffer, anything)
    assert features(tclient, f"{EVENTS}/9/258/299?f=mvt") == []


def test_a_tile_takes_the_items_filters(tclient):
    # datetime=2024: H1 (2024-03-01) and H2 (2024-06-30), not H3 (2023)
    found = features(tclient, f"{EVENTS}/9/258/297?f=mvt&datetime=2024")
    assert sorted(f["properties"]["event_id"] for f in found) == ["H1", "H2"]
    found = features(tclient, f"{EVENTS}/9/258/297?event_type=Battles")
    assert sorted(f["properties"]["event_id"] for f in found) == ["H1", "H3"]
    found = features(tclient, f"{EVENTS}/9/258/297?event_type=Battles&datetime=2024")
    assert [f["properties"]["event_id"] for f in found] == ["H1"]


def test_low_zooms_aggregate_events_in_grid_cells(tclient):
    # zoom 4: the three events are in tile 4/8/9 (297 // 32 = 9, 258 // 32 = 8), in the cell of
    # 128 tile units (32 per side, each 22.5 / 32 = 0.703125 degrees: one zoom-9 tile) at
    # column 297 - 9 * 32 = 9 and row 258 - 8 * 32 = 2: id 2 * 32 + 9 = 73, count 3, fatalities 7 + 0 + 2
    found = features(tclient, f"{EVENTS}/4/8/9")
    assert len(found) == 1
    assert found[0]["id"] == 73
    assert found[0]["properties"] == {"count": 3, "fatalities": 9}
    # datetime=2024: H1 and H2 only
    found = features(tclient, f"{EVENTS}/4/8/9?datetime=2024")
    assert found[0]["properties"] == {"count": 2, "fatalities": 7}


def test_every_collection_of_the_catalogue_with_tiles_serves_them(tclient):
    for layer in ("countries", "provinces", "projects", "envr", "conflict-events"):
        response = tclient.get(f"/ogc/collections/{layer}/tiles/WebMercatorQuad/0/0/0")
        assert response.status_code == 200, (layer, response.get_data(as_text=True))
    countries = features(tclient, "/ogc/collections/countries/tiles/WebMercatorQuad/2/1/2", "countries")
    assert "COD" in {f["properties"]["iso3"] for f in countries}
    assert {f["geometry"]["type"] for f in countries} <= {"Polygon", "MultiPolygon"}


@pytest.mark.parametrize("path, status", [
    (f"{EVENTS}/9/258/x", 400),
    (f"{EVENTS}/-1/0/0", 400),
    (f"{EVENTS}/9/512/0", 404),
    (f"{EVENTS}/9/0/512", 404),
    (f"{EVENTS}/31/0/0", 404),
    (f"{EVENTS}/99999999999/0/0", 400),
    ("/ogc/collections/conflict-events/tiles/WorldCRS84Quad/0/0/0", 404),
    ("/ogc/collections/country-summary/tiles/WebMercatorQuad/0/0/0", 404),
    ("/ogc/collections/nope/tiles/WebMercatorQuad/0/0/0", 404),
    (f"{EVENTS}/9/258/297?bbox=0,0,1,1", 400),
    (f"{EVENTS}/9/258/297?datetime=soon", 400),
    (f"{EVENTS}/9/258/297?colour=red", 400),
    (f"{EVENTS}/9/258/297?f=png", 400),
])
def test_bad_tile_requests_are_json_errors(tclient, path, status):
    response = tclient.get(path)
    assert response.status_code == status
    assert response.is_json and response.get_json()["description"]


def test_a_tile_is_revalidated_by_its_etag(tclient):
    first = tclient.get(f"{EVENTS}/9/258/297")
    etag = first.headers["ETag"]
    assert "no-cache" in first.headers["Cache-Control"]
    again = tclient.get(f"{EVENTS}/9/258/297", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.get_data() == b""
    other = tclient.get(f"{EVENTS}/9/258/297?datetime=2024", headers={"If-None-Match": etag})
    assert other.status_code == 200


def test_metadata_documents(tclient):
    tms = tclient.get("/ogc/tileMatrixSets").get_json()
    assert [t["id"] for t in tms["tileMatrixSets"]] == ["WebMercatorQuad"]
    matrix_set = tclient.get("/ogc/tileMatrixSets/WebMercatorQuad").get_json()
    assert matrix_set["id"] == "WebMercatorQuad" and len(matrix_set["tileMatrices"]) == 25
    assert tclient.get("/ogc/tileMatrixSets/Nope").status_code == 404
    listing = tclient.get("/ogc/collections/conflict-events/tiles").get_json()
    assert listing["tilesets"][0]["dataType"] == "vector"
    tileset = tclient.get(EVENTS).get_json()
    rels = {link["rel"]: link for link in tileset["links"]}
    assert rels["item"]["href"].endswith(
        "/conflict-events/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}?f=mvt")
    tilejson = tclient.get(rels["alternate"]["href"]).get_json()
    assert tilejson["tiles"][0].endswith("/WebMercatorQuad/{z}/{y}/{x}?f=mvt")
    assert tilejson["vector_layers"][0]["id"] == "conflict-events"
    collection = tclient.get("/ogc/collections/conflict-events").get_json()
    assert any(link["rel"].endswith("tilesets-vector") for link in collection["links"])
    conformance = tclient.get("/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt" in conformance


def test_public_project_tiles_carry_generalised_sites_and_no_restricted_field(tclient, tiles_app):
    public_items = tclient.get("/ogc/collections/projects/items?limit=1000").get_json()["features"]
    public = features(tclient, "/ogc/collections/projects/tiles/WebMercatorQuad/0/0/0", "projects")
    located = [f for f in public_items if f["geometry"] is not None]
    assert sorted(f["properties"]["site_id"] for f in public) == sorted(f["properties"]["site_id"] for f in located)
    assert all("budget_eur" not in f["properties"] and "site" not in f["properties"] for f in public)
    assert all(f["properties"]["generalised"] in ("province", "country") for f in public)
    token = tiles_app.extensions["coopmap.tokens"].create("tiles-analyst", "analyst")
    response = tclient.get("/ogc/collections/projects/tiles/WebMercatorQuad/0/0/0",
                           headers={"Authorization": f"Bearer {token}"})
    assert "private" in response.headers["Cache-Control"]
    analyst = decode(gzip.decompress(response.get_data()) if response.headers.get("Content-Encoding") == "gzip"
                     else response.get_data())["projects"]["features"]
    assert any("budget_eur" in f["properties"] for f in analyst)
    assert not any("generalised" in f["properties"] for f in analyst)
    # the public's tile, asked again, is not the analyst's (cached per view)
    again = features(tclient, "/ogc/collections/projects/tiles/WebMercatorQuad/0/0/0", "projects")
    assert all("budget_eur" not in f["properties"] for f in again)


def test_gdal_reads_a_downloaded_tile(tclient, tmp_path):
    import pyogrio

    response = tclient.get(f"{EVENTS}/9/258/297?f=mvt", headers={"Accept-Encoding": "identity"})
    path = tmp_path / "297.mvt"
    path.write_bytes(response.get_data())
    frame = pyogrio.read_dataframe(path, layer="conflict-events")
    assert sorted(frame["event_id"]) == ["H1", "H2", "H3"]
    assert sorted(frame["fatalities"].tolist()) == [0, 2, 7]


def test_tile_ids_are_the_same_on_both_stores(tclient, backend, events):  # noqa: F811
    found = features(tclient, f"{EVENTS}/9/258/297")
    # the stored row numbers (1-based, stored order) of H1, H2 and H3: the embedded store numbers
    # its rows the same way PostGIS numbers its fid
    assert sorted(f["id"] for f in found) == [1, 2, 3]


def test_a_postgis_tile_reads_no_whole_layer(tiles_app, tclient, backend):  # noqa: F811
    store = tiles_app.extensions["coopmap.store"]
    before = getattr(store, "full_reads", 0)
    assert len(features(tclient, f"{EVENTS}/9/258/297?event_type=Protests")) == 1
    assert len(features(tclient, f"{EVENTS}/5/16/18")) == 1  # 4/8/9's child holding the cell of the three
    # the embedded store reads the layer once into its index; PostGIS makes the tiles in SQL
    assert getattr(store, "full_reads", 0) == before


AFRICA = (-18.0, -35.0, 52.0, 38.0)
DENSE_BOX = (29.0, -2.0, 30.0, -1.0)
"""300,000 events in one square degree (around Goma): every tile over it is far denser than real data."""


@pytest.fixture(scope="module")
def dense_app(new_workspace, app_on):
    import numpy as np

    from geo.ingest.demo import demo_events, demo_rows
    from geo.storage.store import ParquetStore

    home = new_workspace("tiles-dense")
    countries = ParquetStore(home).read("countries")
    default = demo_events(demo_rows(50_000, 2024, countries), countries)  # the default demo set's size
    rng = np.random.default_rng(5)
    n = 300_000
    minx, miny, maxx, maxy = DENSE_BOX
    dense = make_events([{"lon": x, "lat": y, "event_date": "2024-05-01", "event_id": f"D{i}", "fatalities": 1,
                          "notes": f"note {i}: " + "a long note " * 25}
                         for i, (x, y) in enumerate(zip(rng.uniform(minx, maxx, n), rng.uniform(miny, maxy, n),
                                                        strict=True))])
    frame = pd.concat([default, dense], ignore_index=True)
    app_on(home).extensions["coopmap.store"].write("conflict-events", gpd.GeoDataFrame(frame, crs="EPSG:4326"),
                                                   ["test"])
    return app_on(home)


def sample_tiles() -> list[morecantile.Tile]:
    """Every tile of Africa at zooms 3 to 5; at 6 to 8, the tiles over the dense box and 15 others."""
    import random

    tms = morecantile.tms.get("WebMercatorQuad")
    out = list(tms.tiles(*AFRICA, zooms=[3, 4, 5]))
    chosen = random.Random(8)
    for zoom in (6, 7, 8):
        out += list(tms.tiles(*DENSE_BOX, zooms=[zoom]))
        out += chosen.sample(list(tms.tiles(*AFRICA, zooms=[zoom])), 15)
    return out


def test_no_tile_of_africa_exceeds_500_kb(dense_app):
    client = dense_app.test_client()
    sizes = {}
    for tile in sample_tiles():
        response = client.get(f"{EVENTS}/{tile.z}/{tile.y}/{tile.x}", headers={"Accept-Encoding": "identity"})
        assert response.status_code == 200
        sizes[tile] = len(response.get_data())
    assert max(sizes.values()) <= 500_000, max(sizes.items(), key=lambda kv: kv[1])
    # below zoom 8 events are cells, each event counted in one tile (points also go in the buffer of
    # the tiles around theirs)
    tms = morecantile.tms.get("WebMercatorQuad")
    total = 0
    for tile in tms.tiles(*DENSE_BOX, zooms=[7]):
        found = decode(client.get(f"{EVENTS}/{tile.z}/{tile.y}/{tile.x}?event_id=" + ",".join(
            f"D{i}" for i in range(0, 300_000, 1000))).get_data())
        total += sum(f["properties"].get("count", 1) for f in found.get("conflict-events", {}).get("features", []))
    assert total == 300  # D0, D1000 ... D299000: 300 events, each in one tile


def test_a_dense_point_tile_becomes_cells(dense_app):
    # zoom 12 over the dense box: a tile is 360 / 4096 = 0.088 degrees wide, ~0.0077 square degrees,
    # so ~2,300 of the 300,000 events per square degree: under 4,000 points, but with their
    # 300-character notes, each different (~2,300 x 330 bytes = ~760 KB) over 500 KB: cells
    tms = morecantile.tms.get("WebMercatorQuad")
    tile = tms.tile(29.5, -1.5, 12)
    found = features(dense_app.test_client(), f"{EVENTS}/{tile.z}/{tile.y}/{tile.x}")
    assert found and set(found[0]["properties"]) == {"count", "fatalities"}
    assert 1500 < sum(f["properties"]["count"] for f in found) < 3500
    # without the notes' weight, a zoom-14 tile (~145 events) is sent point by point
    tile = tms.tile(29.5, -1.5, 14)
    found = features(dense_app.test_client(), f"{EVENTS}/{tile.z}/{tile.y}/{tile.x}")
    assert 50 < len(found) < 400 and all("event_id" in f["properties"] for f in found)


def test_a_tile_holds_the_items_of_its_box_with_the_stored_row_numbers_as_ids(tclient, events):
    # the zoom-8 tiles over the random events: each holds the features of the items in its box and
    # buffer (64 of 4096 units each side), ids the 1-based stored row numbers on both stores
    from geo.features.tiles import BUFFER, tile_address

    row_of = {event_id: i + 1 for i, event_id in enumerate(events["event_id"])}
    tms = morecantile.tms.get("WebMercatorQuad")
    checked = 0
    for tile in list(tms.tiles(*RANDOM_BOX, zooms=[8]))[::7]:
        box = tile_address(str(tile.z), str(tile.y), str(tile.x)).lonlat_box(BUFFER)
        items = tclient.get("/ogc/collections/conflict-events/items?limit=10000&bbox="
                            + ",".join(map(repr, box))).get_json()["features"]
        found = features(tclient, f"{EVENTS}/{tile.z}/{tile.y}/{tile.x}?datetime=2024")
        in_2024 = {f["properties"]["event_id"] for f in items if f["properties"]["event_date"].startswith("2024")}
        assert {f["properties"]["event_id"] for f in found} == in_2024
        assert all(f["id"] == row_of[f["properties"]["event_id"]] for f in found)
        checked += len(found)
    assert checked > 50
