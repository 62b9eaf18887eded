"""Load test: many concurrent keep-alive clients on loopback against ``coopmap serve``.

Default mode: gunicorn against Flask's development server. Starts the server on a fresh workspace
(default layers plus synthetic demo events), probes a mix of map, API, download and snapshot URLs
(those that answer 200 are used; the others are listed as skipped), then runs N clients for D
seconds and prints errors, p50/p99 latency (overall and per class of URL) and requests/s. The
baseline, measured in the same run on the same mix, is the single-process development server.

Two-server mode (``--two-servers``, issue 16): a private PostgreSQL + PostGIS and a private Redis, the
database built once (``coopmap db init``, ``coopmap init`` with ``--events`` demo events), then two
``coopmap serve`` with separate COOPMAP_HOME directories on two ports, both on that database and
Redis (rate limit off unless ``--rate-limit`` is given; each client names its own address in
X-Forwarded-For, as a load balancer would, and the servers trust one proxy hop). After every URL of
the mix was fetched once from each server (its disk caches filled), for each core split (``--splits``):
``shared`` (nothing pinned) and ``pinned`` (server A on core 0, server B on core 1 with ``taskset``;
PostgreSQL, Redis and the client unpinned), the same load runs on server A alone, then on both (each
client connection goes to the next server in turn), for the same duration. It prints req/s, p50/p99
per class, errors and 5xx for one and for two, the ratio two/one against the goal (>= 1.6x, 0 errors,
p99 <= 1 s for map data and items), and where the CPU went in each phase (servers, PostgreSQL,
Redis, this client process, other processes on the machine).

Measured 2026-11-30 (2 CPUs, otherwise idle; 50,000 events; 400 clients, 30 s per phase; 5 workers x
4 threads per server; 0 errors, 0 5xx): pinned, one server 277 req/s, two 493 req/s (1.78x); shared,
one 505, two 483 (0.96x: one unpinned server already uses both cores). CPU-bound at ~3.7 ms of server
CPU per request; p99 1.9 s for map data and items, since 400 clients that never pause wait >= 0.73 s
on average by queueing alone (Little's law).

    /work/main/.venv/bin/python benchmarks/bench_load.py              # 200 clients, 60 s
    /work/main/.venv/bin/python benchmarks/bench_load.py --clients 50 --duration 10 --baseline 5
    /work/main/.venv/bin/python benchmarks/bench_load.py --two-servers --clients 400 --duration 30
    /work/main/.venv/bin/python benchmarks/bench_load.py --two-servers --clients 50 --duration 10 --splits pinned
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import random
import shutil
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
sys.path.insert(0, str(REPO / "benchmarks"))

from loadservers import (  # noqa: E402
    PG_CONNECTIONS,
    PG_PER_WORKER,
    cpu_sample,
    print_costs,
    print_cpu,
    probe,
    seed_workspace,
    show_traceback,
    start_backend,
    start_server,
    stop_server,
    url_class,
)

LOOPBACK = {"127.0.0.1", "::1", "localhost"}

CLASSES = ("map data", "items", "downloads", "snapshots", "pages")
SPLITS = {"shared": (None, None), "pinned": ("0", "1")}
"""Core splits of the two-server mode: the cores servers A and B are pinned to (None: not pinned)."""
GOAL_RATIO, GOAL_P99_MS = 1.6, 1000.0


@dataclass
class Result:
    latencies: dict[str, list[float]] = field(default_factory=dict)
    """Seconds per answer, by URL of the mix."""
    errors: dict[str, int] = field(default_factory=dict)
    in_time: int = 0
    """Requests answered before the phase's end (the throughput counts these)."""

    def error(self, kind: str) -> None:
        self.errors[kind] = self.errors.get(kind, 0) + 1

    @property
    def error_count(self) -> int:
        return sum(self.errors.values())

    @property
    def server_errors(self) -> int:
        return sum(n for kind, n in self.errors.items() if kind.startswith("HTTP 5"))

    def percentiles(self, name: str | None = None, path: str | None = None) -> tuple[int, float, float]:
        """Requests, p50 and p99 in ms, of one class, or one URL, or all."""
        values = [v for url, lat in self.latencies.items() if (path or url) == url
                  and (name or url_class(url)) == url_class(url) for v in lat]
        if not values:
            return 0, float("nan"), float("nan")
        lat = np.array(values) * 1000
        return len(lat), float(np.percentile(lat, 50)), float(np.percentile(lat, 99))


