"""Free text must not reveal what the generalised geometry hides.

The public gets project sites at their province or country point: the region wording ("Ituri and
North Kivu provinces"), the components and notes, the geocoding precision and per-site ids
(``UPS-2`` says UPS has two sites) must not tell more, in any output. Checked through a real HTTP
server and client, as the public and as a planner, on the default workspace (no provinces imported:
every site is generalised to its country).
"""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from pathlib import Path

import geopandas as gpd
import orjson
import pytest

from layers.tokens import FileTokenStore
from tests.live import serve

# Words from projects.csv (the UPS row) that only the exact view may carry. Outputs that also show
# conflict events (public, exact) may name the provinces as the events' admin1 ("Ituri",
# "Nord-Kivu"): there, only the project's own wording is checked.
PLACE_TEXT = ["Ituri", "North Kivu", "Nord-Kivu", "military reform", "48 months"]
PROJECT_WORDING = ["North Kivu", "military reform", "48 months"]
WITH_EVENTS = {"/map-data/country/COD", "/map/COD", "/",
               "/snapshot.svg?iso3=COD&layers=projects,project-countries&width=600&height=400"}

TEXT_URLS = [
    "/ogc/collections/projects/items?limit=1000",
    "/ogc/collections/projects/items?limit=1000&f=html",
    "/ogc/collections/projects/items?limit=1000&f=csv",
    "/ogc/collections/projects",
    "/ogc/collections/project-countries/items?limit=1000",
    "/ogc/collections/project-countries/items?limit=1000&f=csv",
    "/download/projects.geojson",
    "/download/projects.csv",
    "/download/projects.metadata.json",
    "/download/project-countries.geojson",
    "/download/project-countries.csv",
    "/map-data/sites",
    "/map-data/country/COD",
    "/map/COD",
    "/",
    "/snapshot.svg?iso3=COD&layers=projects,project-countries&width=600&height=400",
]
FILE_URLS = [f"/download/{layer}.{ext}" for layer in ("projects", "project-countries") for ext in ("gpkg", "parquet",
                                                                                                    "fgb")]


@pytest.fixture(scope="module")
def served(new_workspace, app_on):
    home = new_workspace("place-text")
    token = FileTokenStore(home).create("pia", "planner")
    with serve(app_on(home)) as base:
        yield base, token


def _get(base: str, path: str, token: str | None) -> bytes:
    request = urllib.request.Request(base + path, headers={"Authorization": f"Bearer {token}"} if token else {})
    with urllib.request.urlopen(request, timeout=120) as response:
        assert response.status == 200, path
        return response.read()


def _file_text(body: bytes, path: str, folder: Path) -> str:
    """A binary download read back as a table, as text (parquet is compressed: bytes tell nothing)."""
    target = folder / path.rsplit("/", 1)[-1]
    target.write_bytes(body)
    frame = gpd.read_parquet(target) if target.suffix == ".parquet" else gpd.read_file(target)
    return frame.drop(columns="geometry").to_csv(index=False)


def _site_ids(base: str, token: str | None) -> list[str]:
    features = orjson.loads(_get(base, "/ogc/collections/projects/items?limit=1000", token))["features"]
    return [f["id"] for f in features]


def test_the_planner_gets_the_place_text_and_the_site_ids(served):
    base, token = served
    ids = _site_ids(base, token)
    assert "UPS-1" in ids and "UPS-2" in ids
    body = _get(base, "/download/projects.csv", token).decode()
    assert all(word in body for word in PLACE_TEXT)
    assert "Ituri and North Kivu provinces" in _get(base, "/download/project-countries.geojson", token).decode()


def test_the_public_gets_no_place_text_and_no_site_numbers_in_any_output(served, tmp_path):
    base, token = served
    planner_ids = _site_ids(base, token)
    numbered = re.compile(r"[A-Za-z0-9]-\d+$")
    assert all(numbered.search(i) for i in planner_ids)
    public_ids = _site_ids(base, None)
    assert public_ids and not any(numbered.search(i) for i in public_ids)
    assert len(public_ids) < len(planner_ids)  # several sites of a project in one country: one feature
    for feature_id in public_ids:  # each opaque id is a working item id
        item = orjson.loads(_get(base, f"/ogc/collections/projects/items/{feature_id}", None))
        assert item["id"] == feature_id
        assert item["properties"]["generalised"] in {"country", "province"} or item["geometry"] is None
        # place text is absent, or null on a located feature (kept only where there is no location)
        assert item["geometry"] is None or all(
            item["properties"].get(k) is None
            for k in ("region", "components", "notes", "geocode_precision", "site", "location_source"))

    texts = {path: _get(base, path, None).decode() for path in TEXT_URLS}
    texts |= {path: _file_text(_get(base, path, None), path, tmp_path) for path in FILE_URLS}
    for path, text in texts.items():
        leaks = [w for w in (PROJECT_WORDING if path in WITH_EVENTS else PLACE_TEXT) if w in text]
        assert not leaks, f"{path} shows {leaks}"
        site_ids = [i for i in planner_ids if re.search(rf"(?<![\w-]){re.escape(i)}(?![\w-])", text)]
        assert not site_ids, f"{path} shows the site ids {site_ids[:3]}"
    queryables = orjson.loads(texts["/ogc/collections/projects"])
    assert "geocode_precision" not in orjson.dumps(queryables).decode()


def test_an_old_site_id_is_not_found_for_the_public(served):
    base, token = served
    with pytest.raises(urllib.error.HTTPError) as refused:
        _get(base, "/ogc/collections/projects/items/UPS-2", None)
    assert refused.value.code == 404
    refused.value.close()
    assert orjson.loads(_get(base, "/ogc/collections/projects/items/UPS-2", token))["id"] == "UPS-2"
