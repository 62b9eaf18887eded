"""Briefing packs: the PDF and the PowerPoint read back, their figures equal to the API's."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

import pytest
from pptx import Presentation
from pypdf import PdfReader

from cli.main import main
from geo.config import Settings
from layers.brief import parse_brief
from layers.briefpack import render_brief
from tests.browser import output_dir
from tests.builders import make_events

YEAR = "datetime=2024"


def _events():
    """Twelve COD events in 2024 (fatalities 0..11: 66 in all; eight in Nord-Kivu, four in Ituri)
    and eight in June 2023 (one fatality each), all synthetic demo data.

    By hand: 2024 has 12 events and 0+1+...+11 = 66 fatalities; 2023 has 8 events, so the
    change is (12 - 8) / 8 = +50.0 %. Nord-Kivu: 8 events, 0+...+7 = 28 fatalities;
    Ituri: 4 events, 8+9+10+11 = 38 fatalities.
    """
    rows = [
        {
            "lon": 29.2 + 0.05 * i,
            "lat": -1.6 + 0.3 * (i % 4),
            "event_date": f"2024-0{1 + i % 9}-15",
            "country_iso3": "COD",
            "admin1": "Nord-Kivu" if i < 8 else "Ituri",
            "fatalities": i,
            "precision": 1,
        }
        for i in range(12)
    ]
    rows += [
        {"lon": 29.3, "lat": -1.5, "event_date": "2023-06-15", "country_iso3": "COD", "admin1": "Nord-Kivu",
         "fatalities": 1, "precision": 1}
        for _ in range(8)
    ]
    return make_events(rows, dataset="synthetic-demo")


@pytest.fixture
def store(app):
    store = app.extensions["coopmap.store"]
    store.write("conflict-events", _events(), ["test"])
    return store


def _pdf_text(content: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(content)).pages]


def _figure(page: str, label: str) -> str:
    """The value written after ``label`` on its line of the key figures table."""
    match = re.search(rf"^{re.escape(label)} (.+)$", page, re.M)
    assert match, f"{label!r} not on the page:\n{page}"
    return match.group(1).strip()


def _number(words: str) -> float:
    """The number at the start of ``words`` (English separators, or French with a decimal comma)."""
    match = re.match(r"[+-]?[0-9][0-9\u202f,.]*", words)
    assert match, words
    return float(match.group(0).replace("\u202f", "").replace(",", ""))


def _api(client, headers=None, query=YEAR):
    response = client.get(f"/ogc/collections/country-summary/items?iso3=COD&{query}", headers=headers)
    assert response.status_code == 200
    (feature,) = response.get_json()["features"]
    return feature["properties"]


def test_pdf_key_figures_equal_the_api_and_every_section_is_there(client, store):
    response = client.get(f"/brief/COD.pdf?{YEAR}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = _pdf_text(response.data)
    assert len(pages) == 7
    api = _api(client)
    first = pages[0]
    assert (api["events"], api["fatalities"], api["change_pct"]) == (12, 66, 50.0)  # by hand, see _events
    assert _number(_figure(first, "Events")) == api["events"]
    assert _number(_figure(first, "Fatalities")) == api["fatalities"]
    assert _number(_figure(first, "Change vs previous period")) == api["change_pct"]
    assert _number(_figure(first, "Events per 100,000 inhabitants")) == pytest.approx(api["events_per_100k"])
    assert _number(_figure(first, "Active projects")) == api["projects_active"]
    assert "Period: 2024-01-01/2024-12-31" in first
    assert "Event data cover only 2024-01-01/2024-09-15 of this period" in first  # last event 15 September
    assert "Synthetic demo data" in first
    # Provinces by admin1 name, Nord-Kivu (8 events, 28 fatalities) above Ituri (4, 38).
    assert re.search(r"Nord-Kivu 8 28\s+Ituri 4 38", pages[3]) and "admin1" in pages[3]
    assert "UPS" in pages[4] and "United for Peace and Security" in pages[4]
    assert "/ogc/collections/country-summary/items?iso3=COD&datetime=2024-01-01/2024-12-31" in pages[6]
    _save_page_png(response.data, "brief-COD-page1")


def _save_page_png(pdf: bytes, name: str) -> None:
    """Page 1 as PNG in the test output folder (when poppler's pdftoppm is installed)."""
    if shutil.which("pdftoppm") is None:
        return
    folder = output_dir()
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-f", "1", "-l", "7", str(path), str(folder / name)],
                   check=True)


