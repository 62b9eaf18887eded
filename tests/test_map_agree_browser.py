"""The map and its snapshot agree, in headless Chromium: the same legend classes for the same
query, the period slider showing the URL's period, the province ranking without a repeated column."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from urllib.parse import urlparse

import pytest

from tests.browser import browser_page
from tests.builders import make_events
from tests.live import serve
from tests.mapfixtures import populate

pytestmark = pytest.mark.browser

SVG = "{http://www.w3.org/2000/svg}"


def _settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.cm-loading')")
    page.wait_for_timeout(300)


@pytest.fixture
def live(app):
    populate(app.extensions["coopmap.store"])  # demo events from 2023-01 to 2024-12
    with serve(app) as base:
        yield base


def _snapshot_legend(page, base: str, href: str, title: str) -> list[str]:
    """The class labels under ``title`` in the SVG snapshot the map's link (``href``) points to."""
    url = urlparse(href)
    assert url.path == "/snapshot.png"
    svg = page.request.get(f"{base}/snapshot.svg?{url.query}")
    assert svg.status == 200
    texts = ["".join(t.itertext()) for t in ET.fromstring(svg.body()).iter(f"{SVG}text")]
    rows = texts[texts.index(title) + 1 :]
    return [r for r in rows[: next(i for i, r in enumerate(rows) if not re.match(r"^[\d,]+( – [\d,]+)?$", r))]]


@pytest.mark.parametrize(("metric", "title"), [("events", "Conflict events"), ("fatalities", "Fatalities")])
def test_the_map_legend_and_the_snapshot_legend_show_the_same_classes(live, metric, title):
    with browser_page() as (page, log):
        page.goto(live + f"/?datetime=2024-01/2024-12&metric={metric}")
        _settle(page)
        on_map = page.locator(".cm-legend-row").all_inner_texts()
        href = page.locator("#cm-snapshot").get_attribute("href")
        assert "datetime=2024-01%2F2024-12" in href and f"metric={metric}" in href
        on_snapshot = _snapshot_legend(page, live, href, title)
        assert on_map == on_snapshot and len(on_map) >= 3
        # contiguous ranges of whole numbers: each class starts one above the previous top
        tops = [0]
        for label in on_map[1:]:
            low, _, high = label.replace(",", "").partition(" – ")
            assert int(low) == tops[-1] + 1, on_map
            tops.append(int(high or low))
        assert log.console_errors == [] and log.offhost == []


# The slider covers the months with events, 2023-01 to 2024-12.
SLIDER_CASES = [
    ("2024", "2024-01 → 2024-12", None),
    ("2024-03", "2024-03 → 2024-03", None),
    ("2023-02/2024-05", "2023-02 → 2024-05", None),
    ("../2024", "2023-01 → 2024-12", None),
    ("2023/..", "2023-01 → 2024-12", None),
    ("2024-03-05", "2024-03 → 2024-03", "2024-03-05 – 2024-03-05 (to the day"),
    ("2022-06/2023-06", "2023-01 → 2023-06", "2022-06-01 – 2023-06-30, beyond the months with events"),
]


def test_the_period_slider_shows_the_urls_period(live):
    with browser_page() as (page, log):
        for datetime, shown, words in SLIDER_CASES:
            page.goto(live + f"/map/MLI?datetime={datetime}")
            page.wait_for_selector(".cm-period-label")
            assert page.locator(".cm-period-label").inner_text() == shown, datetime
            note = page.locator(".cm-period-note")
            if words is None:
                assert note.is_hidden(), datetime
            else:
                assert note.is_visible() and words in note.inner_text(), datetime
        # moving the slider makes the period whole months again: the words go
        page.locator(".cm-range >> nth=0").evaluate("r => { r.value = '0'; r.dispatchEvent(new Event('change')); }")
        assert page.locator(".cm-period-note").is_hidden()
        assert "datetime=2023-01%2F2023-06" in page.url
        assert log.console_errors == []


@pytest.mark.parametrize(
    ("metric", "header"),
    [
        ("events", ["#", "Province", "Events", "Fatalities"]),
        ("fatalities", ["#", "Province", "Fatalities", "Events"]),
        ("change_pct", ["#", "Province", "Change vs previous period", "Events", "Fatalities"]),
    ],
)
def test_the_province_ranking_shows_each_column_once(app, metric, header):
    rows = [
        {"lon": 29.2, "lat": -1.2, "admin1": "Nord-Kivu", "fatalities": 2},
        {"lon": 29.3, "lat": -1.1, "admin1": "Nord-Kivu", "fatalities": 3},
        {"lon": 30.0, "lat": 1.6, "admin1": "Ituri", "fatalities": 7},
    ]
    for r in rows:
        r.update(event_date="2024-03-01", country_iso3="COD")
    populate(app.extensions["coopmap.store"], events=make_events(rows))
    with serve(app) as base, browser_page() as (page, log):
        page.goto(base + f"/map/COD?datetime=2024-01/2024-12&metric={metric}")
        _settle(page)
        table = page.locator("#cm-provinces table")
        assert table.locator("th").all_inner_texts() == header
        if metric == "events":
            # Nord-Kivu: 2 events, 2 + 3 = 5 deaths; Ituri: 1 event, 7 deaths
            cells = [r.locator("td").all_inner_texts() for r in table.locator("tr").all()[1:]]
            assert [c[1:] for c in cells] == [["Nord-Kivu", "2", "5"], ["Ituri", "1", "7"]]
        assert log.console_errors == []
