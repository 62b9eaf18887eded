"""The items-API side of bench_postgis.py: three servers on one PostGIS table, and the client.

- coopmap: gunicorn, 2 gthread workers x 4 threads (as ``coopmap serve --workers 2``) with
  ``COOPMAP_DATABASE_URL`` set; the code of this checkout. The app is built in each worker (not
  ``coopmap serve``, which builds it before the fork, so that both workers share the store pool's
  connections and mix up each other's results: 500s under concurrent load).
- tipg 1.6.1: ``uvicorn tipg.main:app --workers 2`` from its own venv ``/tmp/tipg-venv`` (created
  here with ``pip install tipg==1.6.1 uvicorn``; never the project venv). tipg publishes every table
  with a primary key or an id column: ``coopmap.layer_conflict_events`` already has ``fid bigint``
  as its primary key (the stored order), so tipg needs nothing added; its collection is
  ``coopmap.layer_conflict_events`` and its feature ids are ``fid``.
- pygeoapi: its PostgreSQL provider (``pygeoapi_server.setup_pygeoapi_postgres``), gunicorn, 2 sync
  workers, ``id_field: fid``.

The client is urllib3 with one keep-alive connection per client thread; a latency is the time
until the whole body is received (the JSON is not parsed inside the clock).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import orjson
import urllib3

REPO = Path(__file__).resolve().parent.parent
TIPG_VENV = Path("/tmp/tipg-venv")
TIPG_VERSION = "1.6.1"
LIMIT = 1000


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    """One running server: its name, its items URL, the query suffix it needs, its process."""

    name: str
    items: str
    process: subprocess.Popen
    suffix: str = ""
    log: Path | None = None
    pids: list[int] = field(default_factory=list)

    def url(self, query: str) -> str:
        return f"{self.items}?{query}{self.suffix}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _wait(server: Server, timeout: float = 300) -> Server:
    http = urllib3.PoolManager()
    deadline = time.time() + timeout
    url = server.url("limit=1&bbox=0,0,0.001,0.001")
    while time.time() < deadline:
        if server.process.poll() is not None:
            tail = server.log.read_text()[-2000:] if server.log and server.log.exists() else ""
            raise RuntimeError(f"{server.name} exited with {server.process.returncode}: {tail}")
        try:
            if http.request("GET", url, timeout=urllib3.Timeout(connect=5, read=600), retries=False).status == 200:
                return server
        except urllib3.exceptions.HTTPError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{server.name} did not answer {url} within {timeout} s")


def _popen(command: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen:
    return subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=open(log, "wb"))


def start_coopmap(url: str, work: Path, workers: int = 2) -> Server:
    """coopmap's gunicorn on the database at ``url`` (the layers must be written already)."""
    port = free_port()
    home = work / "coopmap-home"
    home.mkdir(exist_ok=True)
    env = {**os.environ, "COOPMAP_DATABASE_URL": url, "COOPMAP_HOME": str(home), "COOPMAP_RATE_LIMIT": "off"}
    log = work / "coopmap.log"
    # gunicorn builds the app in each worker, as ``coopmap serve`` would but after the fork: ``serve``
    # builds it before forking, and its workers then share the store pool's PostgreSQL connections.
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", "4", "-k", "gthread",
               "-b", f"127.0.0.1:{port}", "--timeout", "600", "webmap:create_app()"]
    server = Server("coopmap", f"http://127.0.0.1:{port}/ogc/collections/conflict-events/items",
                    _popen(command, env, log, REPO), log=log)
    return _wait(server)


def _tipg_python() -> Path:
    python = TIPG_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run(["python3", "-m", "venv", str(TIPG_VENV)], check=True)
    probe = subprocess.run([str(python), "-c", "import tipg, uvicorn"], capture_output=True)
    if probe.returncode:
        subprocess.run([str(TIPG_VENV / "bin" / "pip"), "install", "-q", f"tipg=={TIPG_VERSION}", "uvicorn"],
                       check=True)
    return python


def start_tipg(url: str, schema: str, table: str, work: Path, workers: int = 2) -> Server:
    """tipg (uvicorn, ``workers`` processes) publishing the tables of ``schema``."""
    python = _tipg_python()
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "TIPG_DB_SCHEMAS": f'["{schema}"]',
           "TIPG_MAX_FEATURES_PER_QUERY": "10000", "TIPG_DEBUG": "FALSE"}
    log = work / "tipg.log"
    command = [str(python), "-m", "uvicorn", "tipg.main:app", "--host", "127.0.0.1", "--port", str(port),
               "--workers", str(workers), "--log-level", "warning", "--no-access-log"]
    server = Server("tipg", f"http://127.0.0.1:{port}/collections/{schema}.{table}/items",
                    _popen(command, env, log, work), log=log)
    return _wait(server)


