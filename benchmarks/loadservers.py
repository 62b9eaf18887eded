"""Processes for ``bench_load.py``: the URL mix and its probe, ``coopmap serve`` started, awaited and
stopped; the embedded workspace of the default mode; for the two-server mode, a private PostgreSQL +
PostGIS and Redis with the database built once; and CPU accounting.

The CPU accounting reads ``/proc``: the CPU seconds each server (its whole process group: gunicorn's
arbiter and workers), PostgreSQL (the postmaster and its backends), Redis and the load client (this
process) used during a phase, and the machine's busy time, so a run says where the two cores went.
"""

from __future__ import annotations

import http.client
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))

TICK = os.sysconf("SC_CLK_TCK")
PG_CONNECTIONS = 60
"""``max_connections`` of the private cluster (tests/pgcluster.py)."""
PG_PER_WORKER = 5
"""Connections one gunicorn worker may hold: its pool (at most 4) and its LISTEN connection."""
CANDIDATES = [
    # map pages and their data
    "/", "/map/COD", "/map-data/sites", "/map-data/choropleth", "/map-data/basemap",
    "/map-data/events?bbox=10,-5,35,15&zoom=5", "/map-data/chart/COD.svg", "/login",
    # OGC API - Features and downloads
    "/ogc", "/ogc/collections", "/ogc/collections/countries/items?limit=10",
    "/ogc/collections/projects/items?limit=100", "/ogc/collections/envr/items",
    "/ogc/collections/conflict-events/items?limit=100&bbox=-18,-12,45,25",
    "/ogc/collections/country-summary/items?limit=20", "/download/projects.geojson",
    "/download/envr.csv",
    # snapshots
    "/snapshot.png?layers=projects,envr", "/snapshot.png?iso3=COD&layers=projects,conflict-events",
]


def url_class(path: str) -> str:
    """The class a URL of the mix is reported under."""
    if path.startswith("/map-data/"):
        return "map data"
    if path.startswith("/ogc/collections/") and "/items" in path:
        return "items"
    if path.startswith("/download/"):
        return "downloads"
    if path.startswith("/snapshot"):
        return "snapshots"
    return "pages"


def seed_workspace(home: Path, events: int) -> str:
    """The default layers (countries, registries), synthetic demo events when this checkout has
    the ``demo-data`` command, and a planner token; return the token."""
    from geo.config import Settings
    from geo.ingest.defaults import ensure_defaults
    from geo.storage.store import ParquetStore
    from layers.tokens import FileTokenStore

    ensure_defaults(ParquetStore(home), Settings(home=home))
    env = dict(os.environ, COOPMAP_HOME=str(home), PYTHONPATH=str(REPO))
    demo = subprocess.run([sys.executable, "-m", "cli", "demo-data", "--events", str(events)], cwd=REPO,
                          env=env, capture_output=True, text=True)
    if demo.returncode == 0:
        print(f"seeded {events} synthetic demo events (synthetic demo data)")
    else:
        print(f"no demo events ({demo.stderr.strip().splitlines()[-1] if demo.stderr.strip() else 'failed'})")
    return FileTokenStore(home).create("bench-planner", "planner")


def probe(host: str, port: int) -> tuple[list[str], list[tuple[str, str]]]:
    """The candidate URLs that answer 200 on ``port``, and the others with the reason."""
    usable, skipped = [], []
    for path in CANDIDATES:
        try:
            with urllib.request.urlopen(f"http://{host}:{port}{path}", timeout=30) as response:
                response.read()
                usable.append(path)
        except urllib.error.HTTPError as exc:
            skipped.append((path, f"HTTP {exc.code}" + (" (not on this branch)" if exc.code == 404 else "")))
        except (urllib.error.URLError, TimeoutError) as exc:
            skipped.append((path, str(exc)))
    return usable, skipped


