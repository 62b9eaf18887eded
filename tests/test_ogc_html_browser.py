"""The OGC API's HTML pages in headless Chromium: one marker per table row, a row and its marker select
each other, nothing leaves 127.0.0.1; screenshots of the items, collection and item pages."""

from __future__ import annotations

import pytest

from tests.browser import browser_page, output_dir
from tests.live import serve
from tests.ogchtmlfixtures import BREAKOUT, populate

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SELECTED_FILL = "#2b6cd4"
"""The fill of the selected feature (``static/ogcmap.js``)."""

STATE = """
() => ({
  markers: Array.from(document.querySelectorAll("path.ogc-feature")).length,
  selected: Array.from(document.querySelectorAll("path.ogc-feature.ogc-selected"))
    .map(p => p.getAttribute("fill")),
  rows: Array.from(document.querySelectorAll("tr[data-fid]")).map(r => r.getAttribute("data-fid")),
  selectedRows: Array.from(document.querySelectorAll("tr.ogc-selected")).map(r => r.getAttribute("data-fid")),
  land: document.querySelectorAll(".leaflet-ogc-land-pane path").length,
})
"""


@pytest.fixture(scope="module")
def base(new_workspace, app_on):
    home = new_workspace("ogc-html-browser-home")
    populate(app_on(home).extensions["coopmap.store"])
    with serve(app_on(home)) as url:
        yield url


def _load(page, url: str) -> dict:
    response = page.goto(url)
    assert response.status == 200, url
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(300)
    return page.evaluate(STATE)


def test_items_page_maps_each_row_and_selects_both_ways(base):
    with browser_page() as (page, log):
        state = _load(page, base + "/ogc/collections/conflict-events/items?f=html")
        # four hand-placed events: four rows, four markers, none selected, the land drawn
        assert len(state["rows"]) == 4 and state["markers"] == 4
        assert state["selected"] == [] and state["selectedRows"] == [] and state["land"] > 0
        # click the third row (its date cell, not its link): its marker is highlighted, alone
        row = page.locator("tr[data-fid]").nth(2)
        third = state["rows"][2]
        row.locator("td").nth(2).click()
        state = page.evaluate(STATE)
        assert state["selected"] == [SELECTED_FILL] and state["selectedRows"] == [third]
        assert page.url.endswith("f=html")  # the row selects, it does not navigate
        page.screenshot(path=str(output_dir() / "ogc-items-selected.png"), full_page=True)
        # click the marker of the first row: its row is highlighted instead of the third
        first = state["rows"][0]
        page.evaluate("(id) => Array.from(document.querySelectorAll('path.ogc-feature'))"
                      ".find(p => p.getAttribute('data-fid') === id)"
                      ".dispatchEvent(new MouseEvent('click', {bubbles: true}))", first)
        state = page.evaluate(STATE)
        assert state["selectedRows"] == [first] and state["selected"] == [SELECTED_FILL]
        # the keyboard: Tab to a row, Enter selects it
        page.locator("tr[data-fid]").nth(1).focus()
        page.keyboard.press("Enter")
        assert page.evaluate(STATE)["selectedRows"] == [state["rows"][1]]
        assert log.offhost == [] and log.console_errors == [] and log.failed == []
    assert BREAKOUT in state["rows"]


def test_collection_and_item_pages_show_their_map(base):
    with browser_page() as (page, log):
        _load(page, base + "/ogc/collections/conflict-events?f=html")
        assert page.locator("path.ogc-extent").count() == 1
        page.screenshot(path=str(output_dir() / "ogc-collection.png"), full_page=True)
        state = _load(page, base + "/ogc/collections/conflict-events/items/E1?f=html")
        assert state["markers"] == 1 and state["land"] > 0
        page.screenshot(path=str(output_dir() / "ogc-item.png"), full_page=True)
        _load(page, base + "/ogc/collections/conflict-events/items?f=html")
        page.screenshot(path=str(output_dir() / "ogc-items.png"), full_page=True)
        # polygons: a page of three countries is three shapes; a row selects its country
        state = _load(page, base + "/ogc/collections/countries/items?f=html&limit=3")
        assert len(state["rows"]) == 3 and state["markers"] == 3
        page.locator("tr[data-fid]").nth(1).locator("td").nth(1).click()
        state = page.evaluate(STATE)
        assert state["selected"] == [SELECTED_FILL] and state["selectedRows"] == [state["rows"][1]]
        page.screenshot(path=str(output_dir() / "ogc-items-countries.png"))
        assert log.offhost == [] and log.console_errors == [] and log.failed == []
