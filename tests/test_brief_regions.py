"""Regional briefs (a view's countries), the /brief page's preview, and the brief's API addresses
reproducing its figures for a period that is not the default one."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from dataclasses import replace
from urllib.parse import parse_qsl, urlsplit

import pytest
from PIL import Image
from pptx import Presentation

from cli.main import main
from geo.config import Settings
from geo.render.briefpdf import brief_pdf
from geo.render.briefpptx import brief_pptx
from layers.brief import build_brief, parse_brief
from tests.browser import output_dir
from tests.builders import make_events
from tests.test_brief import _figure, _number, _pdf_text

GREAT_LAKES = "BDI,COD,RWA,TZA,UGA"


def _events():
    """COD: twelve events in 2024 (fatalities 0..11: 66) and eight in June 2023 (one each).
    RWA: three events in 2024 (two fatalities each: 6) and two in 2023 (none).
    BDI, TZA, UGA: none.

    By hand, for the Great Lakes in 2024: events 12 + 3 = 15, fatalities 66 + 6 = 72; previous
    year 8 + 2 = 10 events, so the change is (15 - 10) / 10 = +50.0 %. For 2023 (the previous
    year, not the default period): COD 8 events, 8 fatalities, all near Goma (29.3, -1.5).
    """
    rows = [
        {"lon": 29.2 + 0.05 * i, "lat": -1.6 + 0.3 * (i % 4), "event_date": f"2024-0{1 + i % 9}-15",
         "country_iso3": "COD", "admin1": "Nord-Kivu" if i < 8 else "Ituri", "fatalities": i, "precision": 1}
        for i in range(12)
    ]
    rows += [{"lon": 29.3, "lat": -1.5, "event_date": "2023-06-15", "country_iso3": "COD",
              "admin1": "Nord-Kivu", "fatalities": 1, "precision": 1} for _ in range(8)]
    rows += [{"lon": 30.06, "lat": -1.95, "event_date": f"2024-0{3 + i}-10", "country_iso3": "RWA",
              "admin1": "Kigali", "fatalities": 2, "precision": 1} for i in range(3)]
    rows += [{"lon": 30.06, "lat": -1.95, "event_date": "2023-04-10", "country_iso3": "RWA",
              "admin1": "Kigali", "fatalities": 0, "precision": 1} for _ in range(2)]
    return make_events(rows, dataset="synthetic-demo")


@pytest.fixture
def store(app):
    store = app.extensions["coopmap.store"]
    store.write("conflict-events", _events(), ["test"])
    return store


def _summary_items(client, query: str) -> list[dict]:
    response = client.get(f"/ogc/collections/country-summary/items?iso3={GREAT_LAKES}&{query}")
    assert response.status_code == 200
    return [f["properties"] for f in response.get_json()["features"]]


def _populations(client) -> dict[str, int]:
    response = client.get(f"/ogc/collections/countries/items?iso3={GREAT_LAKES}")
    return {f["properties"]["iso3"]: f["properties"]["pop_est"] for f in response.get_json()["features"]}


def test_region_brief_figures_are_the_sums_of_its_countries_items(client, store):
    response = client.get("/brief.pdf?view=great-lakes&datetime=2024")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    pages = _pdf_text(response.data)
    items = _summary_items(client, "datetime=2024")
    assert sorted(i["iso3"] for i in items) == GREAT_LAKES.split(",")
    events = sum(i["events"] for i in items)
    fatalities = sum(i["fatalities"] for i in items)
    previous = sum(i["events_previous"] for i in items)
    assert (events, fatalities, previous) == (15, 72, 10)  # by hand, see _events
    people = sum(_populations(client).values())
    first = pages[0]
    assert "Regional brief: Great Lakes region" in first
    assert "Countries: BDI, COD, RWA, TZA, UGA" in first
    assert _number(_figure(first, "Events")) == events
    assert _number(_figure(first, "Fatalities")) == fatalities
    assert _number(_figure(first, "Change vs previous period")) == 50.0  # (15 - 10) / 10
    assert _number(_figure(first, "Events per 100,000 inhabitants")) == pytest.approx(
        events / people * 100_000, abs=0.0005)
    projects = {a.strip() for i in items for a in i["project_acronyms"].split(",") if a.strip()}
    assert _number(_figure(first, "Active projects")) == len(projects)
    assert _number(_figure(first, "ENVR schools")) == sum(i["envr_count"] for i in items)
    # provinces of both countries, named with their country
    assert re.search(r"Nord-Kivu \(COD\) 8 28\s+Ituri \(COD\) 4 38\s+Kigali \(RWA\) 3 6", pages[3])
    # the brief's own address for the key figures lists the countries
    assert f"/ogc/collections/country-summary/items?iso3={GREAT_LAKES}&datetime=2024-01-01/2024-12-31" in pages[6]


def test_region_brief_from_the_cli_as_french_pptx(runner, store, tmp_path):
    target = tmp_path / "sahel.pptx"
    result = runner.invoke(main, ["brief", "--view", "great-lakes", "-o", str(target), "--datetime", "2024",
                                  "--lang", "fr", "--role", "public"])
    assert result.exit_code == 0, result.output
    slides = list(Presentation(io.BytesIO(target.read_bytes())).slides)
    title = " ".join(s.text_frame.text for s in slides[0].shapes if s.has_text_frame)
    assert "Note régionale : Région des Grands Lacs" in title
    (table,) = [s.table for s in slides[1].shapes if s.has_table]
    cells = {table.cell(i, 0).text: table.cell(i, 1).text for i in range(1, len(table.rows))}
    assert _number(cells["Événements"]) == 15 and _number(cells["Victimes"]) == 72
    assert not any("Budget" in key for key in cells)
    both = runner.invoke(main, ["brief", "COD", "--view", "sahel", "-o", str(tmp_path / "x.pdf")])
    assert both.exit_code == 2
    unknown = runner.invoke(main, ["brief", "--view", "atlantis", "-o", str(tmp_path / "x.pdf")])
    assert unknown.exit_code == 2 and "atlantis" in unknown.output


def test_bad_region_parameters_are_400_json(client, store):
    bad = client.get("/brief.pdf?view=atlantis")
    assert bad.status_code == 400 and "atlantis" in bad.get_json()["description"]
    assert client.get("/brief.pdf").status_code == 400
    assert client.get("/brief.pptx?view=sahel&iso3=COD").status_code == 400
    assert client.get("/brief.pdf?view=sahel&bbox=1,2,3,4").status_code == 400


def test_brief_page_previews_page_one_from_the_cache(client, store):
    html = client.get("/brief/COD?datetime=2024&lang=fr").get_data(as_text=True)
    match = re.search(r'<img src="([^"]+)" alt="([^"]+)"', html)
    assert match and match.group(1).startswith("/brief/COD.png?")
    assert "Page 1 de la note : Note pays" in match.group(2)
    src = match.group(1).replace("&amp;", "&")
    first = client.get(src)
    assert first.status_code == 200 and first.mimetype == "image/png"
    assert first.headers["X-Brief-Cache"] == "miss"
    assert Image.open(io.BytesIO(first.data)).size == (1052, 744)  # 11.69 × 8.27 in at 90 dpi
    again = client.get(src)
    assert again.headers["X-Brief-Cache"] == "hit" and again.data == first.data
    region = client.get("/brief?view=sahel&lang=fr").get_data(as_text=True)
    assert "/brief.pdf?view=sahel" in region and "/brief.pptx?view=sahel" in region
    assert "/brief.png?view=sahel" in region
    index = client.get("/brief")
    assert index.status_code == 200 and "/brief?view=great-lakes" in index.get_data(as_text=True)


def _urls(page: str) -> list[str]:
    """The API addresses printed on the PDF's last page (one per line, in monospace)."""
    return [line.strip() for line in page.splitlines() if line.strip().startswith(("/ogc/", "/map-data/",
                                                                                   "/snapshot"))]


