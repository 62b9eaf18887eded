"""A planner adds a project from the map in headless Chromium, as issue 18 asks: "Add project", a
click on the form's map places it, an end before the start is refused next to its field, the fixed
form is saved, the project is on the map and in the OGC API, it is edited, its history shows the
change and the first version is restored. Screenshots of the form with its error and of the
history page go to ``$COOPMAP_TEST_OUTPUT``.
"""

from __future__ import annotations

import json
import urllib.request

import pytest

from layers.tokens import FileTokenStore
from tests.browser import browser_page, output_dir
from tests.live import serve
from tests.test_a11y_browser import AXE, _violations

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ACRONYM = "TST-BROWSER"
ITURI = (1.56, 30.25)
"""(lat, lon) near Bunia, Ituri: inside DR Congo, where the project says it works."""


@pytest.fixture(scope="module")
def live(new_workspace, app_on):
    home = new_workspace("registry-browser")
    with serve(app_on(home)) as base:
        yield base, FileTokenStore(home).create("amina", "planner")


def _api(base: str, token: str) -> dict:
    request = urllib.request.Request(f"{base}/ogc/collections/projects/items?acronym={ACRONYM}",
                                     headers={"Authorization": f"Bearer {token}"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)


def _settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.cm-loading')")
    page.wait_for_timeout(300)


def _click_map_at(page, lat: float, lon: float) -> None:
    """A real mouse click on the form's map where (lat, lon) is drawn."""
    page.locator("#pick-map").scroll_into_view_if_needed()
    page.evaluate("([lat, lon]) => document.getElementById('pick-map').coopmapMap.setView([lat, lon], 6)",
                  [lat, lon])
    page.wait_for_timeout(300)
    point = page.evaluate("""([lat, lon]) => {
        const box = document.getElementById('pick-map');
        const p = box.coopmapMap.latLngToContainerPoint([lat, lon]);
        const r = box.getBoundingClientRect();
        return [r.left + p.x, r.top + p.y];
    }""", [lat, lon])
    page.mouse.click(*point)


def test_a_planner_adds_a_project_from_the_map_edits_it_and_restores_the_first_version(live):
    base, token = live
    out = output_dir()
    with browser_page() as (page, log):
        # sign in as a planner; back to the map
        page.goto(base + "/login?next=/%3Flang%3Den")
        page.fill("#token", token)
        with page.expect_navigation():
            page.click("button[type=submit]")
        _settle(page)
        if AXE.is_file():  # the panel's new buttons keep the map page accessible
            assert _violations(page) == []
        # "Add project" in the map's panel
        with page.expect_navigation():
            page.get_by_role("link", name="Add project").click()
        assert page.url == base + "/registry/projects/new?lang=en"
        page.wait_for_load_state("networkidle")
        page.fill("#f-acronym", ACRONYM)
        page.fill("#f-title", "Appui <b>Ituri</b>")
        page.fill("#f-countries", "COD")
        page.fill("#f-start", "2024-03")
        page.fill("#f-end", "2023-01")  # before the start
        _click_map_at(page, *ITURI)
        clicked = (float(page.input_value("#f-lat")), float(page.input_value("#f-lon")))
        # one pixel at zoom 6 is about 0.02 degree
        assert abs(clicked[0] - ITURI[0]) < 0.05 and abs(clicked[1] - ITURI[1]) < 0.05, clicked
        assert page.inner_text("#precision-output") == "exact (coordinates)"
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.wait_for_load_state("networkidle")
        # refused: the message stands next to the end, the field is invalid and has the focus
        assert page.get_attribute("#f-end", "aria-invalid") == "true"
        assert "f-end-error" in page.get_attribute("#f-end", "aria-describedby").split()
        assert page.inner_text("#f-end-error") == "end '2023-01' is before the start"
        assert page.evaluate("() => document.activeElement.id") == "f-end"
        assert page.input_value("#f-title") == "Appui <b>Ituri</b>"  # what was typed is kept
        assert float(page.input_value("#f-lat")) == clicked[0]
        assert _api(base, token)["numberMatched"] == 0  # nothing saved
        page.screenshot(path=str(out / "registry-form-error.png"), full_page=True)
        if AXE.is_file():
            assert _violations(page) == []

        # fixed and saved: Post/Redirect/Get to the project's page
        page.fill("#f-end", "2025-06")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.url == base + f"/registry/projects/{ACRONYM}?lang=en"
        assert page.inner_text("[role=status]") == "Saved: version 1."
        found = _api(base, token)
        assert found["numberMatched"] == 1
        assert found["features"][0]["geometry"]["coordinates"] == [clicked[1], clicked[0]]
        assert found["features"][0]["properties"]["title"] == "Appui <b>Ituri</b>"

        # on the map: its marker, whose popup shows the title as text and has an Edit link
        with page.expect_navigation():
            page.get_by_role("link", name="Show on the map").click()
        _settle(page)
        marker = page.locator(f".leaflet-marker-icon[title='{ACRONYM}']")
        assert marker.count() == 1
        marker.focus()  # UPS's Ituri site stands on the same spot: the keyboard reaches the marker anyway
        page.keyboard.press("Enter")
        popup = page.locator(".leaflet-popup-content .cm-card")
        popup.wait_for()
        assert popup.locator(".cm-card-title").inner_text() == "Appui <b>Ituri</b>"
        assert popup.locator("b").count() == 0
        with page.expect_navigation():
            popup.get_by_role("link", name=f"Edit {ACRONYM}").click()
        page.wait_for_load_state("networkidle")
        assert page.input_value("#f-title") == "Appui <b>Ituri</b>"
        page.fill("#f-title", "Appui Ituri, phase 2")
        page.fill("#f-funder", "European Union")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.inner_text("[role=status]") == "Saved: version 2."

        # the history: version 2 by amina, the title before and after
        version2 = page.locator("#version-2")
        assert "Version 2 (current version)" in version2.inner_text()
        assert "Edited by amina" in version2.inner_text()
        rows = version2.locator("table.reg-diff tbody tr")
        cells = [[c.inner_text() for c in rows.nth(i).locator("th, td").all()] for i in range(rows.count())]
        assert ["Title", "Appui <b>Ituri</b>", "Appui Ituri, phase 2"] in cells
        assert ["Funder", "(empty)", "European Union"] in cells
        page.screenshot(path=str(out / "registry-history.png"), full_page=True)
        if AXE.is_file():
            assert _violations(page) == []

        # restore the first version
        with page.expect_navigation():
            page.get_by_role("button", name="Restore version 1").click()
        assert page.inner_text("[role=status]") == "Version 1 restored."
        assert "Restored by amina" in page.locator("#version-3").inner_text()
        properties = _api(base, token)["features"][0]["properties"]
        assert properties["title"] == "Appui <b>Ituri</b>" and not properties["funder"]

        # the gazetteer, with the keyboard: a school placed at Goma by picking the suggestion
        page.goto(base + "/registry/envr/new?lang=fr")
        page.fill("#f-country_iso3", "COD")
        page.focus("#place-search")
        page.keyboard.type("Gom")
        page.wait_for_selector("#place-list [role=option]")
        page.keyboard.press("ArrowDown")
        page.locator(".reg-place").screenshot(path=str(out / "registry-gazetteer-fr.png"))
        page.keyboard.press("Enter")
        assert page.input_value("#f-city") == "Goma"
        assert page.input_value("#f-geocode_precision") == "city"
        assert page.inner_text("#precision-output") == "ville (répertoire)"
        lat, lon = float(page.input_value("#f-lat")), float(page.input_value("#f-lon"))
        assert abs(lat - -1.68) < 0.05 and abs(lon - 29.22) < 0.05  # Goma: 1.68 S, 29.22 E
        assert page.evaluate("() => document.getElementById('pick-map').dataset.points") == "1"
        assert log.offhost == []
        # the one error the console shows: the refused form's page came with its 400 status
        refused = "Failed to load resource: the server responded with a status of 400 (BAD REQUEST)"
        assert log.console_errors == [refused]