def test_public_brief_has_no_budget_an_analyst_brief_has_it(client, app, store):
    public = _pdf_text(client.get(f"/brief/COD.pdf?{YEAR}").data)
    token = app.extensions["coopmap.tokens"].create("brief-analyst", "analyst")
    headers = {"Authorization": f"Bearer {token}"}
    analyst_response = client.get(f"/brief/COD.pdf?{YEAR}", headers=headers)
    analyst = _pdf_text(analyst_response.data)
    assert not any("Budget" in page or "30,000,000" in page for page in public)
    api = _api(client, headers)
    assert api["projects_budget_eur"] == 30_000_000
    assert _number(_figure(analyst[0], "Budget of the active projects (EUR)")) == api["projects_budget_eur"]
    assert "Budget" in analyst[4] and "30,000,000" in analyst[4]
    # Not the public's file: never stored by a shared cache.
    assert "no-store" in analyst_response.headers["Cache-Control"]
    assert "private" in analyst_response.headers["Cache-Control"]


def test_pptx_tables_hold_the_api_figures_in_french(client, store):
    response = client.get(f"/brief/COD.pptx?{YEAR}&lang=fr")
    assert response.status_code == 200
    deck = Presentation(io.BytesIO(response.data))
    slides = list(deck.slides)
    assert len(slides) >= 9
    texts = [" ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame) for slide in slides]
    assert "Note pays" in texts[0] and "Données de démonstration synthétiques" in texts[0]
    (table,) = [s.table for s in slides[1].shapes if s.has_table]
    cells = {table.cell(i, 0).text: table.cell(i, 1).text for i in range(1, len(table.rows))}
    api = _api(client)
    assert table.cell(0, 0).text == "Indicateur" and "Chiffres clés" in texts[1]
    assert _number(cells["Événements"]) == api["events"]
    assert _number(cells["Victimes"]) == api["fatalities"]
    assert cells["Évolution vs période précédente"] == "+50,0 %"  # French decimal comma
    assert _number(cells["Évolution vs période précédente"].replace(",", ".")) == api["change_pct"]
    pictures = [s for slide in slides for s in slide.shapes if s.shape_type == 13]
    assert len(pictures) == 2  # the map and the chart


def test_a_period_outside_the_data_says_no_data_not_zero(client, store):
    pages = _pdf_text(client.get("/brief/COD.pdf?datetime=2030").data)
    assert _api(client, query="datetime=2030")["events"] is None
    assert _figure(pages[0], "Events").startswith("no data")
    assert _figure(pages[0], "Fatalities").startswith("no data")
    assert "No data for this period" in pages[0]


def test_bad_parameters_are_400_json_and_an_unknown_country_404(client, store):
    bad = client.get("/brief/COD.pdf?datetime=abc")
    assert bad.status_code == 400 and "datetime" in bad.get_json()["description"]
    assert client.get("/brief/COD.pptx?colour=red").status_code == 400
    assert client.get("/brief/COD.pdf?lang=de").status_code == 400
    missing = client.get("/brief/XXX.pdf")
    assert missing.status_code == 404 and "XXX" in missing.get_json()["description"]


def test_cached_and_revalidated_by_etag(client, store):
    first = client.get(f"/brief/COD.pptx?{YEAR}")
    assert first.headers["X-Brief-Cache"] == "miss"
    again = client.get(f"/brief/COD.pptx?{YEAR}")
    assert again.headers["X-Brief-Cache"] == "hit" and again.data == first.data
    etag = first.headers["ETag"]
    assert client.get(f"/brief/COD.pptx?{YEAR}", headers={"If-None-Match": etag}).status_code == 304


def test_same_data_and_parameters_give_the_same_bytes(home, store):
    settings = Settings(home=home)
    wanted = parse_brief("COD", {"datetime": "2024", "lang": "fr"})
    for fmt in ("pdf", "pptx"):
        assert render_brief(store, settings, wanted, fmt) == render_brief(store, settings, wanted, fmt)


def test_cli_writes_the_brief(runner, store, tmp_path):
    target = tmp_path / "brief.pdf"
    result = runner.invoke(main, ["brief", "cod", "-o", str(target), "--datetime", "2024", "--role", "public"])
    assert result.exit_code == 0, result.output
    assert target.read_bytes().startswith(b"%PDF") and "pdf, rendered" in result.output
    bad = runner.invoke(main, ["brief", "COD", "-o", str(tmp_path / "brief.docx")])
    assert bad.exit_code == 2 and "format" in bad.output


def test_country_map_links_to_the_brief_page_which_links_both_files(client, store):
    page = client.get("/map/COD?lang=fr").get_data(as_text=True)
    assert '"brief_url": "/brief/COD"' in page or '"brief_url":"/brief/COD"' in page
    brief_page = client.get("/brief/COD?datetime=2024&lang=fr")
    assert brief_page.status_code == 200
    html = brief_page.get_data(as_text=True)
    assert "Note pays" in html
    assert "/brief/COD.pdf?datetime=2024-01-01/2024-12-31&amp;lang=fr" in html
    assert "/brief/COD.pptx?" in html and "/brief/COD.png?" in html
