"""The map pages in headless Chromium, offline: layers draw, nothing leaves localhost,
data shows as text."""

from __future__ import annotations

from urllib.parse import parse_qs, urlparse

import pytest

from tests.browser import browser_page, output_dir
from tests.live import serve
from tests.mapfixtures import XSS, analyst_token, populate

pytestmark = pytest.mark.browser


@pytest.fixture
def live(app, home):
    populate(app.extensions["coopmap.store"], title=XSS)
    with serve(app) as base:
        yield base, {"Authorization": f"Bearer {analyst_token(home)}"}


def _settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.cm-loading')")
    page.wait_for_timeout(300)


def test_overview_draws_every_layer_offline(live):
    base, headers = live
    with browser_page(headers=headers) as (page, log):
        page.goto(base + "/")
        _settle(page)
        assert page.locator(".leaflet-container").count() == 1
        polygons = page.locator(".leaflet-cm-choropleth-pane path.leaflet-interactive").count()
        land = page.locator(".leaflet-cm-land-pane path").count()
        assert polygons > 50 and land > 100
        assert page.locator(".cm-icon svg").count() >= 8  # 4 schools + 4 project sites
        assert page.locator(".cm-cluster, .cm-event").count() > 20
        assert page.locator(".cm-legend-row").count() >= 3
        assert page.locator(".cm-notice").inner_text().lower().startswith("synthetic demo data")
        assert "Natural Earth" in page.locator(".leaflet-control-attribution").inner_text()
        assert page.locator(".leaflet-control-scale").count() == 1
        page.screenshot(path=str(output_dir() / "map-overview.png"))
        assert log.offhost == [] and log.console_errors == [] and log.failed == []


def test_country_focus_draws_outline_sites_rings_and_chart(live):
    base, headers = live
    with browser_page(headers=headers) as (page, log):
        page.goto(base + "/map/COD")
        _settle(page)
        assert page.locator(".leaflet-cm-choropleth-pane path").count() >= 1  # the country outline
        rings = page.locator(".leaflet-cm-footprints-pane path").count()
        assert rings == 2  # Goma and Bukavu
        assert page.locator(".cm-icon svg").count() == 3  # 2 sites + 1 school
        chart = page.locator("#cm-chart")
        assert chart.evaluate("img => img.complete && img.naturalWidth > 0")
        page.screenshot(path=str(output_dir() / "map-country-COD.png"))
        assert log.offhost == [] and log.console_errors == [] and log.failed == []


def test_controls_refetch_and_keep_the_state_in_the_url(live):
    base, headers = live
    with browser_page(headers=headers) as (page, log):
        page.goto(base + "/?lang=fr")
        _settle(page)
        assert "période" in page.locator(".cm-panel").inner_text().lower()
        with page.expect_response(
            lambda r: "/map-data/choropleth" in r.url and "fatalities" in r.url
        ):
            page.select_option(".cm-panel select >> nth=1", "fatalities")
        with page.expect_response(lambda r: "/map-data/events" in r.url and "Battles" in r.url):
            page.select_option(".cm-panel select >> nth=0", "Battles")
        _settle(page)
        state = parse_qs(urlparse(page.url).query)
        assert (
            state["metric"] == ["fatalities"]
            and state["event_type"] == ["Battles"]
            and state["lang"] == ["fr"]
        )
        snapshot = parse_qs(urlparse(page.locator("#cm-snapshot").get_attribute("href")).query)
        assert snapshot["metric"] == ["fatalities"] and "bbox" in snapshot
        assert "view" not in snapshot  # the bbox is the view
        assert set(snapshot["layers"][0].split(",")) <= {
            "country-summary",
            "project-countries",
            "projects",
            "envr",
            "conflict-events",
        }
        # the permalink restores the controls
        page.goto(page.url)
        _settle(page)
        assert page.locator(".cm-panel select >> nth=1").input_value() == "fatalities"
        assert log.offhost == [] and log.console_errors == []


def test_data_text_is_shown_as_text_never_run(live):
    base, headers = live
    with browser_page(headers=headers) as (page, log):
        page.goto(base + "/map/COD")
        _settle(page)
        page.locator(".cm-icon").filter(has=page.locator("path[fill='#1a9850']")).first.click()
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        assert XSS in popup.inner_text()
        assert popup.locator("img").count() == 0
        page.wait_for_timeout(300)
        assert log.dialogs == []
        assert log.offhost == []


def test_a_catalogue_layer_without_a_renderer_of_its_own_is_read_from_the_api(app_factory, monkeypatch):
    from tests.test_layer_registration import register_areas

    app = app_factory()
    populate(app.extensions["coopmap.store"])
    register_areas(app, monkeypatch)
    with serve(app) as base, browser_page() as (page, log):
        page.goto(base + "/map/COD")
        _settle(page)
        assert page.get_by_label("Training areas").is_checked()
        areas = page.locator(".leaflet-cm-footprints-pane path[fill='#1b9e77']")
        assert areas.count() == 1
        areas.first.dispatch_event("click")
        popup = page.locator(".leaflet-popup-content")
        popup.wait_for()
        text = popup.inner_text()
        assert "Kivu range" in text and "kind" in text
        page.get_by_label("Training areas").uncheck()
        assert areas.count() == 0
        assert log.offhost == [] and log.console_errors == [] and log.failed == []