class StaleConnection(ConnectionError):
    """The connection was closed before any byte of the answer came (an idle keep-alive connection the
    server had closed): an HTTP client sends the request again on a new connection."""


async def fetch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, host: str, path: str,
                auth: str | None, forwarded: str | None = None) -> tuple[int, bool]:
    extra = f"Authorization: Bearer {auth}\r\n" if auth else ""
    extra += f"X-Forwarded-For: {forwarded}\r\n" if forwarded else ""
    try:
        writer.write(f"GET {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Connection: keep-alive\r\n\r\n".encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
    except (asyncio.IncompleteReadError, ConnectionResetError, BrokenPipeError) as exc:
        if isinstance(exc, asyncio.IncompleteReadError) and exc.partial:
            raise
        raise StaleConnection(str(exc)) from exc
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


async def client(n: int, host: str, ports: itertools.cycle, paths: list[str], token: str, stop: float,
                 result: Result, forwarded: bool = False, think: float = 0.0) -> None:
    """One keep-alive client going through ``paths`` from its own offset; each new connection goes to the
    next port of ``ports`` (a client-side round-robin balancer over the servers). With ``forwarded``, the
    client says it is 10.x.y.z (its own address) in X-Forwarded-For, as a load balancer in front of the
    servers does: 400 users are 400 addresses, not one (per-address limits, per-client render slots).
    ``think``: mean seconds (exponential) the client pauses after each answer; 0 (the default) never
    pauses, so the clients offer all the load the servers can take."""
    address = f"10.{n >> 16 & 255}.{n >> 8 & 255}.{n & 255}" if forwarded else None
    pauses = random.Random(n)
    reader = writer = None
    i = n
    while time.monotonic() < stop:
        path = paths[i % len(paths)]
        auth = token if i % 4 == 0 else None  # a quarter of the requests as a planner
        i += 1
        start = time.perf_counter()
        try:
            reused = writer is not None
            if writer is None:
                reader, writer = await asyncio.open_connection(host, next(ports))
            try:
                status, close = await asyncio.wait_for(fetch(reader, writer, host, path, auth, address), timeout=30)
            except StaleConnection:
                if not reused:
                    raise
                writer.close()  # the server closed it while idle (keep-alive timeout): once more, on a new one
                reader, writer = await asyncio.open_connection(host, next(ports))
                status, close = await asyncio.wait_for(fetch(reader, writer, host, path, auth, address), timeout=30)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            result.error(type(exc).__name__)
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        result.latencies.setdefault(path, []).append(time.perf_counter() - start)
        result.in_time += time.monotonic() <= stop
        if status >= 400:
            result.error(f"HTTP {status} {path}")
        if close:
            writer.close()
            reader = writer = None
        if think:
            await asyncio.sleep(min(pauses.expovariate(1 / think), max(stop - time.monotonic(), 0)))
    if writer is not None:
        writer.close()


async def run_load(host: str, ports: list[int], paths: list[str], token: str, clients: int,
                   duration: float, forwarded: bool = False, think: float = 0.0) -> Result:
    result = Result()
    stop = time.monotonic() + duration
    balancer = itertools.cycle(ports)
    await asyncio.gather(*(client(n, host, balancer, paths, token, stop, result, forwarded, think)
                           for n in range(clients)))
    return result


def warm(host: str, ports: list[int], paths: list[str], token: str) -> None:
    """Fetch every URL of the mix once per server, as the public and as a planner: each host's disk
    caches (snapshots, downloads) hold the mix before it is measured, whichever server is measured."""
    for port, path, auth in itertools.product(ports, paths, (None, token)):
        headers = {"Authorization": f"Bearer {auth}"} if auth else {}
        request = urllib.request.Request(f"http://{host}:{port}{path}", headers=headers)
        try:
            urllib.request.urlopen(request, timeout=120).read()
        except (urllib.error.URLError, TimeoutError) as exc:
            print(f"  warm-up {path} on port {port}: {exc}")


def report(label: str, result: Result, duration: float) -> float:
    """Print the phase's figures (overall, then per class of URL); return its requests/s."""
    rps = result.in_time / duration
    count, p50, p99 = result.percentiles()
    print(f"{label:<48} requests {count:>7}  errors {result.error_count:>5} (5xx {result.server_errors})  "
          f"{rps:8.1f} req/s  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    for name in CLASSES:
        count, p50, p99 = result.percentiles(name)
        if count:
            print(f"{'':<6}{name:<12} requests {count:>7}  p50 {p50:7.1f} ms  p99 {p99:7.1f} ms")
    slowest = sorted(result.latencies, key=lambda url: -result.percentiles(path=url)[2])[:3]
    print(f"{'':<6}slowest URLs by p99: " + ", ".join(f"{url} {result.percentiles(path=url)[2]:.0f} ms"
                                                       for url in slowest))
    if result.errors:
        print(f"{'':<6}errors by kind: {result.errors}")
    return rps


def current_mode(args: argparse.Namespace) -> None:
    """gunicorn against the development server, on one embedded workspace."""
    home = Path(tempfile.mkdtemp(prefix="coopmap-bench-load-"))
    env = {"COOPMAP_COOKIE_SECURE": "0", "COOPMAP_RATE_LIMIT": args.rate_limit}
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
            # gunicorn is the default; --dev is Flask's development server, the baseline
            proc = start_server(home, args.host, port, env, args.workers if production else None, args.threads)
            try:
                paths = mix(args.host, port, show=production)
                asyncio.run(run_load(args.host, [port], paths, token, args.clients, min(3.0, seconds)))  # warm-up
                result = asyncio.run(run_load(args.host, [port], paths, token, args.clients, seconds))
                figures[label] = report(f"{label}, {args.clients} clients, {seconds:.0f} s", result, seconds)
                if result.server_errors:
                    show_traceback(proc)
            finally:
                stop_server(proc)
        if len(figures) == 2:
            production_rps, baseline_rps = figures.values()
            print(f"ratio gunicorn / development server: {production_rps / baseline_rps:.2f}x requests/s")
    finally:
        shutil.rmtree(home, ignore_errors=True)


def mix(host: str, port: int, show: bool = True) -> list[str]:
    """The URLs of the mix that answer 200 on ``port``; exits when none does."""
    paths, skipped = probe(host, port)
    if show:
        print(f"mix ({len(paths)} URLs, 1 in 4 requests as a planner): {' '.join(paths)}")
        for path, why in skipped:
            print(f"  skipped {path}: {why}")
    if not paths:
        raise SystemExit("no URL answers 200")
    return paths


def two_server_mode(args: argparse.Namespace) -> None:
    """One server, then two, on one PostgreSQL + Redis, for each core split of ``--splits``."""
    root = Path(tempfile.mkdtemp(prefix="coopmap-bench-load2-"))
    rate_limit = args.rate_limit or "off"
    backend = start_backend(root, args.events, rate_limit)
    summary = []
    try:
        print(f"rate limit {rate_limit}; {args.clients} clients (pause {args.think:g} s); {args.duration:g} s per "
              f"phase; each server gunicorn {args.workers} workers x {args.threads} threads; {os.cpu_count()} CPUs")
        paths: list[str] = []
        for split in args.splits:
            cores = SPLITS[split]
            where = ", ".join(f"server {name} on core {core}" if core else f"server {name} not pinned"
                              for name, core in zip("AB", cores, strict=True))
            print(f"\n== split '{split}': {where}; PostgreSQL, Redis and the client not pinned")
            servers = {}
            try:
                for (name, core), port in zip(zip("AB", cores, strict=True), (args.port, args.port + 1), strict=True):
                    servers[name] = (port, start_server(root / f"host-{name}", args.host, port, backend.env,
                                                        args.workers, args.threads, core, "/health"))
                paths = paths or mix(args.host, args.port)
                ports = [port for port, _ in servers.values()]
                groups = {f"server {name}": proc.pid for name, (_, proc) in servers.items()}
                redis_pid = backend.redis._process.pid  # type: ignore[attr-defined]
                warm(args.host, ports, paths, backend.token)
                if args.cost and not summary:
                    print_costs(args.host, ports[0], paths, backend.token, servers["A"][1].pid, args.cost)
                asyncio.run(run_load(args.host, ports, paths, backend.token, args.clients, min(5.0, args.duration),
                                     forwarded=True))
                figures = {}
                for label, phase_ports in (("one server (A)", ports[:1]), ("two servers (A+B)", ports)):
                    before, started = cpu_sample(groups, backend.postmaster(), redis_pid), time.monotonic()
                    result = asyncio.run(run_load(args.host, phase_ports, paths, backend.token, args.clients,
                                                  args.duration, forwarded=True, think=args.think))
                    wall = time.monotonic() - started  # the duration, and the answers still in flight at its end
                    cpu = cpu_sample(groups, backend.postmaster(), redis_pid).minus(before)
                    figures[label] = (report(f"[{split}] {label}", result, args.duration), result,
                                      print_cpu(cpu, wall, result.percentiles()[0], args.clients))
                    for _, proc in servers.values() if result.server_errors else ():
                        show_traceback(proc)
                summary.append((split, figures))
            finally:
                for _, proc in servers.values():
                    stop_server(proc)
        print_summary(summary, args.think)
    finally:
        backend.close()
        shutil.rmtree(root, ignore_errors=True)


def print_summary(summary: list, think: float) -> None:
    print("\nsummary (goal: two/one >= 1.6x, 0 errors, p99 <= 1 s for map data and items)")
    for split, figures in summary:
        (one_rps, one, _), (two_rps, two, ceiling) = figures.values()
        ratio = two_rps / one_rps if one_rps else float("nan")
        p99 = {name: two.percentiles(name)[2] for name in ("map data", "items")}
        checks = [f"ratio {ratio:.2f}x {'met' if ratio >= GOAL_RATIO else 'NOT met'}",
                  f"errors one {one.error_count} / two {two.error_count} "
                  f"{'met' if one.error_count + two.error_count == 0 else 'NOT met'}"]
        checks += [f"p99 {name} (two) {value:.0f} ms {'met' if value <= GOAL_P99_MS else 'NOT met'}"
                   for name, value in p99.items()]
        print(f"  {split:<7} one {one_rps:7.1f} req/s, two {two_rps:7.1f} req/s; {'; '.join(checks)}; "
              f"CPU ceiling (two) {ceiling:.0f} req/s")
    if think:
        print("  (with --think the clients offer a fixed load: the ratio shows capacity only if one server was "
              "saturated)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="loopback address only")
    parser.add_argument("--port", type=int, default=5109)
    parser.add_argument("--clients", type=int, default=200, help="concurrent clients (1-1000)")
    parser.add_argument("--duration", type=float, default=60, help="seconds of load per phase (1-600)")
    parser.add_argument("--baseline", type=float, default=15,
                        help="seconds of load on the development server, for the ratio (0 skips it)")
    parser.add_argument("--workers", type=int, default=min(2 * (os.cpu_count() or 1) + 1, 9),
                        help="gunicorn workers (per server)")
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--events", type=int, default=50_000, help="synthetic demo events to load")
    parser.add_argument("--rate-limit", default=None,
                        help="COOPMAP_RATE_LIMIT for the run (default '10000000 per minute': every client "
                             "shares one loopback address; with --two-servers 'off')")
    parser.add_argument("--two-servers", action="store_true",
                        help="one server vs two on one PostgreSQL + PostGIS and Redis (issue 16)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="--two-servers: mean pause (s) of each client between requests; 0: none")
    parser.add_argument("--cost", type=int, default=20,
                        help="--two-servers: requests per URL, one at a time, to measure each URL's server CPU "
                             "(0 skips it)")
    parser.add_argument("--splits", type=lambda text: text.split(","), default=list(SPLITS),
                        help=f"core splits of --two-servers, comma-separated from {', '.join(SPLITS)}")
    args = parser.parse_args()
    if args.host not in LOOPBACK:
        parser.error(f"--host {args.host!r}: only loopback addresses ({', '.join(sorted(LOOPBACK))})")
    if not (1 <= args.clients <= 1000 and 1 <= args.duration <= 600 and 0 <= args.baseline <= 600):
        parser.error("--clients must be 1-1000, --duration 1-600 s, --baseline 0-600 s")
    if not 0 <= args.think <= 60:
        parser.error(f"--think {args.think:g}: 0-60 s")
    if unknown := [split for split in args.splits if split not in SPLITS]:
        parser.error(f"--splits {','.join(unknown)!r}: choose from {', '.join(SPLITS)}")
    if args.two_servers:
        if 2 * args.workers * PG_PER_WORKER > PG_CONNECTIONS - 6:
            parser.error(f"--workers {args.workers}: two servers would need more than PostgreSQL's "
                         f"{PG_CONNECTIONS} connections ({PG_PER_WORKER} per worker)")
        two_server_mode(args)
    else:
        args.rate_limit = args.rate_limit or "10000000 per minute"
        current_mode(args)


if __name__ == "__main__":
    main()
