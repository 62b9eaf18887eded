"""The map's control panel lists the projects it cannot draw (headless Chromium, offline)."""

from __future__ import annotations

import pytest

from tests.browser import browser_page, output_dir
from tests.live import serve

pytestmark = pytest.mark.browser


def test_the_overview_lists_the_projects_not_mapped_in_french(app):
    # Default registry, 2024: ACASA and AFORMA (ongoing since 2011) and the four regional
    # projects without dates (ALCAO, APCA, JUSSEC, THB, marked "dates inconnues") = 6.
    with serve(app) as base, browser_page() as (page, log):
        page.goto(base + "/?datetime=2024&lang=fr")
        page.wait_for_load_state("networkidle")
        page.wait_for_selector("#cm-not-mapped li")
        panel = page.locator(".cm-panel #cm-not-mapped")
        assert "Projets non cartographiés (6)" in panel.locator(".cm-field-label").text_content()
        items = panel.locator("li").all_text_contents()
        page.screenshot(path=str(output_dir() / "not-mapped-panel.png"))
        assert len(items) == 6
        assert "ACASA \u2014 Africa: 22 states (not named in the source)" in items
        assert "THB \u2014 Gulf of Guinea (dates inconnues)" in items