def _query(url: str) -> tuple[str, dict[str, str]]:
    parts = urlsplit(url)
    return parts.path, dict(parse_qsl(parts.query))


def test_every_address_in_a_2023_brief_reproduces_its_figures(client, app, store):
    """2023 is not the default period (the last 12 months of data end on 15 September 2024).
    An analyst sees the exact sites, so their exposure."""
    token = app.extensions["coopmap.tokens"].create("brief-analyst", "analyst")
    headers = {"Authorization": f"Bearer {token}"}
    pdf = client.get("/brief/COD.pdf?datetime=2023", headers=headers).data
    pages = _pdf_text(pdf)
    urls = _urls(pages[6])
    assert urls, pages[6]
    for url in urls:
        assert client.get(url, headers=headers).status_code == 200, url
    summary = next(u for u in urls if "country-summary" in u)
    (item,) = [f["properties"] for f in client.get(summary, headers=headers).get_json()["features"]]
    assert (item["events"], item["fatalities"]) == (8, 8)  # by hand: eight 2023 events, one fatality each
    assert _number(_figure(pages[0], "Events")) == item["events"]
    assert _number(_figure(pages[0], "Fatalities")) == item["fatalities"]
    deck = Presentation(io.BytesIO(client.get("/brief/COD.pptx?datetime=2023", headers=headers).data))
    exposure = _exposure_rows(deck)
    assert exposure, "no exposure row to check"
    found: dict[str, tuple] = {}
    for url in (u for u in urls if _query(u)[1].get("exposure_datetime")):
        path, params = _query(url)
        assert params["exposure_datetime"] == "2023-01-01/2023-12-31"
        for feature in client.get(url + "&limit=1000", headers=headers).get_json()["features"]:
            p = feature["properties"]
            site = p.get("site")
            name = f"{p['acronym']} — {site}" if site else p["acronym"]
            found[name] = (p["exposure_events"], p["exposure_fatalities"])
    for name, events, fatalities in exposure:
        assert found[name] == (events, fatalities), name
    # a site near Goma counts the eight 2023 events there, not the default period's
    assert any(events == 8 for _, events, _ in exposure)


