"""XSS proof: registries and events whose every text field is a payload, on every HTML page,
in headless Chromium, as the public and as an analyst. Nothing runs; the text shows literally.

Both roles are checked with the browser told to ignore the Content-Security-Policy, so the proof
rests on escaping alone; the analyst run is repeated with the CSP enforced (what users get), where
it must also leave the console clean (no CSP violation: nothing from data tried to run).
"""

from __future__ import annotations

import json
import urllib.request
from urllib.parse import quote, urlparse

import pytest

from tests.browser import browser_page, output_dir
from tests.live import serve
from tests.mapfixtures import analyst_token
from tests.xssfixtures import BREAKOUT_ID, HOOK, PAYLOADS, populate_payloads

pytestmark = [pytest.mark.browser, pytest.mark.slow]

MAP_PAGES = [
    "/",
    "/map/COD",
    "/?layers=country-summary,projects,envr,project-countries,conflict-events",
]
PROJECT_ITEM = "/ogc/collections/projects/items/{id}?f=html"
"""A project site's page: its id is the role's (the public gets opaque place ids), read from the API."""
OGC_PAGES = ["/ogc?f=html", "/ogc/collections?f=html", "/ogc/api?f=html"] + [
    path
    for layer in ("envr", "projects", "conflict-events", "project-countries")
    for path in (f"/ogc/collections/{layer}?f=html", f"/ogc/collections/{layer}/items?f=html")
] + [
    "/ogc/collections/envr/items/" + quote(PAYLOADS[1], safe="") + "?f=html",
    "/ogc/collections/conflict-events/items/" + quote(PAYLOADS[1], safe="") + "?f=html",
    PROJECT_ITEM,
]
OTHER_PAGES = [
    "/snapshot?iso3=COD&layers=projects,envr,conflict-events",
    "/snapshot?iso3=COD&layers=project-countries,conflict-events&title=" + quote(PAYLOADS[0]),
    "/snapshot.svg?iso3=COD&layers=projects,envr,conflict-events",
    "/login",
    "/login?next=" + quote("/" + PAYLOADS[3]),
    "/?event_type=" + quote(PAYLOADS[0]),
]

OPEN_POPUPS = """
() => {
  const maps = Object.keys(window).filter(k => k.startsWith("map_") && window[k] instanceof L.Map)
    .map(k => window[k]);
  const probe = document.createElement("div");
  probe.id = "xss-probe";
  document.body.appendChild(probe);
  const texts = [];
  // Leaflet puts a string with innerHTML and a node with appendChild: do the same here.
  const show = (content, layer) => {
    if (typeof content === "function") content = content(layer);
    const box = document.createElement("div");
    if (typeof content === "string") box.innerHTML = content;
    else if (content) box.appendChild(content);
    probe.appendChild(box);
    texts.push(box.textContent);
  };
  const visit = (layer, map) => {
    if (layer.getLayers) layer.getLayers().forEach(l => visit(l, map));
    if (layer.getPopup && layer.getPopup()) {
      if (map.hasLayer(layer) && layer.getLatLng) {
        layer.openPopup();
        document.querySelectorAll(".leaflet-popup-content").forEach(n => texts.push(n.textContent));
        layer.closePopup();
      }
      show(layer.getPopup().getContent(), layer);
    }
    if (layer.getTooltip && layer.getTooltip()) show(layer.getTooltip().getContent(), layer);
  };
  maps.forEach(map => {
    map.eachLayer(l => visit(l, map));
    Object.values(map._coopmap ? map._coopmap.overlays : {}).forEach(l => visit(l, map));
  });
  return texts.join("\\n");
}
"""

DANGEROUS_URLS = """
() => Array.from(document.querySelectorAll("*")).flatMap(node =>
  Array.from(node.attributes)
    .filter(a => ["href", "src", "action", "formaction", "xlink:href", "data"].includes(a.name))
    .filter(a => /^\\s*(javascript|vbscript|data:text\\/html)/i.test(a.value))
    .map(a => node.tagName + " " + a.name + "=" + a.value))
"""

