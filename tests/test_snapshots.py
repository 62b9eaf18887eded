"""Map snapshots: formats read back, determinism, the disk cache, the 400s, labels and the CLI."""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from cli.main import main
from geo.render.snapshot import render_snapshot
from geo.render.spec import parse_snapshot
from layers import CATALOGUE
from tests.builders import make_events, random_events
from webmap import snapshots as snapshot_views

SMALL = "width=400&height=300"
SVG = "{http://www.w3.org/2000/svg}"


def _events(synthetic: bool = True):
    """Twelve events around Goma and Bunia (two only known to the province), all in 2024."""
    rows = [
        {
            "lon": 29.2 + 0.05 * i,
            "lat": -1.6 + 0.3 * (i % 4),
            "event_date": f"2024-0{1 + i % 9}-15",
            "country_iso3": "COD",
            "fatalities": i,
            "precision": 3 if i < 2 else 1,
        }
        for i in range(12)
    ]
    return make_events(rows, dataset="synthetic-demo" if synthetic else "acled")


@pytest.fixture
def store(app):
    store = app.extensions["coopmap.store"]
    store.write("conflict-events", _events(), ["test"])
    return store


def _svg_text(content: bytes) -> str:
    root = ET.fromstring(content)
    return " ".join("".join(node.itertext()) for node in root.iter(f"{SVG}text"))


def test_png_has_the_requested_size_and_mode(client, store):
    response = client.get(f"/snapshot.png?iso3=COD&{SMALL}")
    assert response.status_code == 200
    assert response.mimetype == "image/png"
    image = Image.open(io.BytesIO(response.data))
    assert image.size == (400, 300)
    assert image.mode == "RGBA"
    # Not a blank canvas: the ocean, the land and the red event symbols are all there.
    colours = {rgba[:3] for _, rgba in image.getcolors(maxcolors=1 << 20)}
    assert (220, 232, 240) in colours
    assert any(r > 200 and g < 120 and b < 100 for r, g, b in colours)


def test_svg_parses_and_carries_title_legend_and_synthetic_label(client, store):
    response = client.get(f"/snapshot.svg?iso3=COD&{SMALL}&datetime=2024")
    assert response.status_code == 200
    assert response.mimetype == "image/svg+xml"
    words = _svg_text(response.data)
    assert "Democratic Republic of the Congo" in words
    assert "synthetic demo data" in words.lower()
    assert "2024-01-01 – 2024-12-31" in words
    assert "2 events located only to a province or country" in words
    assert "km" in words


def test_no_synthetic_label_for_real_data(client, app):
    app.extensions["coopmap.store"].write("conflict-events", _events(synthetic=False), ["test"])
    words = _svg_text(client.get(f"/snapshot.svg?iso3=COD&{SMALL}").data)
    assert "synthetic demo data" not in words.lower()
    assert "Conflict events" in words


def test_french_labels(client, store):
    words = _svg_text(client.get(f"/snapshot.svg?view=great-lakes&lang=fr&{SMALL}").data)
    assert "Événements de conflit" in words
    assert "Ouganda" in words and "Uganda" not in words
    assert "synthetic demo data" in words


def test_pdf_has_one_page(client, store):
    response = client.get(f"/snapshot.pdf?view=sahel&{SMALL}")
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    assert len(re.findall(rb"/Type\s*/Page(?![s\w])", response.data)) == 1


@pytest.mark.parametrize("fmt", ["png", "svg", "pdf"])
def test_renders_are_byte_identical(app, store, fmt):
    layers = CATALOGUE.map_layers()
    spec = parse_snapshot(
        {"view": "great-lakes", "width": "400", "height": "300", "metric": "fatalities"}, layers
    )
    settings = app.extensions["coopmap.settings"]
    assert render_snapshot(store, settings, spec, fmt, layers) == render_snapshot(
        store, settings, spec, fmt, layers
    )


