"""Accessibility (RGAA = WCAG 2.1 AA): every page passes axe-core's WCAG 2.1 A/AA rules in headless
Chromium, says its language on ``<html>``, lets users zoom, and its forms work with the keyboard alone.

axe-core comes from its npm package (``tests/axe/package.json``, installed by ``scripts/test.sh``) and is
evaluated from disk in each page after it loads: no page ever references it.
"""

from __future__ import annotations

import functools
import json
import os
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from layers.tokens import FileTokenStore
from tests.browser import browser_page, output_dir
from tests.live import serve
from tests.mapfixtures import analyst_token

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).parent / "axe" / "node_modules" / "axe-core" / "axe.min.js"
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
TAGS = [*WCAG_21_AA, "best-practice"]
"""The WCAG 2.1 A/AA rules, and axe's best practices, which check what RGAA also asks: one ``main``
landmark, all content in landmarks, one level-one heading, heading order, scrollable regions."""

MAP_PAGES = ["/", "/map/COD", "/?lang=fr", "/map/COD?lang=fr"]
OGC_PAGES = [
    "/ogc?f=html",
    "/ogc/collections?f=html",
    "/ogc/collections/envr?f=html",
    "/ogc/collections/envr/items?f=html",
    "/ogc/collections/envr/items/{envr_id}?f=html",
    "/ogc/api?f=html",
    "/ogc/conformance?f=html",
    "/ogc/collections/conflict-events/items?f=html&limit=5",
]
REGISTRY_PAGES = ["/registry/projects/new", "/registry/envr/new?lang=fr", "/registry/projects/UPS/edit?lang=fr",
                  "/registry/projects/UPS"]
"""The registry forms and a record's history page: seen signed in as a planner (the public gets /login)."""
FORM_PAGES = ["/snapshot?iso3=COD&layers=projects,envr,conflict-events", "/snapshot?view=africa&lang=fr",
              "/login", "/logout", "/brief/COD?lang=fr", "/brief?view=sahel", *REGISTRY_PAGES]
SCREENSHOTS = {"/": "map-overview", "/map/COD?lang=fr": "map-COD-fr", FORM_PAGES[0]: "snapshot-page"}

RUN_AXE = """
async (tags) => {
  const result = await axe.run(document, {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    targets: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary.replace(/\\s+/g, " ")),
  }));
}
"""

VIEWPORT = "() => (document.querySelector('meta[name=viewport]') || {}).content || ''"


@pytest.fixture(scope="module")
def live(new_workspace, app_on):
    if not AXE.is_file():
        if os.environ.get("CI"):
            pytest.fail(f"{AXE} is missing: scripts/test.sh installs it (npm ci --prefix tests/axe)")
        pytest.skip("axe-core is not installed: run `npm ci --prefix tests/axe` (scripts/test.sh does)")
    home = new_workspace("a11y-home")
    with serve(app_on(home)) as base:
        yield base, home


def _envr_id(base: str) -> str:
    with urllib.request.urlopen(base + "/ogc/collections/envr/items?f=json&limit=1", timeout=60) as response:
        return json.load(response)["features"][0]["id"]


def _violations(page) -> list[dict]:
    # evaluated through the DevTools protocol, which the page's Content-Security-Policy (enforced, as
    # users get it) does not govern; an injected <script> tag would need the page's nonce
    page.evaluate(_axe_source() + "\n;undefined")
    return page.evaluate(RUN_AXE, TAGS)


@functools.cache
def _axe_source() -> str:
    return AXE.read_text(encoding="utf-8")


def _report(found: dict[str, list[dict]]) -> str:
    lines = []
    for path, violations in found.items():
        for v in violations:
            lines.append(f"{path}: {v['id']} ({v['impact']}): {v['help']}")
            lines.extend(f"    {target}" for target in v["targets"])
    return "\n".join(lines)


def _settle(page, is_map: bool) -> None:
    page.wait_for_load_state("networkidle")
    if is_map:
        page.wait_for_function("() => !document.querySelector('.cm-loading')")
        page.wait_for_timeout(300)