def test_exposure_period_of_the_sites_items_is_checked_and_applies_to_one_item(client, app, store):
    bad = client.get("/ogc/collections/projects/items?exposure_datetime=abc")
    assert bad.status_code == 400 and "exposure_datetime" in bad.get_json()["description"]
    token = app.extensions["coopmap.tokens"].create("brief-analyst", "analyst")
    headers = {"Authorization": f"Bearer {token}"}
    query = "country_iso3=COD&exposure_datetime=2023"
    features = client.get(f"/ogc/collections/projects/items?{query}", headers=headers).get_json()["features"]
    near = [f for f in features if f["properties"]["exposure_events"] == 8]  # the eight 2023 events near Goma
    assert near, [f["properties"]["exposure_events"] for f in features]
    one = client.get(f"/ogc/collections/projects/items/{near[0]['id']}?exposure_datetime=2023", headers=headers)
    assert one.status_code == 200 and one.get_json()["properties"]["exposure_events"] == 8
    assert one.get_json()["properties"]["exposure_period"].startswith("2023-01-01")


def _exposure_rows(deck) -> list[tuple[str, int | None, int | None]]:
    rows = []
    for slide in deck.slides:
        texts = " ".join(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        if "Exposure" not in texts:
            continue
        for shape in (s for s in slide.shapes if s.has_table):
            table = shape.table
            for i in range(1, len(table.rows)):
                cells = [table.cell(i, j).text for j in range(len(table.columns))]
                rows.append((cells[1], _maybe(cells[2]), _maybe(cells[3])))
    return rows


def _maybe(words: str) -> int | None:
    return None if words == "n/a" else int(words.replace(",", ""))


def test_pages_and_slides_saved_for_review(client, app, store, tmp_path):
    """Every PDF page and PPTX slide of a French regional brief (as an analyst: budgets, exposure)
    as PNG in the test output folder: brief-great-lakes-fr-page-N.png, brief-great-lakes-fr-slide-N.png
    (slides when LibreOffice is installed). French accents survive in the PDF's text."""
    token = app.extensions["coopmap.tokens"].create("brief-analyst", "analyst")
    headers = {"Authorization": f"Bearer {token}"}
    query = "view=great-lakes&datetime=2024&lang=fr"
    pdf = client.get(f"/brief.pdf?{query}", headers=headers).data
    pages = _pdf_text(pdf)
    assert "Note régionale : Région des Grands Lacs" in pages[0] and "Événements" in pages[0]
    folder = output_dir()
    saved = _pdf_pngs(pdf, folder, "brief-great-lakes-fr-page")
    assert len(saved) in (0, len(pages))  # 0: poppler missing
    deck = client.get(f"/brief.pptx?{query}", headers=headers).data
    soffice = shutil.which("soffice")
    if soffice is None or not saved:
        return
    (tmp_path / "deck.pptx").write_bytes(deck)
    convert = [soffice, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path), str(tmp_path / "deck.pptx")]
    subprocess.run(convert, check=True, capture_output=True, timeout=300)
    slides = _pdf_pngs((tmp_path / "deck.pdf").read_bytes(), folder, "brief-great-lakes-fr-slide")
    assert len(slides) == len(Presentation(io.BytesIO(deck)).slides)


