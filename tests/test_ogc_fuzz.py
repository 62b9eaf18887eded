"""Schema-driven fuzzing of /ogc from its own OpenAPI document: no input gives a 5xx."""

from __future__ import annotations

import string

import geopandas as gpd
import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from geo.errors import InvalidParameter
from geo.query import parse_int, parse_query, parse_sortby
from tests.builders import make_events, random_events


@pytest.fixture(scope="module")
def fuzz_app(new_workspace, app_on):
    # A small page maximum keeps each fuzzed request cheap (the countries are large polygons).
    app = app_on(new_workspace("fuzz-home"), OGC_MAX_LIMIT=20)
    frame = pd.concat(
        [
            random_events(300, seed=9),
            make_events(
                [{"lon": 29.2, "lat": -1.6, "event_date": "2024-03-01", "country_iso3": "COD"}]
            ),
        ],
        ignore_index=True,
    )
    app.extensions["coopmap.store"].write(
        "conflict-events", gpd.GeoDataFrame(frame, crs="EPSG:4326"), ["t"]
    )
    return app


@pytest.fixture(scope="module")
def ogc_schema(fuzz_app):
    return schemathesis.openapi.from_wsgi("/ogc/api", fuzz_app)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_request_from_the_openapi_document_gives_a_server_error(ogc_schema, mode):
    statuses: list[int] = []

    @given(case=ogc_schema.as_strategy(generation_mode=mode))
    @settings(
        max_examples=200, deadline=None, suppress_health_check=list(HealthCheck), database=None
    )
    def run(case):
        response = case.call()
        statuses.append(response.status_code)
        assert response.status_code < 500, (case.path, case.query, response.text[:300])
        if response.status_code >= 400:
            assert {"code", "description"} <= set(response.json()) <= {"code", "description", "fields"}

    run()
    assert any(s == 200 for s in statuses)
    if mode == GenerationMode.NEGATIVE:
        assert any(s == 400 for s in statuses)


TEXT = st.text(alphabet=string.printable + "…°±¹²٣", max_size=40)  # non-ASCII digits too
PARAMS = st.dictionaries(
    st.sampled_from(["bbox", "datetime", "event_type", "limit", "sortby", "x"]), TEXT, max_size=4
)


@given(PARAMS)
@settings(max_examples=300, deadline=None)
def test_query_parsing_accepts_or_names_the_bad_parameter(params):
    try:
        parse_query(params, ["event_type", "fatalities"], strict=True, reserved=("limit", "sortby"))
        parse_int(params, "limit", 100, minimum=1, maximum=10_000)
        parse_sortby(params.get("sortby"), ["event_type", "fatalities"])
    except InvalidParameter as exc:
        assert exc.parameter in params


@pytest.mark.parametrize("text", ["¹", "²⁰", "٣", "1e3", "0x10"])
def test_a_limit_in_non_ascii_digits_is_a_400_not_a_500(client, text):
    response = client.get("/ogc/collections/projects/items", query_string={"limit": text})
    assert response.status_code == 400
    assert response.json["code"] == "InvalidParameterValue"
    assert "limit" in response.json["description"]
