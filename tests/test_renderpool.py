"""The render pool: a small snapshot is not starved by a flood of large ones; refusals say when to retry.

The flood tests run a real HTTP server (``tests/live.py``) and real concurrent clients; hostile
clients of their own address bind loopback source addresses 127.0.0.2… (Linux routes all of
127/8 to loopback), so the server sees distinct clients.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
import time
from pathlib import Path

import pytest

from geo.errors import InvalidParameter
from layers.tokens import FileTokenStore
from tests.live import serve
from webmap import create_app
from webmap.renderpool import RenderPool, RenderPoolBusy, TooManyRenders, pool_options, render_pool

LARGE = "width=4000&height=4000&layers=country-summary,conflict-events"
"""A public 4000×4000 render: several seconds of one CPU."""
SMALL = "view=great-lakes&width=400&height=300"
SMALL_WALL = 3.0
"""The issue's acceptance: a small snapshot during a flood answers within 3 s (generous: warm
render processes make it well under one second on an idle machine)."""


def _get(base: str, path: str, token: str | None = None, source: str | None = None) -> tuple[int, dict, bytes, float]:
    """GET ``path``: status, headers, body and wall seconds; from loopback address ``source``."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=120,
                                            source_address=(source, 0) if source else None)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    started = time.monotonic()
    try:
        connection.request("GET", path, headers=headers)
        response = connection.getresponse()
        body = response.read()
        return response.status, dict(response.getheaders()), body, time.monotonic() - started
    finally:
        connection.close()


def _flood(base: str, sources: list[str | None]) -> tuple[list[tuple[int, dict, bytes, float]], list[threading.Thread]]:
    """Start one large render per source (distinct titles: no cache hit helps them)."""
    results: list[tuple[int, dict, bytes, float]] = []

    def hostile(n: int, source: str | None) -> None:
        results.append(_get(base, f"/snapshot.png?{LARGE}&title=flood-{n}-{time.time_ns()}", source=source))

    threads = [threading.Thread(target=hostile, args=(n, source)) for n, source in enumerate(sources)]
    for thread in threads:
        thread.start()
    return results, threads


@pytest.fixture
def planner(home: Path) -> str:
    return FileTokenStore(home).create("pool-planner", "planner")


def _live_app(home: Path, **config: object):
    return create_app({"TESTING": True, "COOPMAP_HOME": str(home), "COOPMAP_RENDER_WORKERS": 2,
                       "COOPMAP_RENDER_PER_CLIENT": 1, "COOPMAP_RATE_LIMIT": "off", **config})


def _warm(base: str, token: str) -> None:
    """Both render processes started and holding the data (a running server, not a cold one)."""
    warm = [threading.Thread(target=_get, args=(base, f"/snapshot.png?{SMALL}&title=warm-{n}", who, source))
            for n, (who, source) in enumerate(((token, None), (None, "127.0.0.9")))]
    for thread in warm:
        thread.start()
    for thread in warm:
        thread.join()


def _assert_refusal(status: int, headers: dict, body: bytes, expected: int) -> None:
    assert status == expected
    assert int(headers["Retry-After"]) > 0
    payload = json.loads(body)
    assert payload["code"] == ("TooManyRequests" if expected == 429 else "ServiceUnavailable")
    # the rate limiter, when on, may push the header later (to its own window's end), never earlier
    assert 0 < payload["retry_after"] <= int(headers["Retry-After"])


def test_small_snapshot_answers_during_a_flood_from_one_address(home: Path, planner: str):
    app = _live_app(home)
    with serve(app) as base:
        _warm(base, planner)
        results, threads = _flood(base, [None] * 5)
        time.sleep(0.5)  # the flood is admitted (one render) or refused before the planner asks
        status, _, _, wall = _get(base, f"/snapshot.png?{SMALL}&title=planner", planner)
        for thread in threads:
            thread.join()
        render_pool(app).shutdown()
    assert status == 200
    assert wall < SMALL_WALL
    statuses = sorted(r[0] for r in results)
    # one render per client: the first large one is drawn, the four others refused at once
    assert statuses == [200, 429, 429, 429, 429]
    for result in results:
        if result[0] == 429:
            _assert_refusal(*result[:3], 429)
            assert result[3] < SMALL_WALL  # refused, not queued


def test_small_snapshot_answers_during_a_flood_from_many_addresses(home: Path, planner: str):
    # 2 render slots, 1 of them for heavy renders; queue of 2: of five distinct large clients,
    # 1 renders, 2 wait, 2 are refused with 503; the planner's small one takes the free slot.
    app = _live_app(home, COOPMAP_RENDER_QUEUE=2)
    with serve(app) as base:
        _warm(base, planner)
        results, threads = _flood(base, [f"127.0.0.{n}" for n in range(2, 7)])
        time.sleep(0.5)
        status, _, _, wall = _get(base, f"/snapshot.png?{SMALL}&title=planner", planner)
        for thread in threads:
            thread.join()
        render_pool(app).shutdown()
    assert status == 200
    assert wall < SMALL_WALL
    statuses = sorted(r[0] for r in results)
    assert statuses == [200, 200, 200, 503, 503]
    for result in results:
        if result[0] == 503:
            _assert_refusal(*result[:3], 503)
    assert not any(r[0] >= 500 and r[0] != 503 for r in results)


