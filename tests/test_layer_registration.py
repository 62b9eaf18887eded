"""A layer added to the catalogue reaches the snapshot and the map page with no other edit.

The extra layer is a stored polygon (one box over North Kivu, in the DRC) registered in a copy of
the catalogue; ``webmap.guard.CATALOGUE`` is swapped for the copy, as every view reads the
catalogue through the guard.
"""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import geopandas as gpd
import pytest
from PIL import Image
from shapely.geometry import box

from geo.errors import InvalidParameter
from geo.render.spec import parse_snapshot
from geo.schema import Field
from layers import CATALOGUE, Catalogue, Layer, Style
from layers.sources import StoredSource
from webmap.mapbuild import known_layers, snapshot_layers

SVG = "{http://www.w3.org/2000/svg}"
FILL = (0x1B, 0x9E, 0x77)
"""The extra layer's fill colour, ``#1b9e77``, drawn opaque: no other layer uses it."""
AREAS = Layer(
    id="training-areas",
    title="Training areas",
    title_fr="Zones d'entraînement",
    description="Areas where partner units train (test layer).",
    geometry_type="Polygon",
    id_field="name",
    fields=(Field("name", "string"), Field("kind", "string")),
    source=StoredSource("training-areas", "written by the test"),
    style=Style(kind="polygon", color="#0b5d45", fill_color="#1b9e77", fill_opacity=1.0, weight=1.0),
    attribution="coopmap test training areas",
    licence="CC0",
    draw_order=55,
    map_default=True,
)
EXTENDED = Catalogue((*CATALOGUE.layers, AREAS))


def register_areas(app, monkeypatch) -> None:
    """Store the extra layer in ``app``'s workspace and register it in the catalogue views read."""
    frame = gpd.GeoDataFrame(
        {"name": ["Kivu range"], "kind": ["range"]},
        geometry=[box(27.5, -2.5, 29.5, -0.5)],
        crs="EPSG:4326",
    )
    app.extensions["coopmap.store"].write("training-areas", frame, ["test"])
    monkeypatch.setattr("webmap.guard.CATALOGUE", EXTENDED)


@pytest.fixture
def registered(app, monkeypatch):
    register_areas(app, monkeypatch)
    return app


def _svg_words(content: bytes) -> str:
    root = ET.fromstring(content)
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def _colours(content: bytes) -> set[tuple[int, int, int]]:
    image = Image.open(io.BytesIO(content)).convert("RGB")
    return {rgb for _, rgb in image.getcolors(maxcolors=1 << 20)}


def _options(html: str, function: str) -> dict:
    """The options the page passes to ``coopmap.<function>(map, options)``."""
    found = re.search(rf"coopmap\.{function}\(\w+, (\{{.*?\}})\);\n", html)
    assert found, function
    return json.loads(found.group(1))


def test_the_catalogue_gives_the_snapshot_and_page_layers_of_before():
    layers = CATALOGUE.map_layers()
    assert parse_snapshot({}, layers).layers == ("country-summary", "conflict-events", "projects", "envr")
    assert set(snapshot_layers(CATALOGUE)) == {
        "countries", "provinces", "project-countries", "country-summary", "province-summary",
        "conflict-events", "projects", "envr",
    }
    assert sorted(known_layers(CATALOGUE)) == sorted([
        "country-summary", "projects", "envr", "project-countries", "conflict-events", "exposure",
        "provinces", "density",
    ])
    orders = [layer.draw_order for layer in CATALOGUE if layer.draw_order is not None]
    assert len(set(orders)) == len(orders)


def test_snapshot_parser_accepts_the_new_layer_in_drawing_order():
    with pytest.raises(InvalidParameter, match="unknown layer 'training-areas'"):
        parse_snapshot({"layers": "training-areas"}, CATALOGUE.map_layers())
    spec = parse_snapshot({"layers": "conflict-events,training-areas,provinces"}, EXTENDED.map_layers())
    # provinces 50 < training-areas 55 < conflict-events 60
    assert spec.layers == ("provinces", "training-areas", "conflict-events")
    assert "training-areas" not in parse_snapshot({}, EXTENDED.map_layers()).layers


def test_snapshot_draws_the_new_layer_with_its_legend_and_credit(registered):
    client = registered.test_client()
    query = "iso3=COD&width=500&height=350"
    words = _svg_words(client.get(f"/snapshot.svg?{query}&layers=training-areas").data)
    assert "Training areas" in words
    assert "coopmap test training areas" in words
    french = _svg_words(client.get(f"/snapshot.svg?{query}&layers=training-areas&lang=fr").data)
    assert "Zones d'entraînement" in french
    drawn = client.get(f"/snapshot.png?{query}&layers=training-areas")
    assert drawn.status_code == 200
    assert FILL in _colours(drawn.data)
    assert FILL not in _colours(client.get(f"/snapshot.png?{query}&layers=provinces").data)


def test_map_page_lists_the_new_layer_and_the_api_serves_it(registered):
    client = registered.test_client()
    page = client.get("/map/COD?lang=fr")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    listed = {entry["id"]: entry for entry in _options(html, "catalogueLayers")["layers"]}
    assert set(listed) == {
        "provinces", "envr", "projects", "project-countries", "conflict-events", "country-summary",
        "training-areas",
    }
    areas = listed["training-areas"]
    assert areas["title"] == "Zones d'entraînement"
    assert areas["kind"] == "polygon" and areas["visible"] is True
    assert areas["style"]["fill_color"] == "#1b9e77"
    assert "training-areas" in _options(html, "controls")["snapshot_layers"]
    assert client.get("/?layers=training-areas").status_code == 200
    items = client.get(
        f"{areas['items_url']}?bbox=27,-3,30,0&limit=2000", headers={"Accept": "application/json"}
    )
    assert items.status_code == 200
    features = items.get_json()["features"]
    assert [f["properties"]["name"] for f in features] == ["Kivu range"]


def test_map_page_refuses_the_layer_when_it_is_not_registered(client):
    assert client.get("/?layers=training-areas").status_code == 400
