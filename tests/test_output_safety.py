"""Small hardening of the outputs: CSV cells that are formulas, private files, the public base URL,
the SVG responses' own CSP."""

from __future__ import annotations

import csv
import io
import stat
import xml.etree.ElementTree as ET

import geopandas as gpd
import pytest

from geo.errors import InvalidParameter
from geo.features.export import write_frame
from geo.storage.io import write_bytes_atomic
from geo.storage.store import ParquetStore
from layers.tokens import SECRET_NAME, FileTokenStore
from tests.builders import make_events

FORMULAS = ["=HYPERLINK(\"http://evil.example\",\"x\")", "+1+1", "-2+3", "@SUM(A1:A2)", "\tx", "\rx"]


def _events_with_formulas() -> gpd.GeoDataFrame:
    rows = [{"lon": 10.0 + i, "lat": -5.0, "event_id": f"F{i}", "event_date": "2024-02-02", "notes": note,
             "fatalities": 1} for i, note in enumerate([*FORMULAS, "plain note"])]
    return make_events(rows)


def test_csv_download_and_file_show_formulas_as_text(app, client, tmp_path):
    frame = _events_with_formulas()
    app.extensions["coopmap.store"].write("conflict-events", frame, ["test"])
    with client.get("/download/conflict-events.csv") as response:
        body = response.get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(body, newline="")))
    notes = sorted(r["notes"] for r in rows)
    # every formula gets exactly one leading quote; the plain note and the numbers are untouched
    assert notes == sorted(["'" + f for f in FORMULAS] + ["plain note"])
    assert sorted(float(r["longitude"]) for r in rows) == [10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]
    assert {r["latitude"] for r in rows} == {"-5.0"}  # a negative number is not text: no quote

    path = tmp_path / "events.csv"
    write_frame(frame, path, "conflict-events", {"data_version": "v"})
    written = list(csv.DictReader(io.StringIO(path.read_bytes().decode(), newline="")))
    assert sorted(r["notes"] for r in written) == notes
    assert {r["latitude"] for r in written} == {"-5.0"}


def test_private_files_get_private_new_folders(tmp_path, home):
    target = tmp_path / "cache" / "restricted" / "file.bin"
    write_bytes_atomic(target, b"secret", mode=0o600)
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    for folder in (tmp_path / "cache", tmp_path / "cache" / "restricted"):
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    public = tmp_path / "open" / "file.bin"
    write_bytes_atomic(public, b"x")
    assert stat.S_IMODE(public.parent.stat().st_mode) & 0o077  # the umask decides (readable by group)

    store = FileTokenStore(home)
    store.create("kim", "planner")
    store.create_session(store.records()[0].id, __import__("datetime").timedelta(hours=1))
    ParquetStore(home).secret(SECRET_NAME)
    for name in ("tokens.json", "sessions.json", "secret_key", ".tokens.json.lock"):
        assert stat.S_IMODE((home / name).stat().st_mode) == 0o600, name


def test_absolute_links_use_the_configured_base_url_not_the_host_header(app_factory):
    hostile = {"Host": "evil.example"}
    plain = app_factory().test_client()
    assert plain.get("/ogc/", headers=hostile).json["links"][0]["href"].startswith("http://evil.example/")

    client = app_factory(COOPMAP_BASE_URL="https://maps.example.org/").test_client()
    landing = client.get("/ogc/", headers={**hostile, "X-Forwarded-Host": "evil.example"})
    hrefs = [link["href"] for link in landing.json["links"]]
    assert hrefs and all(h.startswith("https://maps.example.org/ogc") for h in hrefs)
    items = client.get("/ogc/collections/countries/items?limit=1", headers=hostile).json
    assert all(link["href"].startswith("https://maps.example.org/") for link in items["links"])
    with client.get("/download/countries.csv", headers=hostile) as download:
        assert download.headers["Link"].startswith("<https://maps.example.org/download/countries.metadata.json")
    page = client.get("/snapshot?view=sahel", headers=hostile).get_data(as_text=True)
    assert "https://maps.example.org/snapshot.png" in page and "evil.example" not in page
    # a path prefix (the proxy strips it) goes into every link, redirects included
    prefixed = app_factory(COOPMAP_BASE_URL="https://example.org/coopmap", COOPMAP_COOKIE_SECURE=False).test_client()
    assert prefixed.get("/ogc/", headers=hostile).json["links"][0]["href"].startswith("https://example.org/coopmap/ogc")
    csrf = prefixed.get("/logout").get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    assert prefixed.post("/logout", data={"csrf_token": csrf}).headers["Location"] == "/coopmap/login"


def test_base_url_is_validated(app_factory):
    for bad in ("maps.example.org", "https://maps.example.org/?x=1", "javascript:alert(1)"):
        with pytest.raises(InvalidParameter, match="COOPMAP_BASE_URL"):
            app_factory(COOPMAP_BASE_URL=bad)


def test_chart_svg_has_its_own_strict_csp_and_needs_nothing_else(client):
    response = client.get("/map-data/chart/COD.svg")
    assert response.status_code == 200 and response.mimetype == "image/svg+xml"
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp == {"default-src": "'none'", "style-src": "'unsafe-inline'", "frame-ancestors": "'self'"}
    # what the policy must allow, read from the SVG: inline style only, references to its own ids only
    root = ET.fromstring(response.data)
    tags = {element.tag.rsplit("}", 1)[-1] for element in root.iter()}
    assert "script" not in tags and "image" not in tags and "foreignObject" not in tags
    assert "style" in tags or any(element.get("style") for element in root.iter())
    refs = [v for element in root.iter() for k, v in element.attrib.items() if k.endswith("href")]
    assert all(ref.startswith("#") for ref in refs)
    # the pages keep their own policy
    assert "script-src 'self' 'nonce-" in client.get("/").headers["Content-Security-Policy"]