def test_cache_hits_and_304s_take_no_render_slot(app_factory):
    app = app_factory(COOPMAP_RENDER_WORKERS=1)
    client = app.test_client()
    first = client.get(f"/snapshot.png?{SMALL}")
    assert first.status_code == 200
    pool = render_pool(app)
    with pool.admitted("ip:127.0.0.1"):  # this client's only render slot is taken
        hit = client.get(f"/snapshot.png?{SMALL}")
        revalidated = client.get(f"/snapshot.png?{SMALL}", headers={"If-None-Match": first.headers["ETag"]})
        miss = client.get(f"/snapshot.png?{SMALL}&title=new")
    assert (hit.status_code, hit.headers["X-Snapshot-Cache"], hit.data) == (200, "hit", first.data)
    assert revalidated.status_code == 304
    _assert_refusal(miss.status_code, miss.headers, miss.data, 429)
    pool.shutdown()


def test_admission_per_client_and_queue(tmp_path: Path):
    pool = RenderPool(pool_options({"COOPMAP_RENDER_WORKERS": 1, "COOPMAP_RENDER_QUEUE": 1,
                                    "COOPMAP_RENDER_WAIT": 0.2}, {}), tmp_path)
    with pool.admitted("ip:a"):
        with pytest.raises(TooManyRenders):
            with pool.admitted("ip:a"):
                pass
        # another client waits in the queue (0.2 s here) for the one render slot, then gives up
        started = time.monotonic()
        with pytest.raises(RenderPoolBusy, match="waited"):
            with pool.admitted("ip:b"):
                pass
        assert time.monotonic() - started >= 0.2
    with pool.admitted("ip:b"):  # the slot is free again
        pass


def test_full_queue_refuses_at_once(tmp_path: Path):
    pool = RenderPool(pool_options({"COOPMAP_RENDER_WORKERS": 1, "COOPMAP_RENDER_QUEUE": 1,
                                    "COOPMAP_RENDER_WAIT": 5}, {}), tmp_path)
    waiting = threading.Event()
    served: list[str] = []

    def queued() -> None:
        waiting.set()
        with pool.admitted("ip:b"):  # waits in the queue until ip:a is done
            served.append("ip:b")

    with pool.admitted("ip:a"):
        thread = threading.Thread(target=queued)
        thread.start()
        waiting.wait()
        time.sleep(0.2)  # ip:b holds the only queue ticket
        started = time.monotonic()
        with pytest.raises(RenderPoolBusy, match="queue full"):
            with pool.admitted("ip:c"):
                pass
        assert time.monotonic() - started < 1
    thread.join()
    assert served == ["ip:b"]


def test_pool_runs_a_picklable_function_and_shuts_down(tmp_path: Path):
    pool = RenderPool(pool_options({"COOPMAP_RENDER_WORKERS": 1}, {}), tmp_path)
    worker = pool.run(os.getpid, client="ip:a")
    assert worker != os.getpid()
    pool.shutdown()
    with pytest.raises(ProcessLookupError):
        for _ in range(50):
            os.kill(worker, 0)
            time.sleep(0.1)


@pytest.mark.parametrize("name, value", [("COOPMAP_RENDER_WORKERS", "0"), ("COOPMAP_RENDER_PER_CLIENT", "many"),
                                         ("COOPMAP_RENDER_WAIT", "-1")])
def test_bad_pool_options_name_the_setting(name: str, value: str):
    with pytest.raises(InvalidParameter, match=name):
        pool_options({}, {name: value})


def test_identical_requests_from_one_client_share_one_render(home: Path):
    # per-client limit 1, yet four concurrent identical misses all answer: one renders, three
    # wait for its key and read the file it cached (on the limit alone, three would be 429)
    app = _live_app(home)
    with serve(app) as base:
        results: list[tuple[int, dict, bytes, float]] = []
        threads = [threading.Thread(target=lambda: results.append(_get(base, f"/snapshot.png?{SMALL}&title=same")))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        render_pool(app).shutdown()
    assert [r[0] for r in results] == [200] * 4
    assert len({r[2] for r in results}) == 1


def test_idle_pool_gives_its_processes_back(tmp_path: Path):
    pool = RenderPool(pool_options({"COOPMAP_RENDER_WORKERS": 1, "COOPMAP_RENDER_IDLE": 0.5}, {}), tmp_path)
    worker = pool.run(os.getpid, client="ip:a")
    with pytest.raises(ProcessLookupError):
        for _ in range(100):  # 0.5 s idle, then the reaper stops the process
            os.kill(worker, 0)
            time.sleep(0.1)
    assert pool.run(os.getpid, client="ip:a") != worker  # a new process on the next render
    pool.shutdown()


def test_render_processes_yield_the_cpu_to_the_web_workers(tmp_path: Path):
    # a render process runs 10 steps nicer than the process that serves the requests
    pool = RenderPool(pool_options({"COOPMAP_RENDER_WORKERS": 1}, {}), tmp_path)
    assert pool.run(os.nice, 0, client="ip:a") == os.nice(0) + 10
    pool.shutdown()

