"""Schema-driven fuzzing in volume: every operation of ``/ogc/api``, valid and invalid inputs,
as the public and as an analyst, more than 1,000 requests in all and not one 5xx.

The workspace holds the registries and events of the XSS proof (markup and quotes in every text
field) next to random events, so the generated filters meet awkward data too.
"""

from __future__ import annotations

import collections

import geopandas as gpd
import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.builders import random_events
from tests.mapfixtures import analyst_token
from tests.xssfixtures import events_payloads, populate_payloads

pytestmark = pytest.mark.slow

EXAMPLES_PER_OPERATION = 12
"""Per operation, generation mode and role: 37 operations (10 of them registry writes and histories)
x 2 x 2 x 12 = 1,776 at most."""
MINIMUM_REQUESTS = 1000


@pytest.fixture(scope="module")
def fuzzed(new_workspace, app_on):
    home = new_workspace("fuzz-volume-home")
    app = app_on(home, OGC_MAX_LIMIT=20)
    store = app.extensions["coopmap.store"]
    populate_payloads(store)
    events = pd.concat([events_payloads(), random_events(500, seed=4)], ignore_index=True)
    store.write("conflict-events", gpd.GeoDataFrame(events, crs="EPSG:4326"), ["fuzz"])
    return app, analyst_token(home)


def test_a_thousand_generated_requests_over_every_operation_give_no_server_error(fuzzed):
    app, token = fuzzed
    schema = schemathesis.openapi.from_wsgi("/ogc/api", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    statuses: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    per_operation: collections.Counter[str] = collections.Counter()

    def fuzz(operation, mode, headers) -> None:
        @given(case=operation.as_strategy(generation_mode=mode))
        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        def run(case):
            response = case.call(headers=headers)
            statuses[response.status_code] += 1
            per_operation[operation.path] += 1
            if response.status_code >= 500:
                failures.append(f"{response.status_code} {case.path} {case.query}")
            elif response.status_code >= 400 and response.status_code != 406:
                body = response.json()
                if not {"code", "description"} <= set(body) <= {"code", "description", "fields"}:
                    failures.append(f"bad error body {case.path} {case.query}: {body}")

        run()

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            for headers in ({}, {"Authorization": f"Bearer {token}"}):
                fuzz(operation, mode, headers)

    total = sum(statuses.values())
    print(f"{total} generated requests over {len(per_operation)} operations: {dict(statuses)}")
    assert failures == [], failures[:10]
    assert total >= MINIMUM_REQUESTS, (total, dict(per_operation))
    assert len(per_operation) == len({op.path for op in operations})  # every operation was called
    assert statuses[200] > 100 and statuses[400] > 50 and statuses[404] > 0, dict(statuses)
