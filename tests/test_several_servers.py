"""Several ``coopmap serve`` processes on one PostgreSQL + PostGIS and one Redis (issue 16).

Each server has its own COOPMAP_HOME (its own "host disk"); they share only the database and Redis.
Everything here is a real process: a private PostgreSQL cluster, a private Redis, gunicorn servers
started by ``coopmap serve``, the ``coopmap`` CLI from a third home, and HTTP clients.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.servers import Server, coopmap
from tests.test_real_ucdp import UCDP_SAMPLE, require_shared_file

pytestmark = pytest.mark.slow

RATE = 12
"""The per-client limit set on both servers (per minute): the shared limit trips at RATE in total."""


@pytest.fixture
def shared(pg_cluster: Any, pg_workspace_template: str, private_redis: Any, tmp_path: Path) -> Iterator[dict]:
    """A database copied from the default workspace, a private Redis, and the environment of every
    process (servers and CLI) pointing at both."""
    name = f"several_{tmp_path.name[-20:]}".replace("-", "_")
    url = pg_cluster.create_database(name, template=pg_workspace_template)
    env = {"COOPMAP_DATABASE_URL": url, "COOPMAP_REDIS_URL": private_redis.url, "COOPMAP_COOKIE_SECURE": "0"}
    yield {"env": env, "url": url, "redis": private_redis, "cluster": pg_cluster}
    pg_cluster.drop_database(name)


@pytest.fixture
def two_servers(shared: dict, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[list[Server]]:
    """Two servers, each with its own home; the test's ``rate`` mark sets their rate limit."""
    mark = request.node.get_closest_marker("rate")
    env = {**shared["env"], "COOPMAP_RATE_LIMIT": mark.args[0] if mark else "6000 per minute"}
    servers = [Server(tmp_path / f"host{i}", env) for i in (1, 2)]
    try:
        yield [server.wait_ready() for server in servers]
    finally:
        for server in servers:
            server.stop()


def _version(server: Server) -> str:
    return requests.get(server.url + "/health", timeout=10).json()["data_version"]


def _no_layer_files(home: Path) -> bool:
    return not (home / "layers").exists() and not (home / "manifest.json").exists()


def test_an_ingest_from_a_third_host_reaches_both_servers_within_2_s(two_servers, shared, tmp_path):
    a, b = two_servers
    before = _version(a)
    assert _version(b) == before
    items = "/ogc/collections/conflict-events/items?source_dataset=ucdp-ged&limit=1"
    assert requests.get(a.url + items, timeout=30).json()["numberMatched"] == 0  # the demo set only
    coopmap({**shared["env"], "COOPMAP_HOME": str(tmp_path / "host3")}, "ingest", "ucdp",
            str(require_shared_file(UCDP_SAMPLE)))
    ingested = time.monotonic()
    for server in (a, b):
        while _version(server) == before:
            assert time.monotonic() - ingested < 2.0, f"{server.url} still serves the old data version"
            time.sleep(0.05)
        page = requests.get(server.url + items, timeout=30)
        assert page.json()["numberMatched"] > 0
        assert page.json()["dataVersion"] != before
        assert _no_layer_files(server.home)


def _login(server: Server, token: str) -> requests.Session:
    client = requests.Session()
    form = client.get(server.url + "/login", timeout=10).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
    done = client.post(server.url + "/login", data={"token": token, "csrf_token": csrf}, timeout=10,
                       allow_redirects=False)
    assert done.status_code == 303, done.text
    return client


def _role(client: Any, server: Server, **headers: str) -> int:
    """The status of a planner-only request: the projects' exact sites are the planners'."""
    return client.get(server.url + "/ogc/collections/projects/items?limit=1", headers=headers, timeout=10)


def test_a_token_made_on_one_host_works_on_both_and_revocation_and_logout_reach_both(two_servers, shared, tmp_path):
    a, b = two_servers
    env = {**shared["env"], "COOPMAP_HOME": str(tmp_path / "host3")}
    token = coopmap(env, "tokens", "create", "--role", "planner", "--name", "field-office").stdout.strip()
    bearer = {"Authorization": f"Bearer {token}"}
    for server in (a, b):
        answer = _role(requests, server, **bearer)
        assert answer.status_code == 200
        assert answer.headers["Cache-Control"] == "private, no-store"  # a planner's view, not the public's
    # a session opened on A is the same session on B (one signing secret, sessions in the database)
    session = _login(a, token)
    assert "field-office" in session.get(b.url + "/logout", timeout=10).text
    # logging out on B ends the session on A too
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', session.get(b.url + "/logout", timeout=10).text).group(1)
    out = session.post(b.url + "/logout", data={"csrf_token": csrf}, timeout=10, allow_redirects=False)
    assert out.status_code == 303
    assert "field-office" not in session.get(a.url + "/logout", timeout=10).text
    # revoking the token from the third host ends it on both at once
    coopmap(env, "tokens", "revoke", "field-office")
    for server in (a, b):
        assert _role(requests, server, **bearer).status_code == 401