def _pdf_pngs(pdf: bytes, folder, name: str) -> list:
    if shutil.which("pdftoppm") is None:
        return []
    for old in folder.glob(f"{name}-*.png"):
        old.unlink()
    path = folder / f"{name}.pdf"
    path.write_bytes(pdf)
    subprocess.run(["pdftoppm", "-r", "80", "-png", str(path), str(folder / name)], check=True)
    path.unlink()
    return sorted(folder.glob(f"{name}-*.png"))


def test_a_long_table_goes_on_to_the_next_page_with_its_header(home, store):
    """30 provinces whose 156-character names wrap on three lines of their 4 in column (67 characters
    a line): 30 × (3 × 0.16 + 0.06) = 16.2 in of rows, where a page has 7.57 - 1.22 = 6.35 in below
    its heading and header (11 rows of 0.54 in), so the table takes three pages (11 + 11 + 8 rows);
    every row is printed once, the header on each page."""
    brief = build_brief(store, Settings(home=home), parse_brief("COD", {"datetime": "2024"}))
    long_name = "Province" + " with a very long name" * 6 + " in the table"
    rows = tuple((f"{long_name} {i:02d}", 30 - i, i) for i in range(30))
    pdf = brief_pdf(replace(brief, provinces=replace(brief.provinces, rows=rows)))
    pages = _pdf_text(pdf)
    _pdf_pngs(pdf, output_dir(), "brief-long-table")
    assert len(pages) == 9  # 7 + 2 pages of provinces
    continued = [p for p in pages if "Provinces ranked by events (continued)" in p]
    assert len(continued) == 2
    assert all(p.count("Fatalities") >= 1 for p in continued)  # the header again
    assert sum(len(re.findall(r"table \d\d$", p, re.M)) for p in pages) == 30


def test_a_long_table_takes_more_slides_when_its_rows_wrap(home, store):
    """The same 30 three-line provinces in the deck: their 156 characters wrap on three lines of the
    6 in column (75 characters of 0.08 in), a row of 3 × 0.17 + 0.1 = 0.61 in, seven rows in the
    4.8 in a slide has: 7 + 7 + 7 + 7 + 2 rows on five slides (fourteen one-line rows a slide
    otherwise)."""
    brief = build_brief(store, Settings(home=home), parse_brief("COD", {"datetime": "2024"}))
    long_name = "Province" + " with a very long name" * 6 + " in the table"
    rows = tuple((f"{long_name} {i:02d}", 30 - i, i) for i in range(30))
    deck = Presentation(io.BytesIO(brief_pptx(replace(brief, provinces=replace(brief.provinces, rows=rows)))))
    counts = []
    for slide in deck.slides:
        heading = next(s.text_frame.text for s in slide.shapes if s.has_text_frame)
        if heading.startswith("Provinces ranked by events"):
            (table,) = [s.table for s in slide.shapes if s.has_table]
            counts.append(len(table.rows) - 1)
    assert counts == [7, 7, 7, 7, 2]
