"""The map pages and their data endpoints, without a browser."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest

from tests.mapfixtures import XSS, analyst_token, authorise, populate


@pytest.fixture
def filled(app_factory, home):
    app = authorise(app_factory(), analyst_token(home))
    populate(app.extensions["coopmap.store"], title=XSS)
    return app


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("src", "href") and value:
                self.urls.append(value)


def _urls(html: str) -> list[str]:
    parser = _Links()
    parser.feed(html)
    return parser.urls


@pytest.mark.parametrize("path", ["/", "/map/COD"])
def test_pages_link_only_local_assets(filled, path):
    response = filled.test_client().get(path)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    urls = _urls(html)
    assert any(u.endswith("leaflet.js") for u in urls)
    assert all(u.startswith("/") and not u.startswith("//") for u in urls), urls
    assert not re.search(r"https?://", html.split("<body>")[0])  # no remote link in the head
    for url in urls:
        with filled.test_client().get(url) as asset:
            assert asset.status_code == 200, url


def test_unknown_country_is_a_json_404(client):
    response = client.get("/map/XXX")
    assert response.status_code == 404
    assert response.json["code"] == "NotFound" and "XXX" in response.json["description"]


def test_french_browser_gets_french_labels(filled):
    client = filled.test_client()
    fr = client.get("/map/COD", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.5"})
    assert fr.headers["Content-Language"] == "fr"
    assert "Événements et victimes par mois" in fr.get_data(as_text=True)
    assert '"lang": "fr"' in fr.get_data(as_text=True)
    en = client.get("/?lang=en", headers={"Accept-Language": "fr-FR"})
    assert en.headers["Content-Language"] == "en"
    assert client.get("/?lang=de").status_code == 400


@pytest.mark.parametrize(
    "query", ["metric=deaths", "datetime=2024-13", "bbox=1,2,3", "layers=nope"]
)
def test_bad_page_parameters_are_400_naming_the_parameter(filled, query):
    response = filled.test_client().get(f"/?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json["description"]


def test_choropleth_classes_and_legend(filled):
    data = (
        filled.test_client().get("/map-data/choropleth?metric=events&datetime=2024-01/2024-12").json
    )
    by_iso = {f["properties"]["iso3"]: f["properties"] for f in data["features"]}
    assert "COD" in by_iso and "IRN" in by_iso and "FRA" not in by_iso
    assert by_iso["COD"]["events"] >= 240  # the 240 eastern-DRC events of 2024
    legend_colors = [c["color"] for c in data["legend"]["classes"]]
    assert by_iso["COD"]["color"] == legend_colors[-1] or by_iso["COD"]["color"] in legend_colors
    # the busiest country is in the darkest class
    busiest = max(by_iso.values(), key=lambda p: p["events"] or 0)
    assert busiest["color"] == [c for c in legend_colors if c != "#e8e4dc"][-1]
    change = (
        filled.test_client()
        .get("/map-data/choropleth?metric=change_pct&datetime=2024-01/2024-12")
        .json
    )
    assert change["legend"]["classes"][0]["label"].startswith("<")


def test_sites_restricted_fields_follow_the_role(app, home):
    populate(app.extensions["coopmap.store"])
    token = analyst_token(home)
    full = app.test_client().get(
        "/map-data/sites?iso3=COD", headers={"Authorization": f"Bearer {token}"}
    ).json
    assert {p["site"] for p in full["projects"]} == {"Goma", "Bukavu"}
    assert full["projects"][0]["budget_eur"] == 1_500_000.0
    assert [s["acronym"] for s in full["envr"]] == ["ENVR-K"]
    public = app.test_client().get("/map-data/sites?iso3=COD").json
    assert all("budget_eur" not in p for p in public["projects"])
    assert all(p["generalised"] for p in public["projects"])
    assert "budget_eur" not in public["footprints"]["features"][0]["properties"]


def test_events_endpoint_points_then_cells(filled):
    client = filled.test_client()
    near = client.get(
        "/map-data/events?bbox=27,-4,31,1&zoom=7&datetime=2024-01/2024-12&iso3=COD"
    ).json
    assert near["mode"] == "points" and len(near["points"]) >= 240
    assert near["synthetic"] == near["total"]
    point = near["points"][0]
    assert {"event_date", "event_type", "actor1", "fatalities", "source"} <= set(point)
    battles = client.get("/map-data/events?bbox=27,-4,31,1&zoom=7&event_type=Battles&iso3=COD").json
    assert {p["event_type"] for p in battles["points"]} == {"Battles"}
    assert client.get("/map-data/events?zoom=3").status_code == 400
    assert "zoom" in client.get("/map-data/events?bbox=0,0,1,1&zoom=x").json["description"]


def test_country_chart_is_an_svg_with_bars(filled):
    response = filled.test_client().get("/map-data/chart/COD.svg?datetime=2024-01/2024-12&lang=fr")
    assert response.mimetype == "image/svg+xml"
    root = ET.fromstring(response.data)
    assert root.tag.endswith("svg")
    bars = [
        p for p in root.iter() if p.tag.endswith("g") and (p.get("id") or "").startswith("patch")
    ]
    assert len(bars) >= 24  # 12 months x 2 panels at least
    assert filled.test_client().get("/map-data/chart/XXX.svg").status_code == 404


def test_page_html_does_not_inline_data(filled):
    html = filled.test_client().get("/").get_data(as_text=True)
    assert XSS not in html
    assert len(html.encode()) < 50_000


def test_density_overlay_bounds_and_png(filled):
    client = filled.test_client()
    meta = client.get(
        "/map-data/density?bbox=-20,-35,52,38&zoom=3&datetime=2024-01/2024-12&lang=en"
    ).json
    (south, west), (north, east) = meta["bounds"]
    assert west <= -20 and east >= 52 and south <= -35 and north >= 38
    png = client.get(meta["url"])
    assert png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert meta["maximum"] > 0