def start_pygeoapi(url: str, schema: str, table: str, work: Path, workers: int = 2) -> Server:
    """pygeoapi's PostgreSQL provider on ``schema.table`` (gunicorn, ``workers`` sync workers)."""
    from pygeoapi_server import setup_pygeoapi_postgres

    port = free_port()
    command, env = setup_pygeoapi_postgres(work, url, schema, table, port, workers)
    log = work / "pygeoapi.log"
    server = Server("pygeoapi", f"http://127.0.0.1:{port}/collections/events/items",
                    _popen(command, env, log, work), suffix="&f=json", log=log)
    return _wait(server)


def country_boxes(x: np.ndarray, y: np.ndarray, count: int, seed: int = 11, share: tuple[float, float] = (0.05, 0.10),
                  ) -> list[tuple[float, float, float, float, int]]:
    """``count`` random country-sized boxes (6-14 degrees a side, centred on a random event), each
    holding between ``share[0]`` and ``share[1]`` of the events; with the number each holds."""
    rng = np.random.default_rng(seed)
    found: list[tuple[float, float, float, float, int]] = []
    low, high = share[0] * len(x), share[1] * len(x)
    for _ in range(20_000):
        i = rng.integers(len(x))
        w, h = rng.uniform(6, 14, 2)
        box = (round(x[i] - w / 2, 4), round(y[i] - h / 2, 4), round(x[i] + w / 2, 4), round(y[i] + h / 2, 4))
        inside = int(np.count_nonzero((x >= box[0]) & (x <= box[2]) & (y >= box[1]) & (y <= box[3])))
        if low <= inside <= high:
            found.append((*box, inside))
            if len(found) == count:
                return found
    raise RuntimeError(f"only {len(found)} boxes holding {share} of the events found")


def bbox_query(box: tuple[float, ...]) -> str:
    return f"bbox={box[0]},{box[1]},{box[2]},{box[3]}&limit={LIMIT}"


def load(server: Server, queries: list[str], clients: int) -> dict[str, float]:
    """Send ``queries`` (each once) from ``clients`` threads; req/s, p50 and p99 (ms), errors, bytes."""
    pool = urllib3.PoolManager(maxsize=clients, block=True, timeout=urllib3.Timeout(connect=10, read=600),
                               retries=False)
    latencies: list[float] = []
    sizes: list[int] = []
    errors: list[str] = []
    lock = threading.Lock()

    def one(query: str) -> None:
        t0 = time.perf_counter()
        try:
            response = pool.request("GET", server.url(query))
            body, status = response.data, response.status
        except urllib3.exceptions.HTTPError as exc:
            body, status = b"", repr(exc)
        elapsed = (time.perf_counter() - t0) * 1000
        with lock:
            if status == 200:
                latencies.append(elapsed)
                sizes.append(len(body))
            else:
                errors.append(f"{status} {body[:200]!r}")

    start = time.perf_counter()
    with ThreadPoolExecutor(clients) as executor:
        list(executor.map(one, queries))
    total = time.perf_counter() - start
    pool.clear()
    return {
        "rps": len(latencies) / total,
        "p50": float(np.percentile(latencies, 50)) if latencies else float("nan"),
        "p99": float(np.percentile(latencies, 99)) if latencies else float("nan"),
        "errors": len(errors), "first_error": errors[0] if errors else "",
        "kb": float(np.mean(sizes)) / 1024 if sizes else float("nan"),
    }


def first_page(server: Server, query: str) -> tuple[int | None, list[str], int, set[str]]:
    """numberMatched, the event_ids of the page (in its order), the number of features and the
    property names of ``query``'s page."""
    response = urllib3.request("GET", server.url(query), timeout=urllib3.Timeout(connect=10, read=600))
    if response.status != 200:
        raise RuntimeError(f"{server.name} {query}: {response.status} {response.data[:300]!r}")
    doc = orjson.loads(response.data)
    ids = [str(f["properties"].get("event_id")) for f in doc["features"]]
    names = set().union(*(f["properties"] for f in doc["features"])) if doc["features"] else set()
    return doc.get("numberMatched"), ids, len(doc["features"]), names
