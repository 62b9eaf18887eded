"""Abuse mix: ordinary clients browse while hostile clients send the expensive requests of issue 14.

One command, for one or several checkouts (e.g. today's code in a worktree of main and this one)::

    .venv/bin/python benchmarks/bench_abuse.py                       # this checkout
    .venv/bin/python benchmarks/bench_abuse.py --checkout ../coopmap-old --checkout .   # old vs new
    .venv/bin/python benchmarks/bench_abuse.py --duration 10 --clients 20 --hostile 4   # quick look

For each checkout: a fresh workspace (its own CLI: default layers, synthetic demo events, a planner
token), its server started with ``coopmap serve --production`` (gunicorn; the switch is a no-op
alias on new code), then two runs of ``--duration`` seconds on a freshly started server each:

1. calm: ``--clients`` ordinary clients browse (map pages and data, OGC items, small snapshots;
   1 in 4 requests as a planner), each from its own loopback address (127.0.1.x);
2. abuse: the same, while ``--hostile`` clients (127.0.2.x) loop over the issue's requests: density
   over the whole world at zoom 7, density.png at resolution 0.051, downloads with a new query each
   time, 4000×4000 snapshots and snapshots with a new title each time, and invalid bearer tokens.

Printed per run: ordinary requests, p50/p99, errors (any status >= 400 or a failed connection),
5xx other than 503 and 503s apart (ordinary and hostile), hostile statuses, the server's peak RSS
(sum over the gunicorn master and all its descendants, render processes included, sampled every
0.25 s from /proc; PSS beside it), and
the disk use of ``$COOPMAP_HOME/cache`` after the run; then the abuse/calm ratio of ordinary p99.
``--rss-limit`` stops a server whose processes pass it (the run is then marked "RSS limit").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime
import itertools
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_load import Result, fetch, probe, stop_server, wait_until_serving  # noqa: E402

HOST = "127.0.0.1"
ORDINARY_NET = "127.0.1"
HOSTILE_NET = "127.0.2"
BAD_TOKEN = "not-a-valid-token-{n}"
WARM_UP = 5.0
"""Seconds of ordinary load before each measured run (render processes started, caches filled)."""


def hostile_requests(n: int) -> tuple[str, str | None]:
    """The ``n``-th hostile request: (path, bearer token or None); distinct where the issue says so."""
    kind = n % 6
    if kind == 0:
        return "/map-data/density?bbox=-180,-85,180,85&zoom=7", None
    if kind == 1:
        return "/map-data/density.png?bbox=-180,-85,180,85&resolution=0.051", None
    if kind == 2:  # a new query each time: a new download file on today's code
        start = datetime.date(2016, 1, 1) + datetime.timedelta(days=n % 3000)
        return f"/download/conflict-events.gpkg?datetime={start.isoformat()}/2024-12-31", None
    if kind == 3:
        return f"/snapshot.png?width=4000&height=4000&title=flood-{n}", None
    if kind == 4:
        return f"/snapshot.png?title=distinct-title-{n}", None
    return "/ogc/collections/conflict-events/items?limit=10", BAD_TOKEN.format(n=n)


@dataclass
class Run:
    ordinary: Result = field(default_factory=Result)
    by_path: dict[str, list[float]] = field(default_factory=dict)
    hostile: dict[int | str, int] = field(default_factory=dict)
    peak_rss: int = 0
    peak_pss: int = 0
    cache_bytes: int = 0
    rss_stopped: bool = False


def _tree(root: int) -> list[int]:
    """``root`` and all its descendants (from /proc)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                parent = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
            except (OSError, IndexError, ValueError):
                continue
            children.setdefault(parent, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, []))
    return found


def memory(root: int) -> tuple[int, int]:
    """Resident (RSS) and proportional (PSS: shared pages split between their users) memory of
    ``root`` and its descendants, in bytes. RSS counts the pages gunicorn's forked workers share
    once per process; PSS is what the tree really holds."""
    rss = pss = 0
    for pid in _tree(root):
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                if line.startswith("Rss:"):
                    rss += int(line.split()[1]) * 1024
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1]) * 1024
        except OSError:
            continue
    return rss, pss


def disk_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) if folder.exists() else 0