@pytest.mark.parametrize("group", ["maps", "ogc", "forms"])
def test_every_page_passes_wcag_21_aa(live, group):
    base, home = live
    paths = {"maps": MAP_PAGES, "ogc": OGC_PAGES, "forms": FORM_PAGES}[group]
    found: dict[str, list[dict]] = {}
    langs: dict[str, str] = {}
    viewports: dict[str, str] = {}
    planner = {"Authorization": f"Bearer {FileTokenStore(home).create(f'a11y-{group}', 'planner')}"}
    with browser_page(headers=planner if group == "forms" else None) as (page, log):
        for path in paths:
            url = base + path.format(envr_id=_envr_id(base) if "{envr_id}" in path else "")
            response = page.goto(url)
            assert response.status == 200, path
            _settle(page, group == "maps")
            langs[path] = page.evaluate("() => document.documentElement.lang")
            viewports[path] = page.evaluate(VIEWPORT)
            found[path] = _violations(page)
            if path == "/map/COD":
                # a site's popup, opened with the keyboard alone: Tab to a site's marker, Enter
                _tab_to(page, ".leaflet-marker-icon.cm-icon[tabindex='0']", limit=80)
                page.keyboard.press("Enter")
                page.wait_for_selector(".leaflet-popup-content .cm-card")
                page.wait_for_timeout(500)  # Leaflet fades popups in: measure contrast once opaque
                found[path + " (popup)"] = _violations(page)
                page.keyboard.press("Escape")
            if path in SCREENSHOTS:
                page.screenshot(path=str(output_dir() / f"a11y-{SCREENSHOTS[path]}.png"), full_page=True)
        assert log.offhost == []
    assert not any(found.values()), "axe-core violations (WCAG 2.1 A/AA, best practice):\n" + _report(found)
    # the language of each page is declared, French where the page is in French (WCAG 3.1.1)
    expected = {path: "fr" if "lang=fr" in path else "en" for path in paths}
    assert langs == expected
    # nothing stops users from zooming (WCAG 1.4.4): no user-scalable=no, no maximum-scale=1
    for path, content in viewports.items():
        assert "user-scalable=no" not in content.replace(" ", "") and "maximum-scale=1" not in content, path


def _tab_to(page, selector: str, limit: int = 20) -> int:
    """Press Tab until ``selector`` has the focus; the number of presses (fails after ``limit``)."""
    for presses in range(1, limit + 1):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return presses
    raise AssertionError(f"{selector} never got the focus in {limit} Tab presses")


DESCRIBED_ERROR = """
(id) => {
  const field = document.getElementById(id);
  const ids = (field.getAttribute("aria-describedby") || "").split(/\\s+/).filter(Boolean);
  return {invalid: field.getAttribute("aria-invalid"),
          described: ids.map(i => document.getElementById(i)).filter(Boolean)
            .map(n => ({role: n.getAttribute("role"), text: n.textContent.trim(),
                        // next to its field: the message follows the field among the form's elements
                        after: !!(field.compareDocumentPosition(n) & Node.DOCUMENT_POSITION_FOLLOWING)}))};
}
"""


def test_the_forms_work_with_the_keyboard_alone(live):
    base, home = live
    token = analyst_token(home)
    with browser_page() as (page, log):
        # /login: a wrong token is refused, the message is announced and tied to the field
        page.goto(base + "/login?next=/ogc%3Ff%3Dhtml")
        _tab_to(page, "#token")
        page.keyboard.type("not-a-token")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        error = page.evaluate(DESCRIBED_ERROR, "token")
        assert error["invalid"] == "true"
        assert error["described"] == [
            {"role": "alert", "text": "This token is not recognised (unknown or revoked).", "after": True}
        ]
        assert _violations(page) == []
        # the right token signs in and goes where ``next`` said
        _tab_to(page, "#token")
        page.keyboard.type(token)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == base + "/ogc?f=html"
        # /logout: one button, reached and pressed with the keyboard
        page.goto(base + "/logout")
        assert "Signed in as" in page.inner_text("main")
        _tab_to(page, "button[type=submit]")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == base + "/login"
        assert "Signed in as" not in page.inner_text("main")

        # /snapshot: the title field is reached with Tab, typed in, and Enter applies it to the image
        page.goto(base + "/snapshot?iso3=COD&layers=projects,envr,conflict-events&lang=fr")
        _tab_to(page, "#snapshot-title")
        hint = page.evaluate(DESCRIBED_ERROR, "snapshot-title")["described"]
        assert [h["text"] for h in hint] == ["160 caractères au plus ; vide pour le titre par défaut."]
        page.keyboard.type("Kivu, briefing")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        page.wait_for_load_state("networkidle")
        assert page.inner_text("h1") == "Kivu, briefing"
        query = parse_qs(urlparse(page.url).query)
        # the rest of the snapshot is kept: same country, layers and language
        assert (query["title"], query["iso3"], query["lang"]) == (["Kivu, briefing"], ["COD"], ["fr"])
        assert sorted(query["layers"][0].split(",")) == ["conflict-events", "envr", "projects"]
        assert page.evaluate("() => document.querySelector('main img').naturalWidth") > 0
        page.screenshot(path=str(output_dir() / "a11y-snapshot-titled.png"), full_page=True)
        # the refused sign-in answers 401: the browser logs that, and nothing else went wrong
        assert [e for e in log.console_errors if "status of 401" not in e] == []
