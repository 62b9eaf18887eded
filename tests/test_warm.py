"""The app warmed before its first request (issue 15, first request), on both stores."""

from __future__ import annotations

from flask import Flask

from geo.types import ROLES
from tests.backends import backend  # noqa: F401  (the module's tests run on both stores)
from webmap.warm import WARM_PATHS, warm


def test_warm_prepares_the_layers_before_the_first_request(app: Flask, backend: str):  # noqa: F811
    done = warm(app)
    assert [(w.role, w.path) for w in done] == [(role, path) for role in ROLES for path in WARM_PATHS]
    assert all(w.status == 200 for w in done)
    prepared = app.extensions["coopmap.index"]
    before = len(prepared)
    # the events (embedded store only: PostGIS answers their items in SQL) and the country summary
    assert before >= (1 if backend == "postgis" else 2)
    client = app.test_client()
    token = app.extensions["coopmap.tokens"].create("analyst-1", "analyst")
    for headers in ({}, {"Authorization": f"Bearer {token}"}):
        response = client.get("/ogc/collections/conflict-events/items?bbox=28,-3,31,0&limit=1000", headers=headers)
        assert response.status_code == 200
    assert len(prepared) == before  # nothing prepared by the first requests, public or analyst


def test_warm_stops_once_its_budget_is_spent(app: Flask):
    assert [(w.role, w.path) for w in warm(app, budget=0.0)] == [(ROLES[0], WARM_PATHS[0])]