def cli(checkout: Path, home: Path, *args: str) -> subprocess.CompletedProcess:
    env = dict(os.environ, COOPMAP_HOME=str(home), PYTHONPATH=str(checkout))
    return subprocess.run([sys.executable, "-m", "cli", *args], cwd=checkout, env=env, capture_output=True,
                          text=True)


def seed(checkout: Path, home: Path, events: int) -> str:
    """Default layers and demo events through the checkout's own CLI; a planner token."""
    demo = cli(checkout, home, "demo-data", "--events", str(events))
    if demo.returncode != 0:
        raise SystemExit(f"demo-data failed in {checkout}: {demo.stderr[-1000:]}")
    made = cli(checkout, home, "tokens", "create", "--role", "planner", "--name", "bench-planner")
    if made.returncode != 0:
        raise SystemExit(f"tokens create failed in {checkout}: {made.stderr[-1000:]}")
    return made.stdout.strip().splitlines()[-1]


def start(checkout: Path, home: Path, port: int, args: argparse.Namespace) -> subprocess.Popen:
    env = dict(os.environ, COOPMAP_HOME=str(home), COOPMAP_COOKIE_SECURE="0", PYTHONPATH=str(checkout))
    if args.rate_limit:
        env["COOPMAP_RATE_LIMIT"] = args.rate_limit
    log = open(home / f"server-{port}.log", "wb")  # noqa: SIM115 - closed with the process
    proc = subprocess.Popen([sys.executable, "-m", "cli", "serve", "--production", "--host", HOST, "--port",
                             str(port), "--workers", str(args.workers), "--threads", str(args.threads)],
                            cwd=checkout, env=env, stdout=subprocess.DEVNULL, stderr=log, start_new_session=True)
    return wait_until_serving(proc, f"http://{HOST}:{port}/login", home / f"server-{port}.log", 120)


async def _loop(port: int, source: str, stop: float, pick, record) -> None:  # noqa: ANN001
    reader = writer = None
    for n in itertools.count():
        if time.monotonic() >= stop:
            break
        path, auth = pick(n)
        started = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection(HOST, port, local_addr=(source, 0))
            status, close = await asyncio.wait_for(fetch(reader, writer, HOST, path, auth), timeout=60)
        except (TimeoutError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            record(type(exc).__name__, None, path)
            if writer is not None:
                writer.close()
            reader = writer = None
            continue
        record(status, time.perf_counter() - started, path)
        if close:
            writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def load(port: int, paths: list[str], token: str, args: argparse.Namespace, hostile: int, run: Run) -> None:
    stop = time.monotonic() + args.duration

    def ordinary(status: int | str, seconds: float | None, path: str) -> None:
        if seconds is not None:
            run.ordinary.latencies.append(seconds)
            run.by_path.setdefault(path.split("?")[0], []).append(seconds)
        if not isinstance(status, int) or status >= 400:
            run.ordinary.error(f"HTTP {status} {path}" if isinstance(status, int) else str(status))

    def bad(status: int | str, seconds: float | None, path: str) -> None:
        run.hostile[status] = run.hostile.get(status, 0) + 1

    tasks = [_loop(port, f"{ORDINARY_NET}.{1 + c % 250}", stop,
                   lambda n, c=c: (paths[(n + c) % len(paths)], token if (n + c) % 4 == 0 else None), ordinary)
             for c in range(args.clients)]
    tasks += [_loop(port, f"{HOSTILE_NET}.{1 + h % 250}", stop, lambda n, h=h: hostile_requests(n * 97 + h), bad)
              for h in range(hostile)]
    await asyncio.gather(*tasks)


def measure(checkout: Path, home: Path, port: int, token: str, args: argparse.Namespace, hostile: int) -> Run:
    run = Run()
    proc = start(checkout, home, port, args)
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.25):
            rss, pss = memory(proc.pid)
            run.peak_rss, run.peak_pss = max(run.peak_rss, rss), max(run.peak_pss, pss)
            if run.peak_rss > args.rss_limit * 2**30:
                run.rss_stopped = True
                stop_server(proc)
                return

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        paths, skipped = probe(HOST, port)
        paths = [p for p in paths if not p.startswith("/download/")] or paths
        print(f"  mix: {len(paths)} URLs" + (f", skipped {[s for s, _ in skipped]}" if skipped else ""))
        for path in paths:  # the planner's view of each URL too: a warm server, not a cold start
            request = urllib.request.Request(f"http://{HOST}:{port}{path}",
                                             headers={"Authorization": f"Bearer {token}"})
            with contextlib.suppress(urllib.error.URLError, TimeoutError):
                urllib.request.urlopen(request, timeout=60).read()
        asyncio.run(load(port, paths, token, argparse.Namespace(**{**vars(args), "duration": WARM_UP}), 0, Run()))
        asyncio.run(load(port, paths, token, args, hostile, run))
    finally:
        done.set()
        sampler.join()
        stop_server(proc)
    run.cache_bytes = disk_bytes(home / "cache")
    return run