def start_server(home: Path, host: str, port: int, env: Mapping[str, str], workers: int | None, threads: int,
                 cpus: str | None = None, ready_path: str = "/login") -> subprocess.Popen:
    """``coopmap serve`` on ``home`` and ``port`` (gunicorn; Flask's development server when ``workers`` is
    None), pinned to ``cpus`` with ``taskset -c`` when given; returned once ``ready_path`` answers.

    The server runs in its own process group (its pid is the group's id), logging to
    ``home/server-PORT.log``.
    """
    home.mkdir(parents=True, exist_ok=True)
    command = [sys.executable, "-m", "cli", "serve", "--host", host, "--port", str(port)]
    command += ["--dev"] if workers is None else ["--workers", str(workers), "--threads", str(threads)]
    if cpus is not None:
        command = ["taskset", "-c", cpus, *command]
    log_path = home / f"server-{port}.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(command, cwd=REPO, env={**os.environ, **env, "COOPMAP_HOME": str(home),
                                                        "PYTHONPATH": str(REPO)},
                                stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    proc.log_path = log_path  # type: ignore[attr-defined]
    return wait_until_serving(proc, f"http://{host}:{port}{ready_path}", log_path, 120)


def wait_until_serving(proc: subprocess.Popen, url: str, log_path: Path, seconds: float) -> subprocess.Popen:
    """``proc`` once ``url`` answers; stop it and exit with its log's tail if it dies or is late."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {log_path.read_text()[-2000:]}")
        try:
            urllib.request.urlopen(url, timeout=2).read()
            return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.3)
    stop_server(proc)
    raise SystemExit(f"server did not start within {seconds:g} s")


def stop_server(proc: subprocess.Popen) -> None:
    """SIGTERM the server's process group (gunicorn stops gracefully); SIGKILL after 20 s."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


@dataclass
class Backend:
    """The shared database and Redis of the two-server mode, and the environment of every server."""

    cluster: object
    redis: object
    env: dict[str, str]
    token: str

    def postmaster(self) -> int | None:
        """The PostgreSQL server's pid (first line of ``postmaster.pid``)."""
        try:
            return int((self.cluster.data / "postmaster.pid").read_text().split()[0])  # type: ignore[attr-defined]
        except (OSError, ValueError, IndexError):
            return None

    def close(self) -> None:
        self.redis.close()  # type: ignore[attr-defined]
        self.cluster.stop()  # type: ignore[attr-defined]


def show_traceback(proc: subprocess.Popen) -> None:
    text = proc.log_path.read_text(errors="replace")  # type: ignore[attr-defined]
    if "Traceback" in text:
        print(f"server log (last traceback):\n{text[text.rfind('Traceback'):][-3000:]}")


def start_backend(root: Path, events: int, rate_limit: str) -> Backend:
    """A private PostgreSQL + PostGIS (durable: fsync on) and Redis; the database made as an operator
    makes it (``coopmap db init``, then ``coopmap init`` with ``events`` demo events, from a setup home)
    and a planner token (``coopmap tokens create``); exits with the reason when the binaries are absent."""
    from pgcluster import PrivateCluster, missing_reason
    from redisserver import REDIS_SERVER, PrivateRedis

    reason = missing_reason() or (None if REDIS_SERVER.exists() else f"{REDIS_SERVER} is missing")
    if reason:
        raise SystemExit(f"two-server mode needs PostgreSQL + PostGIS and Redis: {reason}")
    cluster = PrivateCluster(durable=True).start()
    redis = None
    try:
        url = cluster.create_database("coopmap_bench")
        redis = PrivateRedis().start()
        # the load client stands for a load balancer on this host: it names each client in X-Forwarded-For
        env = {"COOPMAP_DATABASE_URL": url, "COOPMAP_REDIS_URL": redis.url, "COOPMAP_COOKIE_SECURE": "0",
               "COOPMAP_RATE_LIMIT": rate_limit, "COOPMAP_PROXY_HOPS": "1"}
        setup = {**env, "COOPMAP_HOME": str(root / "setup"), "COOPMAP_DEMO_EVENTS": str(events)}
        started = time.perf_counter()
        for command in (["db", "init"], ["init"]):
            _coopmap(setup, *command)
        token = _coopmap(setup, "tokens", "create", "--role", "planner", "--name", "bench-planner").strip()
        print(f"database built in {time.perf_counter() - started:.1f} s ({events:,} synthetic demo events, "
              f"synthetic demo data); PostgreSQL on port {cluster.port}, Redis on {redis.url}")
        return Backend(cluster, redis, env, token)
    except BaseException:
        if redis is not None:
            redis.close()
        cluster.stop()
        raise


def _coopmap(env: Mapping[str, str], *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "cli", *args], cwd=REPO, capture_output=True, text=True,
                          env={**os.environ, **env, "PYTHONPATH": str(REPO)})
    if done.returncode:
        raise SystemExit(f"coopmap {' '.join(args)} failed: {done.stderr[-2000:]}")
    return done.stdout


