"""Role x endpoint matrix: exact site coordinates and budgets never reach a role below its level.

The endpoints are discovered from the app's URL map, so every route a blueprint registers is
covered as it lands: each GET route is called with every layer id, format and output variant
this test knows how to fill in, as every role, and the bytes of each answer (zip members
unpacked) are searched for the test sites' coordinates (as text and as IEEE doubles) and budget.
"""

from __future__ import annotations

import io
import itertools
import re
import struct
import zipfile

import geopandas as gpd
import pytest
from shapely.geometry import Point

from layers import CATALOGUE
from layers.tokens import FileTokenStore

SITES = [(15.0512347, 12.1134871, "TCD"), (-7.9876543, 12.6543219, "MLI")]
"""Two exact sites (N'Djamena, Bamako areas), with seven decimals that boundaries do not share."""
BUDGET = 4_321_987.0

FORMATS = ["geojson", "json", "csv", "gpkg", "parquet", "fgb", "kml", "shp", "zip", "html", "png", "svg",
           "pdf", "tif"]
DOWNLOADS = ["geojson", "csv", "gpkg", "parquet", "fgb", "metadata.json"]
ARG_VALUES = {
    "iso3": ["TCD", "MLI"],
    "filename": [f"{layer}.{ext}" for layer in CATALOGUE.ids for ext in DOWNLOADS],
    "layer_id": CATALOGUE.ids, "collection_id": CATALOGUE.ids, "collectionId": CATALOGUE.ids,
    "layer": CATALOGUE.ids, "fmt": FORMATS, "format": FORMATS, "ext": FORMATS,
    "feature_id": ["MX1-1", "MX2-1"], "featureId": ["MX1-1", "MX2-1"], "item_id": ["MX1-1", "MX2-1"],
}
QUERY_VARIANTS = {
    # route prefix -> query strings tried (first match wins; "" = any other route)
    "/download/": ["", "?bbox=-20,-10,40,20"],
    "/snapshot": ["", "?layers=projects,envr,project-countries"],
    "/map-data/": ["", "?iso3=TCD", "?bbox=-20,-10,40,20&zoom=6"],
    "/map": ["", "?layers=projects,envr,project-countries"],
    "": ["", "?f=json", "?f=html", "?f=csv", "?bbox=-20,-10,40,20", "?layers=projects"],
}
SKIP_RULES = {"/static/<path:filename>", "/logout", "/login"}


def _needles(values: list[float]) -> list[bytes]:
    out = []
    for v in values:
        text = repr(v)
        # full text, rounded or cut to 5 decimals (~1 m), and the IEEE doubles of binary formats
        out += [text.encode(), f"{v:.5f}".encode(), text[:text.index(".") + 6].encode(),
                struct.pack("<d", v), struct.pack(">d", v)]
    return out


COORD_NEEDLES = _needles([c for lon, lat, _ in SITES for c in (lon, lat)])
BUDGET_NEEDLES = [b"4321987", struct.pack("<d", BUDGET), struct.pack(">d", BUDGET), b"4.321987e"]


def _bodies(data: bytes) -> list[bytes]:
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [data] + [archive.read(name) for name in archive.namelist()]
    return [data]


def _found(data: bytes, needles: list[bytes]) -> list[bytes]:
    return [n for n in needles if any(n in body for body in _bodies(data))]


def _urls(app) -> tuple[list[str], list[str]]:
    urls, unfilled = [], []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or ()) or rule.rule in SKIP_RULES:
            continue
        args = sorted(rule.arguments)
        if any(a not in ARG_VALUES for a in args):
            unfilled.append(rule.rule)
            continue
        for combo in itertools.product(*(ARG_VALUES[a] for a in args)):
            path = rule.rule
            for name, value in zip(args, combo, strict=True):
                path = re.sub(rf"<(?:[^:<>]+:)?{name}>", value, path)
            prefix = next(p for p in QUERY_VARIANTS if path.startswith(p))
            urls += [path + q for q in QUERY_VARIANTS[prefix]]
    return urls, unfilled