def report(label: str, run: Run) -> float:
    lat = np.array(run.ordinary.latencies) * 1000
    p50, p99 = (np.percentile(lat, 50), np.percentile(lat, 99)) if len(lat) else (float("nan"),) * 2
    errors = sum(run.ordinary.errors.values())
    statuses = [(int(k.split()[1]), v) for k, v in run.ordinary.errors.items() if k.startswith("HTTP ")]
    statuses += [(k, v) for k, v in run.hostile.items() if isinstance(k, int)]
    fivexx = sum(v for k, v in statuses if k >= 500 and k != 503)
    busy = sum(v for k, v in statuses if k == 503)
    print(f"  {label:<7} ordinary {len(lat):>6} req  p50 {p50:7.1f} ms  p99 {p99:8.1f} ms  errors {errors:>5}  "
          f"5xx {fivexx:>4} (503 {busy:>4})  peak RSS {run.peak_rss / 2**20:6.0f} MB "
          f"(PSS {run.peak_pss / 2**20:5.0f})  cache {run.cache_bytes / 2**20:7.1f} MB"
          + ("  [RSS limit: server stopped]" if run.rss_stopped else ""))
    if run.ordinary.errors:
        worst = sorted(run.ordinary.errors.items(), key=lambda kv: -kv[1])[:6]
        print(f"  {'':<7} ordinary errors: {dict(worst)}")
    if run.hostile:
        print(f"  {'':<7} hostile statuses: {dict(sorted(run.hostile.items(), key=str))}")
    slowest = sorted(((np.percentile(v, 99) * 1000, p, len(v)) for p, v in run.by_path.items()), reverse=True)[:3]
    print(f"  {'':<7} slowest ordinary paths (p99 ms, requests): "
          + ", ".join(f"{p} {ms:.0f} ({n})" for ms, p, n in slowest))
    return float(p99)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkout", action="append", type=Path,
                        help="code to serve (repeat for several; default: this checkout)")
    parser.add_argument("--port", type=int, default=5209)
    parser.add_argument("--clients", type=int, default=100, help="ordinary clients (1-250)")
    parser.add_argument("--hostile", type=int, default=20, help="hostile clients (1-250)")
    parser.add_argument("--duration", type=float, default=45, help="seconds per run (5-600)")
    parser.add_argument("--workers", type=int, default=min(2 * (os.cpu_count() or 1) + 1, 9))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--events", type=int, default=20_000, help="synthetic demo events")
    parser.add_argument("--rate-limit", default="", help="COOPMAP_RATE_LIMIT (default: the server's own)")
    parser.add_argument("--rss-limit", type=float, default=8.0, help="GB: stop a server that passes it")
    args = parser.parse_args()
    if not (1 <= args.clients <= 250 and 1 <= args.hostile <= 250 and 5 <= args.duration <= 600):
        parser.error("--clients and --hostile must be 1-250, --duration 5-600 s")
    checkouts = [c.resolve() for c in (args.checkout or [Path(__file__).resolve().parent.parent])]
    for n, checkout in enumerate(checkouts):
        home = Path(tempfile.mkdtemp(prefix="coopmap-bench-abuse-"))
        try:
            commit = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h %s"],
                                    capture_output=True, text=True).stdout.strip()[:70]
            print(f"{checkout} ({commit}): {args.clients} ordinary, {args.hostile} hostile clients, "
                  f"{args.duration:.0f} s per run, gunicorn {args.workers}w x {args.threads}t")
            token = seed(checkout, home, args.events)
            port = args.port + 2 * n
            calm = report("calm", measure(checkout, home, port, token, args, 0))
            abuse = report("abuse", measure(checkout, home, port + 1, token, args, args.hostile))
            print(f"  ordinary p99 abuse / calm: {abuse / calm:.2f}x")
        finally:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