def test_second_request_is_served_from_the_disk_cache(client, store, monkeypatch):
    calls = []
    in_pool = snapshot_views._render_in_pool

    def counting(*args):
        calls.append(args)
        return in_pool(*args)

    # the cache's renderer slot as the view fills it: misses render in the pool
    monkeypatch.setattr(snapshot_views, "_render_in_pool", counting)
    first = client.get(f"/snapshot.png?view=sahel&{SMALL}")
    second = client.get(f"/snapshot.png?{SMALL}&view=sahel")
    assert len(calls) == 1
    assert first.headers["X-Snapshot-Cache"] == "miss"
    assert second.headers["X-Snapshot-Cache"] == "hit"
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]
    assert "max-age" in first.headers["Cache-Control"]
    revalidated = client.get(
        f"/snapshot.png?view=sahel&{SMALL}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert revalidated.status_code == 304
    assert revalidated.data == b""
    assert len(calls) == 1


def test_a_304_carries_the_validators_and_cache_policy_of_the_200(client, store):
    first = client.get(f"/snapshot.svg?view=sahel&{SMALL}")
    revalidated = client.get(
        f"/snapshot.svg?view=sahel&{SMALL}", headers={"If-None-Match": first.headers["ETag"]}
    )
    assert revalidated.status_code == 304
    assert not first.headers["ETag"].startswith("W/")  # strong: the file is byte-identical
    assert revalidated.headers["ETag"] == first.headers["ETag"]
    assert first.headers["Cache-Control"] == revalidated.headers["Cache-Control"] == "public, max-age=300"
    assert "X-Snapshot-Cache" not in revalidated.headers


def test_new_data_gives_a_new_etag_and_a_new_render(client, store):
    before = client.get(f"/snapshot.png?view=sahel&{SMALL}")
    more = random_events(50, seed=3)
    more["country_iso3"] = "NER"
    store.write("conflict-events", more, ["test"])
    after = client.get(
        f"/snapshot.png?view=sahel&{SMALL}", headers={"If-None-Match": before.headers["ETag"]}
    )
    assert after.status_code == 200
    assert after.headers["X-Snapshot-Cache"] == "miss"
    assert after.headers["ETag"] != before.headers["ETag"]


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("layers=countries,nope", "layers"),
        ("width=100000", "width"),
        ("height=10", "height"),
        ("dpi=1000", "dpi"),
        ("bbox=30,5,10,-5", "bbox"),
        ("bbox=10,5,30,-5", "bbox"),
        ("view=atlantis", "view"),
        ("datetime=2024-13", "datetime"),
        ("metric=budget", "metric"),
        ("lang=de", "lang"),
        ("iso3=XXX", "iso3"),
        ("colour=red", "colour"),
    ],
)
def test_bad_parameters_are_400_json(client, store, query, parameter):
    for path in ("/snapshot.png", "/snapshot"):
        response = client.get(f"{path}?{query}")
        assert response.status_code == 400, (path, query)
        body = response.get_json()
        assert body["code"] == "InvalidParameterValue"
        assert parameter in body["description"]


def test_page_shows_image_permalink_and_escaped_embed(client, store):
    response = client.get('/snapshot?view=sahel&title=<script>alert("x")</script>&lang=fr')
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "<script>" not in page
    assert "&lt;script&gt;" in page
    src = re.search(r'<img src="([^"]+)"', page).group(1)
    assert src.startswith("/snapshot.png?") and "view=sahel" in src
    assert "http://localhost/snapshot.png?" in page
    assert "&lt;img src=" in page  # the embed snippet is shown as text
    assert 'href="/snapshot.pdf?' in page


def test_cli_snapshot_writes_the_file(runner, home, tmp_path: Path):
    output = tmp_path / "out" / "sahel.png"
    args = ["snapshot", "-o", str(output), "--view", "sahel", "--width", "400", "--height", "300",
            "--filter", "event_type=Battles", "--lang", "fr"]
    result = runner.invoke(main, args)
    assert result.exit_code == 0, result.output
    with Image.open(output) as image:
        assert image.size == (400, 300)
    again = runner.invoke(main, args)
    assert "cache" in again.output


def test_cli_rejects_bad_values_on_one_line(runner, home, tmp_path: Path):
    result = runner.invoke(main, ["snapshot", "-o", str(tmp_path / "x.jpg")])
    assert result.exit_code == 2
    assert "format" in result.output and ".jpg" in result.output
    result = runner.invoke(main, ["snapshot", "-o", str(tmp_path / "x.png"), "--width", "100000"])
    assert result.exit_code == 2
    assert "width" in result.output and "Traceback" not in result.output


def test_country_view_labels_its_provinces(client, store, province_file, runner):
    result = runner.invoke(main, ["boundaries", "import", str(province_file)])
    assert "2 provinces imported" in result.output
    words = _svg_text(client.get(f"/snapshot.svg?iso3=COD&{SMALL}&lang=fr").data)
    assert "Ituri" in words and "Nord-Kivu" in words
    # no datetime: every layer shows the last 12 months of data, which end on the latest event
    # (2024-09-15, see _events) and start the day after 2023-09-15
    assert "Période : 2023-09-16 – 2024-09-15 (les 12 derniers mois de données" in words