def test_density_overlay_is_an_image_from_the_service(live):
    base, headers = live
    with browser_page(headers=headers) as (page, log):
        page.goto(base + "/?layers=country-summary,density")
        _settle(page)
        overlay = page.locator("img.cm-density")
        assert overlay.count() == 1
        assert overlay.evaluate("img => img.complete && img.naturalWidth > 0")
        assert (
            page.locator(".cm-cluster, .cm-event").count() == 0
        )  # events layer off in this permalink
        # the choropleth pales under the raster, and comes back when the raster is switched off
        choropleth = page.locator(".leaflet-cm-choropleth-pane path.leaflet-interactive")
        assert choropleth.first.get_attribute("fill-opacity") == "0.3"
        page.get_by_label("Conflict density (raster)").uncheck()
        assert choropleth.first.get_attribute("fill-opacity") == "0.78"
        assert log.offhost == [] and log.console_errors == []


def test_country_labels_never_overlap(live):
    base, headers = live
    with browser_page(headers=headers) as (page, log):
        for url in ("/?layers=country-summary", "/?layers=country-summary&bbox=-20,-10,40,30"):
            page.goto(base + url)
            _settle(page)
            boxes = page.locator(".cm-country-label").evaluate_all(
                "els => els.map(e => { const r = e.getBoundingClientRect();"
                " return [r.left, r.top, r.right, r.bottom]; })"
            )
            assert len(boxes) > 25, url
            clashes = [
                (a, b)
                for i, a in enumerate(boxes)
                for b in boxes[i + 1 :]
                if a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]
            ]
            assert clashes == [], url
        names = page.locator(".cm-country-label").all_inner_texts()
        assert "Nigeria" in names and "Democratic Republic of the Congo" in names
        assert log.console_errors == []


@pytest.fixture
def live_provinces(app, home, province_file):
    from tests.test_map_provinces import import_into

    store = app.extensions["coopmap.store"]
    populate(store)
    import_into(store, province_file)
    with serve(app) as base:
        yield base, {"Authorization": f"Bearer {analyst_token(home)}"}


def test_country_focus_fills_imported_provinces_by_value(live_provinces):
    base, headers = live_provinces
    with browser_page(headers=headers) as (page, log):
        page.goto(base + "/map/COD?datetime=2024-01/2024-12")
        _settle(page)
        filled = page.locator("path.cm-province[fill-opacity='0.75']")
        assert filled.count() == 2  # Ituri and Nord-Kivu
        colours = {filled.nth(i).get_attribute("fill") for i in range(2)}
        assert len(colours) == 2  # different classes: the Kivu cluster makes Nord-Kivu darker
        legend = page.locator(".cm-legend:visible")
        assert legend.count() == 1 and legend.inner_text().startswith("Events")
        assert page.locator("#cm-provinces").is_hidden()  # polygons: no name-based table
        with page.expect_response(
            lambda r: "/map-data/country/COD" in r.url and "fatalities" in r.url
        ):
            page.select_option(".cm-panel select >> nth=1", "fatalities")
        _settle(page)
        assert page.locator(".cm-legend:visible").inner_text().startswith("Fatalities")
        page.screenshot(path=str(output_dir() / "map-country-COD-provinces.png"))
        assert log.offhost == [] and log.console_errors == [] and log.failed == []


def test_country_focus_lists_admin1_names_when_no_polygons(app):
    from tests.builders import make_events

    rows = [
        {"lon": 29.2, "lat": -1.2, "admin1": "Nord-Kivu"},
        {"lon": 29.3, "lat": -1.1, "admin1": "Nord-Kivu"},
        {"lon": 30.0, "lat": 1.6, "admin1": XSS},
    ]
    for r in rows:
        r.update(event_date="2024-03-01", country_iso3="COD", fatalities=1)
    populate(app.extensions["coopmap.store"], events=make_events(rows))
    with serve(app) as base, browser_page() as (page, log):
        page.goto(base + "/map/COD?datetime=2024-01/2024-12")
        _settle(page)
        panel = page.locator("#cm-provinces")
        assert panel.is_visible()
        assert "admin1" in panel.locator(".cm-basis-note").first.inner_text()
        cells = panel.locator("table tr td:nth-child(2)")
        assert cells.all_inner_texts() == ["Nord-Kivu", XSS]  # ranked, data shown as text
        assert panel.locator("img").count() == 0 and log.dialogs == []
        assert page.locator("path.cm-province").count() == 0
        assert log.offhost == [] and log.console_errors == []


def test_project_sites_follow_the_period_slider(app):
    from tests.mapfixtures import projects_frame

    store = app.extensions["coopmap.store"]
    populate(store)
    projects = projects_frame()
    projects.loc[projects["site_id"] == "GOL-1", ["start", "end"]] = ["2019-01-01", "2023-03-31"]
    store.write("projects", projects, ["test"])
    sites = ".leaflet-cm-sites-pane .cm-icon svg"
    with serve(app) as base, browser_page() as (page, log):
        page.goto(base + "/")  # the last twelve months of data: 2024
        _settle(page)
        # 4 schools + 2 public project features: PAS's Goma and Bukavu sites are one feature at the
        # country point for the public (one feature per project per place); GOL-1 closed in 2023
        assert page.locator(sites).count() == 6
        with page.expect_response(lambda r: "/map-data/sites" in r.url and "2023-01" in r.url):
            page.locator(".cm-range >> nth=0").evaluate(
                "r => { r.value = '0'; r.dispatchEvent(new Event('change')); }"
            )
        _settle(page)
        assert page.locator(sites).count() == 7  # GOL-1 is back
        assert "datetime=2023-01" in page.url
        assert log.console_errors == [] and log.offhost == []
