"""With a million events behind it, the page and its event payloads stay small."""

from __future__ import annotations

import pytest

from tests.builders import random_events

LIMIT = 500 * 1024


@pytest.mark.slow
def test_a_million_events_keep_pages_and_payloads_small(app_factory):
    writer = app_factory()
    writer.extensions["coopmap.store"].write(
        "conflict-events", random_events(1_000_000, seed=7), ["test"]
    )
    client = app_factory().test_client()  # reads from disk
    for path in ("/", "/map/COD", "/?lang=fr&metric=fatalities&datetime=2023-01/2024-12"):
        response = client.get(path)
        assert response.status_code == 200
        assert len(response.data) <= LIMIT, (path, len(response.data))
    for zoom in (3, 5, 7):
        response = client.get(
            f"/map-data/events?bbox=-25,-36,64,42&zoom={zoom}&datetime=2023-01/2024-12"
        )
        data = response.json
        assert data["total"] == 1_000_000 and data["mode"] == "grid"
        assert sum(c["events"] for c in data["cells"]) == 1_000_000
        assert len(response.data) <= LIMIT * 2, (zoom, len(response.data))
