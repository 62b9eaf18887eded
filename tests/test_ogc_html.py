"""The OGC API's HTML pages over plain HTTP: the map's data is the page's features, escaped so no data
text ends its ``<script>`` element; the collection page shows its extents, count and every link."""

from __future__ import annotations

import json
import urllib.request
from html.parser import HTMLParser
from urllib.parse import quote

import pytest

from tests.live import serve
from tests.ogchtmlfixtures import BREAKOUT, populate


class _Page(HTMLParser):
    """The parts of a page the tests read: the map's JSON, the table's row ids, links, scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.map_json = ""
        self.rows: list[str] = []
        self.anchors: list[tuple[str, str]] = []
        self.scripts = 0
        self._in_map = False
        self._anchor: str | None = None
        self._anchor_text = ""

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script":
            self.scripts += 1
            self._in_map = a.get("id") == "ogc-map-data"
        if tag == "tr" and "data-fid" in a:
            self.rows.append(a["data-fid"])
        if tag == "a":
            self._anchor, self._anchor_text = a.get("href"), ""

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_map = False
        if tag == "a" and self._anchor is not None:
            self.anchors.append((self._anchor, self._anchor_text))
            self._anchor = None

    def handle_data(self, data):
        if self._in_map:
            self.map_json += data
        if self._anchor is not None:
            self._anchor_text += data


@pytest.fixture(scope="module")
def html_app(new_workspace, app_on):
    home = new_workspace("ogc-html-home")
    populate(app_on(home).extensions["coopmap.store"])
    return app_on(home)


@pytest.fixture(scope="module")
def base(html_app):
    with serve(html_app) as url:
        yield url


def _get(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as response:
        assert response.status == 200
        return response.read().decode()


def _page(url: str) -> tuple[str, _Page]:
    text = _get(url)
    page = _Page()
    page.feed(text)
    return text, page


def test_items_page_embeds_its_features_for_the_map_and_no_id_breaks_out(base):
    text, page = _page(base + "/ogc/collections/conflict-events/items?f=html")
    data = json.loads(page.map_json)
    ids = [f["id"] for f in data["features"]["features"]]
    # four hand-placed events: four rows, four features, the same ids in the same order
    assert sorted(ids) == sorted(["E1", "E2", BREAKOUT, "E4"])
    assert page.rows == ids
    coords = {f["id"]: f["geometry"]["coordinates"] for f in data["features"]["features"]}
    assert coords["E2"] == pytest.approx([15.3, -4.3]) and coords[BREAKOUT] == pytest.approx([25.2, 0.5])
    # the breakout id is in the JSON as \u003c/script\u003e: the raw page never holds it
    assert BREAKOUT not in text and "\\u003c/script\\u003e" in page.map_json
    assert "<script>alert(2)" not in text and "&lt;script&gt;alert(2)&lt;/script&gt; near Goma" in text
    # the JSON block, Leaflet and the map script: three script elements, each closed once
    assert page.scripts == 3 == text.count("</script>")
    assert "/assets/leaflet/leaflet.js" in text and "/static/ogcmap.js" in text and "http://" not in page.map_json


def test_items_page_pages_its_map_with_the_table(base):
    _, first = _page(base + "/ogc/collections/conflict-events/items?f=html&limit=3")
    _, second = _page(base + "/ogc/collections/conflict-events/items?f=html&limit=3&offset=3")
    # 4 events, 3 a page: 3 then 4 - 3 = 1 on the map, next on the first page, prev on the second
    assert len(json.loads(first.map_json)["features"]["features"]) == 3 == len(first.rows)
    assert len(json.loads(second.map_json)["features"]["features"]) == 1 == len(second.rows)
    assert any(title == "Next page" for _, title in first.anchors)
    assert any(title == "Previous page" for _, title in second.anchors)
    assert set(first.rows) | set(second.rows) == {"E1", "E2", BREAKOUT, "E4"}


def test_items_page_in_another_crs_names_its_axes_and_maps_in_degrees(base):
    # E1 (29.2, -1.6) in Web Mercator: x = 29.2 * pi/180 * 6378137 = 3250529.13,
    # y = 6378137 * ln(tan(pi/4 - 0.8 * pi/180)) = -178134.34
    text, page = _page(base + "/ogc/collections/conflict-events/items?f=html&crs=EPSG:3857")
    assert '<th scope="col">easting, northing</th>' in text and "3250529.13, -178134.34" in text
    coords = {f["id"]: f["geometry"]["coordinates"] for f in json.loads(page.map_json)["features"]["features"]}
    assert coords["E1"] == pytest.approx([29.2, -1.6])  # the map stays in longitude/latitude
    text, _ = _page(base + "/ogc/collections/conflict-events/items?f=html&crs=EPSG:4326")
    assert '<th scope="col">latitude, longitude</th>' in text and "-1.60000, 29.20000" in text
    text, _ = _page(base + "/ogc/collections/conflict-events/items/E1?f=html&crs=EPSG:4326")
    assert '<th scope="row">latitude, longitude</th>' in text


def test_collection_page_shows_extent_count_and_every_link(base):
    text, page = _page(base + "/ogc/collections/conflict-events?f=html")
    with urllib.request.urlopen(base + "/ogc/collections/conflict-events?f=json", timeout=60) as response:
        doc = json.load(response)
    # the map draws the extent: by hand lon 15.3..29.2, lat -6.1..0.5
    assert json.loads(page.map_json)["bbox"] == pytest.approx([15.3, -6.1, 29.2, 0.5])
    assert "15.3, -6.1, 29.2, 0.5" in text
    # dates by hand: 2023-11-20 (E4) .. 2024-06-30 (the breakout id's event); four features
    assert "2023-11-20" in text and "2024-06-30" in text
    assert "<dt>Features</dt><dd>4</dd>" in text
    # every link of the JSON document is listed with its title (the self link differs by format)
    listed = dict(page.anchors)
    for link in doc["links"]:
        if link["rel"] in ("self", "alternate"):
            continue
        assert listed.get(link["href"]) == link["title"], link


def test_item_page_maps_its_feature_and_lists_its_properties(base):
    text, page = _page(base + "/ogc/collections/conflict-events/items/E1?f=html")
    features = json.loads(page.map_json)["features"]["features"]
    assert [(f["id"], f["geometry"]["coordinates"]) for f in features] == [("E1", pytest.approx([29.2, -1.6]))]
    assert "<th scope=\"row\">fatalities</th><td>7</td>" in text
    assert "&lt;script&gt;alert(2)&lt;/script&gt; near Goma" in text and "<script>alert(2)" not in text
    assert quote("E1") in text


def test_the_map_copy_of_polygons_is_light_and_points_stay_put():
    from shapely.geometry import Point, Polygon

    from geo.render.minimap import minimap_geometries

    # a 10° square whose bottom edge has a vertex 0.004° off its chord, and a point inside it:
    # extent 10° on 800 px → tolerance 10 / 800 / 2 = 0.00625° > 0.004°: the vertex goes;
    # coordinates rounded to ceil(-log10 0.00625) = 3 decimals; the point keeps 6 decimals
    square = Polygon([(0, 0), (5, 0.004), (10, 0), (10, 10), (0, 10.0001234)])
    light_square, light_point = minimap_geometries([square, Point(3.123456789, 4.5)], pixels=800)
    assert list(light_square.exterior.coords) == [(0, 0), (10, 0), (10, 10), (0, 10), (0, 0)]
    assert light_point.coords[0] == (3.123457, 4.5)
    assert minimap_geometries([None]) == [None]


def test_links_are_listed_whatever_they_are(html_app):
    # links other parts of the API add to a document (queryables, tiles) show without template work:
    # a templated href is text (not a link to follow), a link without a title shows its relation
    from flask import render_template

    doc = {
        "links": [
            {"href": "http://h/ogc/collections/x/queryables", "rel": "http://www.opengis.net/def/rel/ogc/1.0/queryables",
             "type": "application/schema+json", "title": "Queryables"},
            {"href": "http://h/ogc/collections/x/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}",
             "rel": "item", "type": "application/vnd.mapbox-vector-tile", "templated": True, "title": "Tiles"},
            {"href": "http://h/<b>", "rel": "describedby"},
        ]
    }
    with html_app.test_request_context("/ogc"):
        text = render_template("ogc_landing.html", doc={"title": "t", "description": "d", **doc})
    page = _Page()
    page.feed(text)
    assert page.anchors[-2:] == [("http://h/ogc/collections/x/queryables", "Queryables"),
                            ("http://h/<b>", "describedby")]
    assert "<code>http://h/ogc/collections/x/tiles/WebMercatorQuad/{tileMatrix}/{tileRow}/{tileCol}</code>" in text
    assert "URL template" in text and 'href="http://h/&lt;b&gt;"' in text