@pytest.mark.rate(f"{RATE} per minute")
def test_the_shared_rate_limit_trips_at_the_same_total_across_both_servers(two_servers):
    a, b = two_servers
    statuses = []
    for i in range(RATE + 2):  # alternate: A, B, A, B...
        server = (a, b)[i % 2]
        statuses.append(requests.get(server.url + "/ogc/conformance", timeout=10).status_code)
    # RATE requests in total pass, whichever server took them; the next ones are refused on both
    assert statuses[:RATE] == [200] * RATE
    assert statuses[RATE:] == [429, 429]
    refused = requests.get(a.url + "/ogc/conformance", timeout=10)
    assert refused.headers["Content-Type"].startswith("application/json")
    assert int(refused.headers["Retry-After"]) > 0


def test_redis_down_degrades_to_per_process_limits_not_an_outage(two_servers, shared):
    a, b = two_servers
    assert requests.get(a.url + "/health", timeout=10).json()["redis"] == {"status": "ok"}
    shared["redis"].stop()
    for server in (a, b):
        answer = requests.get(server.url + "/ogc/collections/conflict-events/items?limit=2", timeout=10)
        assert answer.status_code == 200
        assert answer.json()["numberReturned"] == 2
        health = requests.get(server.url + "/health", timeout=10)
        assert health.status_code == 200
        assert health.json()["status"] == "degraded"
        assert health.json()["redis"] == {"status": "unavailable"}
    assert "rate limits are per process until it returns" in a.log.read_text()


def test_postgresql_restarted_gives_503_with_retry_after_then_recovers_within_5_s(two_servers, shared):
    a, b = two_servers
    items = "/ogc/collections/conflict-events/items?limit=5"
    assert requests.get(a.url + items, timeout=10).status_code == 200
    cluster = shared["cluster"]
    cluster.stop_server()
    try:
        for server in (a, b):
            started = time.monotonic()
            answer = requests.get(server.url + items, timeout=30)
            assert answer.status_code == 503, answer.text
            assert answer.headers["Content-Type"].startswith("application/json")
            assert answer.json()["code"] == "ServiceUnavailable"
            assert int(answer.headers["Retry-After"]) > 0
            assert time.monotonic() - started < 10  # never a hung worker
            assert requests.get(server.url + "/health", timeout=30).status_code == 503
    finally:
        cluster.start_server()
    back = time.monotonic()
    for server in (a, b):
        while requests.get(server.url + items, timeout=30).status_code != 200:
            assert time.monotonic() - back < 5.0, f"{server.url} did not recover within 5 s"
            time.sleep(0.1)


def test_a_server_killed_under_load_loses_nothing_and_the_other_keeps_answering(two_servers):
    a, b = two_servers
    items = "/ogc/collections/conflict-events/items?limit=10"
    before = requests.get(b.url + items, timeout=10).json()
    answers: dict[str, list] = {"a": [], "b": []}

    def load(name: str, server: Server) -> None:
        for _ in range(30):
            try:
                answers[name].append(requests.get(server.url + items, timeout=10).status_code)
            except requests.ConnectionError:
                answers[name].append("refused")

    threads = [threading.Thread(target=load, args=(name, server)) for name, server in (("a", a), ("b", b))]
    for thread in threads:
        thread.start()
    while len(answers["a"]) < 5:
        time.sleep(0.01)
    a.kill()  # mid-load
    for thread in threads:
        thread.join(120)
    assert answers["b"] == [200] * 30
    assert "refused" in answers["a"]
    after = requests.get(b.url + items, timeout=10).json()
    assert (after["dataVersion"], after["numberMatched"]) == (before["dataVersion"], before["numberMatched"])
    with pytest.raises(requests.ConnectionError):
        requests.get(a.url + "/health", timeout=5)
