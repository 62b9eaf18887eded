"""Registry edits on two ``coopmap serve`` processes sharing one PostgreSQL + PostGIS (issue 18):
an edit made through server A is served by server B at once, and two planners editing the same
project on the two servers never overwrite each other silently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.servers import Server, coopmap
from tests.test_registry_edit import MERGE, NEW

pytestmark = pytest.mark.slow


@pytest.fixture
def servers(pg_cluster: Any, pg_workspace_template: str, tmp_path: Path) -> Iterator[tuple[list[Server], dict]]:
    name = f"regedit_{tmp_path.name[-20:]}".replace("-", "_")
    url = pg_cluster.create_database(name, template=pg_workspace_template)
    env = {"COOPMAP_DATABASE_URL": url, "COOPMAP_COOKIE_SECURE": "0", "COOPMAP_RATE_LIMIT": "6000 per minute"}
    started = [Server(tmp_path / f"host{i}", env) for i in (1, 2)]
    try:
        yield [s.wait_ready() for s in started], {**env, "COOPMAP_HOME": str(tmp_path / "host3")}
    finally:
        for server in started:
            server.stop()
        pg_cluster.drop_database(name)


def _active(server: Server, headers: dict) -> int:
    answer = requests.get(server.url + "/ogc/collections/country-summary/items/SEN?datetime=2024-06",
                          headers=headers, timeout=30)
    return answer.json()["properties"]["projects_active"]


def test_an_edit_through_a_is_served_by_b_at_once_and_a_stale_etag_loses_across_servers(servers):
    (a, b), env = servers
    alice = {"Authorization": "Bearer " + coopmap(env, "tokens", "create", "--role", "planner", "--name",
                                                   "alice").stdout.strip()}
    bob = {"Authorization": "Bearer " + coopmap(env, "tokens", "create", "--role", "planner", "--name",
                                                 "bob").stdout.strip()}
    before = _active(b, bob)
    made = requests.post(a.url + "/ogc/collections/projects/items", json=NEW, headers=alice, timeout=60)
    assert made.status_code == 201, made.text
    # no wait: B answers the next request with the new project
    items = requests.get(b.url + "/ogc/collections/projects/items?limit=1000", headers=bob, timeout=30).json()
    assert "DAKSEC" in {f["properties"]["acronym"] for f in items["features"]}
    assert _active(b, bob) == before + 1
    # both read version 1 (on A and on B); Bob saves through B, Alice's change through A is refused
    url = "/ogc/collections/projects/items/DAKSEC"
    read_a = requests.get(a.url + url, headers=alice, timeout=30).headers["ETag"]
    read_b = requests.get(b.url + url, headers=bob, timeout=30).headers["ETag"]
    assert read_a == read_b == made.headers["ETag"]
    saved = requests.patch(b.url + url, data='{"properties": {"title": "Bob"}}',
                           headers={**bob, "If-Match": read_b, "Content-Type": MERGE}, timeout=60)
    assert saved.status_code == 200, saved.text
    lost = requests.patch(a.url + url, data='{"properties": {"title": "Alice"}}',
                          headers={**alice, "If-Match": read_a, "Content-Type": MERGE}, timeout=60)
    assert lost.status_code == 412
    assert requests.get(a.url + url, headers=alice, timeout=30).json()["properties"]["title"] == "Bob"
