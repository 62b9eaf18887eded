"""The map page says "no data" for a period outside the loaded events, in headless Chromium."""

from __future__ import annotations

import pytest

from tests.browser import browser_page
from tests.live import serve
from tests.mapfixtures import populate

pytestmark = pytest.mark.browser


def _settle(page) -> None:
    page.wait_for_load_state("networkidle")
    page.wait_for_function("() => !document.querySelector('.cm-loading')")
    page.wait_for_timeout(300)


def test_the_legend_and_tooltip_say_no_data_for_a_year_without_events(app):
    populate(app.extensions["coopmap.store"])  # the map fixtures' events: 2023 and 2024 only
    with serve(app) as base, browser_page() as (page, log):
        page.goto(base + "/?datetime=2030&lang=fr")
        _settle(page)
        note = page.locator(".cm-legend-note")
        assert note.count() == 1
        assert note.inner_text().startswith("Pas de données pour cette période")
        assert log.console_errors == [] and log.offhost == []
