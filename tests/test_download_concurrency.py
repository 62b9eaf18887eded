"""Concurrent downloads by several roles over real HTTP while files are evicted under them.

Before, a download response was sent from the cache file's PATH: one role's clean-up of "stale"
files (another role's view has another data version) deleted files that other responses were about
to send, and 6 public + 6 planner concurrent GeoPackage downloads gave 4-6 HTTP 500s
(FileNotFoundError in send_file). Now a response streams from a file it opened first.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pyogrio
import requests

from layers.tokens import FileTokenStore
from tests.live import serve
from webmap import downloads

CLIENTS_PER_ROLE = 6
ROUNDS = 3


def test_concurrent_downloads_of_two_roles_survive_a_concurrent_eviction(app_factory, home, monkeypatch, tmp_path):
    monkeypatch.setattr(downloads, "MIN_CACHED_BYTES", 0, raising=False)  # every file goes through the cache
    planner = FileTokenStore(home).create("concurrent-planner", "planner")
    app = app_factory(COOPMAP_RATE_LIMIT="off")
    folder = home / "cache" / "downloads"
    stop = threading.Event()
    removed: list[str] = []

    def evict_everything() -> None:
        # The harshest eviction there is: whatever another process or role may do, every cached
        # file disappears as soon as it appears.
        while not stop.is_set():
            for path in folder.glob("coopmap-*"):
                path.unlink(missing_ok=True)
                removed.append(path.name)
            time.sleep(0.0005)

    def fetch(i: int) -> tuple[str, int, bytes]:
        role = "planner" if i % 2 else "public"
        headers = {"Authorization": f"Bearer {planner}"} if role == "planner" else {}
        response = requests.get(f"{base}/download/conflict-events.gpkg", headers=headers, timeout=120)
        return role, response.status_code, response.content

    evictor = threading.Thread(target=evict_everything, daemon=True)
    results: list[tuple[str, int, bytes]] = []
    with serve(app) as base:
        evictor.start()
        try:
            with ThreadPoolExecutor(2 * CLIENTS_PER_ROLE) as pool:
                for _ in range(ROUNDS):
                    results += pool.map(fetch, range(2 * CLIENTS_PER_ROLE))
        finally:
            stop.set()
            evictor.join(5)
    statuses = [status for _, status, _ in results]
    assert statuses == [200] * (2 * CLIENTS_PER_ROLE * ROUNDS), statuses
    assert removed, "the eviction must have removed files during the downloads"
    rows: dict[str, set[int]] = {"public": set(), "planner": set()}
    for i, (role, _, content) in enumerate(results):
        path = tmp_path / f"{i}.gpkg"
        path.write_bytes(content)
        frame = pyogrio.read_dataframe(path)
        rows[role].add(len(frame))
    # Every download of a role is the same complete layer: one row count per role, never a torn file.
    assert len(rows["public"]) == 1 and len(rows["planner"]) == 1
    assert min(rows["public"] | rows["planner"]) > 0