@dataclass
class CpuSample:
    """CPU seconds used so far by each group of processes, and the machine's busy/total seconds."""

    groups: dict[str, float] = field(default_factory=dict)
    busy: float = 0.0
    total: float = 0.0

    def minus(self, before: CpuSample) -> CpuSample:
        return CpuSample({k: v - before.groups.get(k, 0.0) for k, v in self.groups.items()},
                         self.busy - before.busy, self.total - before.total)


def cpu_sample(servers: Mapping[str, int], postmaster: int | None = None, redis: int | None = None) -> CpuSample:
    """CPU seconds (user + system) of each server's process group (``servers``: name → group id), of
    PostgreSQL (the postmaster and its children), Redis and this process (``client``), and of the machine.

    A process that exits during a phase takes its CPU time with it; none of these should.
    """
    sample = CpuSample({name: 0.0 for name in [*servers, "postgresql", "redis", "client"]})
    by_group = {pgid: name for name, pgid in servers.items()}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rfind(")") + 2:].split()  # after "pid (comm) "
        pid, ppid, pgrp = int(entry.name), int(fields[1]), int(fields[2])
        seconds = (int(fields[11]) + int(fields[12])) / TICK
        if pgrp in by_group:
            sample.groups[by_group[pgrp]] += seconds
        elif postmaster is not None and postmaster in (pid, ppid):
            sample.groups["postgresql"] += seconds
        elif pid == redis:
            sample.groups["redis"] += seconds
        elif pid == os.getpid():
            sample.groups["client"] += seconds
    cpu = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    ticks = [int(value) for value in cpu[:8]]  # user nice system idle iowait irq softirq steal
    sample.total = sum(ticks) / TICK
    sample.busy = (sum(ticks) - ticks[3] - ticks[4]) / TICK
    return sample


def print_cpu(cpu: CpuSample, wall: float, requests: int, clients: int) -> float:
    """Where the CPU went during a phase, in cores (CPU seconds / wall seconds), and what it means: the
    service's CPU per request (servers, PostgreSQL, Redis), the throughput the machine's cores could give
    at that cost if nothing else ran, and the mean latency ``clients`` closed-loop clients must then
    see at the least (Little's law: clients = throughput × latency). Returns that throughput."""
    parts = [f"{name} {seconds / wall:.2f}" for name, seconds in cpu.groups.items()]
    other = cpu.busy - sum(cpu.groups.values())
    print(f"{'':<6}CPU (cores, over {wall:.1f} s): {', '.join(parts)}, other processes {max(other, 0) / wall:.2f}; "
          f"machine busy {cpu.busy / wall:.2f} of {cpu.total / wall:.2f}")
    service = sum(seconds for name, seconds in cpu.groups.items() if name != "client")
    if not requests or not service:
        return float("nan")
    per_request, cores = service / requests, cpu.total / wall
    ceiling = cores / per_request
    print(f"{'':<6}service CPU {per_request * 1000:.1f} ms per request (client "
          f"{cpu.groups['client'] / requests * 1000:.2f} ms): at most {ceiling:.0f} req/s on {cores:.0f} CPUs if "
          f"nothing else ran; {clients} clients with no pause then wait >= {clients / ceiling:.2f} s on average")
    return ceiling


def print_costs(host: str, port: int, paths: list[str], token: str, server: int, n: int) -> None:
    """Each URL's server CPU per request (ms) in the steady state: ``n`` requests of it one at a time on
    one keep-alive connection (so one gunicorn worker; half as a planner), after two unmeasured ones (that
    worker's caches filled), the CPU of the server's process group measured around them."""
    costs = {}
    connection = http.client.HTTPConnection(host, port, timeout=120)

    def fetch(path: str, times: int) -> None:
        for i in range(times):
            connection.request("GET", path, headers={"Authorization": f"Bearer {token}"} if i % 2 else {})
            connection.getresponse().read()

    for path in paths:
        fetch(path, 2)
        before = cpu_sample({"server": server}).groups["server"]
        fetch(path, n)
        costs[path] = (cpu_sample({"server": server}).groups["server"] - before) / n * 1000
    connection.close()
    ranked = sorted(costs.items(), key=lambda item: -item[1])
    mean = sum(costs.values()) / len(costs)
    print(f"server CPU per request, one at a time ({n} each, ms; mean over the mix {mean:.1f}): "
          + ", ".join(f"{path} {ms:.1f}" for path, ms in ranked))