INJECTED = """
() => ({
  scripts: Array.from(document.scripts)
    .filter(s => /^\\s*alert\\(\\d\\)\\s*$/.test(s.textContent)).length,
  handlers: Array.from(document.querySelectorAll("*")).filter(n =>
    Array.from(n.attributes).some(a => a.name.startsWith("on") && /alert/.test(a.value))).length,
  svg: document.querySelectorAll("svg[onload]").length,
  img: document.querySelectorAll("img[src='x']").length,
})
"""


@pytest.fixture(scope="module")
def live(new_workspace, app_on):
    home = new_workspace("xss-home")
    app = app_on(home)
    populate_payloads(app.extensions["coopmap.store"])
    with serve(app) as base:
        yield base, {"Authorization": f"Bearer {analyst_token(home)}"}


def _settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.cm-loading')")
    page.wait_for_timeout(200)


def _third_site_id(base: str, headers: dict[str, str] | None) -> str:
    request = urllib.request.Request(base + "/ogc/collections/projects/items?f=json", headers=headers or {})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["features"][2]["id"]


def _visit(page, url: str, is_map: bool) -> tuple[str, int]:
    response = page.goto(url)
    if is_map:
        _settle(page)
        popups = page.evaluate(OPEN_POPUPS)
        page.wait_for_timeout(100)
    else:
        page.wait_for_load_state("networkidle")
        popups = ""
    body = page.evaluate("() => document.documentElement.textContent")
    return body + "\n" + popups, response.status


@pytest.mark.parametrize(
    ("role", "csp"), [("public", "bypassed"), ("analyst", "bypassed"), ("analyst", "enforced")]
)
def test_no_payload_runs_on_any_page_and_each_shows_as_text(live, role, csp):
    base, analyst = live
    headers = analyst if role == "analyst" else None
    seen: dict[str, str] = {}
    statuses: dict[str, int] = {}
    with browser_page(headers=headers, bypass_csp=csp == "bypassed") as (page, log):
        page.add_init_script(HOOK)
        bad_requests: list[str] = []
        page.on(
            "request",
            lambda r: bad_requests.append(r.url)
            if urlparse(r.url).path in ("/x", "/javascript:alert(3)")
            else None,
        )
        for path in MAP_PAGES + OGC_PAGES + OTHER_PAGES:
            url = base + (path.format(id=quote(_third_site_id(base, headers), safe="")) if path == PROJECT_ITEM
                          else path)
            text, statuses[path] = _visit(page, url, path in MAP_PAGES)
            seen[path] = text
            assert page.evaluate("() => window.__xss") == 0, f"a payload ran on {path}"
            assert page.evaluate(DANGEROUS_URLS) == [], path
            if not path.startswith("/snapshot.svg"):
                injected = page.evaluate(INJECTED)
                assert injected == {"scripts": 0, "handlers": 0, "svg": 0, "img": 0}, path
            # a focus or hover payload would need an event: give every element both
            page.evaluate(
                """() => document.querySelectorAll("body *").forEach(n => {
                  n.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
                  n.dispatchEvent(new FocusEvent("focus"));
                })"""
            )
            assert page.evaluate("() => window.__xss") == 0, f"a payload ran on {path} (events)"
        page.goto(base + "/map/COD")
        _settle(page)
        page.evaluate(OPEN_POPUPS)
        page.screenshot(path=str(output_dir() / f"xss-{role}-{csp}.png"))
        page.wait_for_timeout(300)
        assert log.dialogs == []
        assert log.offhost == []
        assert bad_requests == []
        assert log.console_errors == []
    assert all(s == 200 for path, s in statuses.items() if "event_type" not in path), statuses
    everything = "\n".join(seen.values())
    for payload in PAYLOADS:
        assert payload in everything, payload
    # the popups of the focus map show the registry texts literally
    for payload in PAYLOADS:
        assert payload in seen["/map/COD"], payload
    assert PAYLOADS[0] in seen["/ogc/collections/envr/items?f=html"]
    assert PAYLOADS[3] in seen["/ogc/collections/conflict-events/items?f=html"]
    # an id that would close the items page's map JSON shows as text in its row
    assert BREAKOUT_ID in seen["/ogc/collections/conflict-events/items?f=html"]
    assert PAYLOADS[0] in seen[OTHER_PAGES[1]]  # the snapshot title
