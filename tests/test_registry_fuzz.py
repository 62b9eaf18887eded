"""Schema-driven fuzzing of the registry writes (OGC API Part 4) as a planner: whatever the body,
headers or id, no 5xx, and every error is the JSON ``{"code", "description"}`` (with ``fields``
for a record that fails validation)."""

from __future__ import annotations

import collections

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

WRITES = ("POST", "PUT", "PATCH", "DELETE")


def test_generated_writes_as_a_planner_give_no_server_error(app):
    token = app.extensions["coopmap.tokens"].create("fuzz-planner", "planner")
    schema = schemathesis.openapi.from_wsgi("/ogc/api", app)
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.method.upper() in WRITES or op.path.endswith("/history")]
    assert len(operations) == 10  # POST, PUT, PATCH, DELETE and history on projects and envr
    statuses: collections.Counter[int] = collections.Counter()
    failures: list[str] = []

    for operation in operations:
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck), database=None)
            def run(case):
                response = case.call(headers={**(case.headers or {}), "Authorization": f"Bearer {token}"})
                statuses[response.status_code] += 1
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {case.method} {case.path} {case.body!r:.200}")
                elif response.status_code >= 400:
                    body = response.json()
                    if not {"code", "description"} <= set(body) <= {"code", "description", "fields"}:
                        failures.append(f"bad error body {case.method} {case.path}: {body}")

            run()
    print(dict(statuses))
    assert failures == [], failures[:10]
    assert statuses[400] > 0 and statuses[428] + statuses[404] > 0, dict(statuses)
