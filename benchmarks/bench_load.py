"""Load test: `coopmap serve` (gunicorn) against `coopmap serve --dev` under many concurrent clients on loopback.

Starts the server on a fresh workspace (default layers plus synthetic demo events), probes a mix of
map, API and snapshot URLs (those that answer 200 are used; the others are listed as skipped),
then runs N keep-alive clients for D seconds and prints errors, p50/p99 latency and requests/s.
The baseline, measured in the same run on the same mix, is the single-process development server
(``coopmap serve``).

    /work/main/.venv/bin/python benchmarks/bench_load.py              # 200 clients, 60 s
    /work/main/.venv/bin/python benchmarks/bench_load.py --clients 50 --duration 10 --baseline 5
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

LOOPBACK = {"127.0.0.1", "::1", "localhost"}
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


@dataclass
class Result:
    latencies: list[float] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1


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


def start_server(args: argparse.Namespace, home: Path, port: int, production: bool) -> subprocess.Popen:
    env = dict(os.environ, COOPMAP_HOME=str(home), COOPMAP_COOKIE_SECURE="0",
               COOPMAP_RATE_LIMIT=args.rate_limit, PYTHONPATH=str(REPO))
    command = [sys.executable, "-m", "cli", "serve", "--host", args.host, "--port", str(port)]
    # gunicorn is the default; --dev is Flask's development server, the baseline
    command += ["--workers", str(args.workers), "--threads", str(args.threads)] if production else ["--dev"]
    log = open(home / f"server-{port}.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=log,
                            start_new_session=True)
    proc.log_path = home / f"server-{port}.log"  # type: ignore[attr-defined]
    return wait_until_serving(proc, f"http://{args.host}:{port}/login", proc.log_path, 60)


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
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def probe(host: str, port: int) -> tuple[list[str], list[tuple[str, str]]]:
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


async def fetch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str,
                auth: str | None) -> tuple[int, bool]:
    extra = f"Authorization: Bearer {auth}\r\n" if auth else ""
    writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: keep-alive\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:] if line)}
    if "content-length" in headers:
        await reader.readexactly(int(headers["content-length"]))
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        while True:
            size = int((await reader.readline()).split(b";")[0], 16)
            await reader.readexactly(size + 2)
            if size == 0:
                break
    keep = headers.get("connection", "").lower()
    return status, keep == "close" or (lines[0].startswith("HTTP/1.0") and keep != "keep-alive")


async def client(n: int, host: str, port: int, paths: list[str], token: str, stop: float, result: Result) -> None:
    reader = writer = None
    i = n
    while time.monotonic() < stop:
        path = paths[i % len(paths)]
        auth = token if i % 4 == 0 else None  # a quarter of the requests as a planner
        i += 1
        start = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(host, port)
            status, close = await asyncio.wait_for(fetch(reader, writer, host, path, auth), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            result.error(type(exc).__name__)
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        result.latencies.append(time.perf_counter() - start)
        if status >= 400:
            result.error(f"HTTP {status} {path}")
        if close:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def run_load(host: str, port: int, paths: list[str], token: str, clients: int, duration: float) -> Result:
    result = Result()
    stop = time.monotonic() + duration
    await asyncio.gather(*(client(n, host, port, paths, token, stop, result) for n in range(clients)))
    return result


def report(label: str, result: Result, duration: float) -> float:
    lat = np.array(result.latencies) * 1000
    rps = len(lat) / duration
    errors = sum(result.errors.values())
    p50, p99 = (np.percentile(lat, 50), np.percentile(lat, 99)) if len(lat) else (float("nan"),) * 2
    print(f"{label:<34} requests {len(lat):>7}  errors {errors:>5}  {rps:8.1f} req/s  "
          f"p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    if result.errors:
        print(f"{'':<34} errors by kind: {result.errors}")
    return rps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address only")
    parser.add_argument("--port", type=int, default=5109)
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (1-1000)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load (1-600)")
    parser.add_argument("--baseline", type=float, default=15,
                        help="seconds of load on the development server, for the ratio (0 skips it)")
    parser.add_argument("--workers", type=int, default=min(2 * (os.cpu_count() or 1) + 1, 9))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--events", type=int, default=50_000, help="synthetic demo events to load")
    parser.add_argument("--rate-limit", default="10000000 per minute",
                        help="COOPMAP_RATE_LIMIT for the run: every client shares one loopback address")
    args = parser.parse_args()
    if args.host not in LOOPBACK:
        parser.error(f"--host {args.host!r}: only loopback addresses ({', '.join(sorted(LOOPBACK))})")
    if not (1 <= args.clients <= 1000 and 1 <= args.duration <= 600 and 0 <= args.baseline <= 600):
        parser.error("--clients must be 1-1000, --duration 1-600 s, --baseline 0-600 s")

    home = Path(tempfile.mkdtemp(prefix="coopmap-bench-load-"))
    try:
        token = seed_workspace(home, args.events)
        print(f"workspace {home}; rate limit {args.rate_limit}")
        figures = {}
        for label, production, seconds, port in (
            (f"gunicorn {args.workers}w x {args.threads}t", True, args.duration, args.port),
            ("development server (baseline)", False, args.baseline, args.port + 1),
        ):
            if seconds <= 0:
                continue
            proc = start_server(args, home, port, production)
            try:
                paths, skipped = probe(args.host, port)
                if production:
                    print(f"mix ({len(paths)} URLs, 1 in 4 requests as a planner): {' '.join(paths)}")
                    for path, why in skipped:
                        print(f"  skipped {path}: {why}")
                if not paths:
                    raise SystemExit("no URL answers 200")
                asyncio.run(run_load(args.host, port, paths, token, args.clients, min(3.0, seconds)))  # warm-up
                result = asyncio.run(run_load(args.host, port, paths, token, args.clients, seconds))
                figures[label] = report(f"{label}, {args.clients} clients, {seconds:.0f} s", result, seconds)
                if any(kind.startswith("HTTP 5") for kind in result.errors):
                    text = proc.log_path.read_text(errors="replace")
                    print(f"server log (last traceback):\n{text[text.rfind('Traceback'):][-3000:]}")
            finally:
                stop_server(proc)
        if len(figures) == 2:
            production_rps, baseline_rps = figures.values()
            print(f"ratio gunicorn / development server: {production_rps / baseline_rps:.2f}x requests/s")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
