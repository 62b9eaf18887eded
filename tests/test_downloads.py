"""Bulk downloads read back with geopandas / pyogrio / pyarrow."""

from __future__ import annotations

import io

import geopandas as gpd
import orjson
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest

from tests.backends import backend  # noqa: F401  (these tests run on both stores)
from tests.builders import make_events, random_events


def public_version(app) -> str:
    """The data version a caller without credentials sees (the access policy suffixes it)."""
    from layers import CATALOGUE
    from layers.secured import SecuredStore

    return SecuredStore(app.extensions["coopmap.store"], "public", CATALOGUE).data_version

BBOX = "0,0,20,10"


@pytest.fixture
def events(app, app_factory):
    """The events, written by another server on the workspace: ``app`` reads them back from the store."""
    frame = pd.concat(
        [
            random_events(1500, seed=5),
            make_events([{"lon": 10.0, "lat": 5.0, "event_id": "A1", "event_date": "2024-02-02"}]),
        ],
        ignore_index=True,
    )
    frame = gpd.GeoDataFrame(frame, geometry="geometry", crs="EPSG:4326")
    app_factory().extensions["coopmap.store"].write("conflict-events", frame, ["test"])
    return frame


def fetch(client, url: str, **kwargs):
    """GET ``url``, read the body and close the response (file downloads hold an open file)."""
    with client.get(url, **kwargs) as response:
        response.get_data()
    return response


def _expected(events: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return events.cx[0:20, 0:10]


@pytest.mark.parametrize("ext", ["geojson", "gpkg", "csv", "parquet", "fgb"])
def test_each_format_reads_back_with_the_filtered_rows(client, app, events, tmp_path, ext):
    response = fetch(client, f"/download/conflict-events.{ext}?bbox={BBOX}")
    assert response.status_code == 200
    version = public_version(app)
    disposition = response.headers["Content-Disposition"]
    assert "attachment" in disposition and f"conflict-events-{version}" in disposition
    assert disposition.endswith(f'.{ext}"')
    path = tmp_path / f"download.{ext}"
    path.write_bytes(response.get_data())
    if ext == "csv":
        frame = pd.read_csv(path)
        assert {"longitude", "latitude"} <= set(frame.columns)
        assert "synthetic demo data" in response.headers["X-Coopmap-Notice"]
    else:
        frame = gpd.read_file(path) if ext != "parquet" else gpd.read_parquet(path)
        assert frame.crs.to_epsg() == 4326
    expected = _expected(events)
    assert len(frame) == len(expected)
    assert sorted(frame["event_id"]) == sorted(expected["event_id"])
    assert "budget_eur" not in frame.columns and "original" not in frame.columns


def test_formats_carry_version_licence_and_synthetic_notice(client, app, events, tmp_path):
    version = public_version(app)
    collection = orjson.loads(fetch(client, "/download/conflict-events.geojson").get_data())
    assert collection["coopmap"]["data_version"] == version
    assert "UCDP" in collection["coopmap"]["licence"]
    assert "synthetic demo data" in collection["notice"]
    assert len(collection["features"]) == len(events)

    gpkg = tmp_path / "x.gpkg"
    gpkg.write_bytes(fetch(client, "/download/conflict-events.gpkg").get_data())
    meta = pyogrio.read_info(gpkg)["layer_metadata"]
    assert meta["data_version"] == version and "synthetic demo data" in meta["notice"]

    parquet = tmp_path / "x.parquet"
    parquet.write_bytes(fetch(client, "/download/conflict-events.parquet").get_data())
    coopmap = orjson.loads(pq.read_schema(parquet).metadata[b"coopmap"])
    assert coopmap["data_version"] == version and "synthetic demo data" in coopmap["notice"]

    fgb = tmp_path / "x.fgb"
    fgb.write_bytes(fetch(client, "/download/conflict-events.fgb").get_data())
    description = pyogrio.read_info(fgb)["layer_metadata"]["DESCRIPTION"]
    assert version in description and "synthetic demo data" in description

    sidecar = orjson.loads(
        fetch(client, f"/download/conflict-events.metadata.json?bbox={BBOX}").get_data()
    )
    assert sidecar["number_of_features"] == len(_expected(events))
    assert sidecar["data_version"] == version


def test_real_data_only_downloads_have_no_notice(client, events):
    collection = orjson.loads(
        fetch(client, "/download/conflict-events.geojson?event_id=A1").get_data()
    )
    assert [f["id"] for f in collection["features"]] == ["A1"]
    assert "notice" not in collection and "notice" not in collection["coopmap"]


def test_geojson_streams_and_gzips(client, events):
    response = client.get("/download/conflict-events.geojson", buffered=False)
    assert response.is_streamed
    chunks = list(response.response)
    assert len(chunks) > 2
    gz = fetch(client, "/download/conflict-events.geojson", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip"
    import gzip

    assert len(orjson.loads(gzip.decompress(gz.get_data()))["features"]) == len(events)


def test_downloads_revalidate(client, events):
    first = fetch(client, "/download/conflict-events.parquet")
    again = fetch(
        client,
        "/download/conflict-events.parquet",
        headers={"If-None-Match": first.headers["ETag"]},
    )
    assert again.status_code == 304


def test_countries_download_reads_back(client, tmp_path):
    response = fetch(client, "/download/countries.geojson?iso3=FRA,DEU")
    frame = gpd.read_file(io.BytesIO(response.get_data()))
    assert sorted(frame["iso3"]) == ["DEU", "FRA"]


def test_cli_style_geojson_export_has_unique_ids_and_metadata(tmp_path):
    from geo.features.export import write_frame

    frame = random_events(12000, seed=8)
    path = tmp_path / "events.geojson"
    write_frame(frame, path, "conflict-events", {"data_version": "v1", "licence": "L"})
    collection = orjson.loads(path.read_bytes())
    ids = [f["id"] for f in collection["features"]]
    assert len(ids) == len(set(ids)) == 12000
    assert collection["coopmap"]["data_version"] == "v1"
    assert "synthetic demo data" in collection["notice"]