@pytest.fixture
def matrix_app(app_factory):
    app = app_factory(COOPMAP_COOKIE_SECURE=False, COOPMAP_RATE_LIMIT="off")
    sites = gpd.GeoDataFrame(
        {"site_id": ["MX1-1", "MX2-1"], "acronym": ["MX1", "MX2"], "title": ["Matrix one", "Matrix two"],
         "site": ["N'Djamena", "Bamako"], "country_iso3": [s[2] for s in SITES],
         "countries": [s[2] for s in SITES], "status": "active", "start": "2024-01-01",
         "budget_eur": [BUDGET, BUDGET], "geocode_precision": "exact", "end": "2027-12-31",
         "funder": "test funder", "implementers": "test implementer", "components": "training",
         "source": "test", "region": "Great Lakes / Sahel", "countries_coverage": "complete", "notes": ""},
        geometry=[Point(lon, lat) for lon, lat, _ in SITES], crs="EPSG:4326")
    for name in ("start", "end"):
        sites[name] = sites[name].astype("datetime64[ms]")
    app.extensions["coopmap.store"].write("projects", sites, ["test"])
    return app


def test_no_public_response_carries_exact_sites_or_budgets(matrix_app, home):
    tokens = FileTokenStore(home)
    headers = {"public": {}}
    for role in ("planner", "analyst", "admin"):
        headers[role] = {"Authorization": f"Bearer {tokens.create(f'matrix-{role}', role)}"}
    client = matrix_app.test_client()
    urls, unfilled = _urls(matrix_app)
    leaks, statuses, planner_saw_sites = [], {}, 0
    for url in urls:
        for role, auth in headers.items():
            response = client.get(url, headers=auth)
            statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
            data = response.get_data()
            response.close()
            if response.status_code >= 500:
                leaks.append(f"{role} {url}: {response.status_code}")
            if role == "public" and _found(data, COORD_NEEDLES):
                leaks.append(f"public {url}: exact coordinates {_found(data, COORD_NEEDLES)[:2]}")
            if role in ("public", "planner") and _found(data, BUDGET_NEEDLES):
                leaks.append(f"{role} {url}: budget")
            if role == "planner" and _found(data, COORD_NEEDLES):
                planner_saw_sites += 1
            if role != "public" and response.status_code == 200 and "projects" in url:
                assert response.headers.get("Cache-Control") == "private, no-store", url
    assert not leaks, "\n".join(leaks)
    assert urls, f"no endpoint to check; unfilled routes: {unfilled}"
    if any("/items" in u or "download" in u for u in urls):
        # the search finds the coordinates when they are there (planners see exact sites)
        assert planner_saw_sites > 0


def _move_sites(app, moves: list[tuple[float, float, str]]) -> None:
    store = app.extensions["coopmap.store"]
    sites = store.read("projects").copy()
    sites["geometry"] = [Point(lon, lat) for lon, lat, _ in moves]
    sites["country_iso3"] = sites["countries"] = [iso3 for _, _, iso3 in moves]
    store.write("projects", sites, ["test"])


def test_public_images_do_not_change_when_exact_sites_move_within_their_country(matrix_app, home):
    """Pixels cannot be searched for coordinates: a public image must not depend on them at all."""
    rules = [r.rule for r in matrix_app.url_map.iter_rules() if r.rule.startswith("/snapshot.")]
    if not rules:
        pytest.skip("no snapshot endpoint on this branch yet")
    url = "/snapshot.png?layers=projects,envr,project-countries"
    client = matrix_app.test_client()
    first = client.get(url).get_data()
    _move_sites(matrix_app, [(18.0, 14.0, "TCD"), (-5.5, 13.5, "MLI")])  # still in Chad and Mali
    moved_inside = client.get(url).get_data()
    _move_sites(matrix_app, [(9.0, 17.0, "NER"), (-5.5, 13.5, "MLI")])  # Chad's site now in Niger
    moved_country = client.get(url).get_data()
    footer = int(_pixels(first).shape[0] * 0.9)  # the footer names the data version: it changes
    assert not [r for r in _changed_rows(first, moved_inside) if r < footer], \
        "the public map moved with the exact sites"
    # and the comparison sees site markers: a move to another country shows
    assert [r for r in _changed_rows(first, moved_country) if r < footer]


def _pixels(png: bytes):
    import matplotlib.image

    return matplotlib.image.imread(io.BytesIO(png), format="png")


def _changed_rows(a: bytes, b: bytes) -> list[int]:
    import numpy as np

    first, second = _pixels(a), _pixels(b)
    assert first.shape == second.shape
    return np.flatnonzero(np.abs(first - second).reshape(first.shape[0], -1).max(axis=1) > 0).tolist()
