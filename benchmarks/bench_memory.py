"""Worker memory and first-request time of ``coopmap serve`` on the embedded store (issue 15).

One command, for one or several checkouts (e.g. a worktree of main at a fixed commit, then this one)::

    /work/main/.venv/bin/python benchmarks/bench_memory.py                                  # this checkout
    /work/main/.venv/bin/python benchmarks/bench_memory.py --checkout /tmp/coopmap-old --checkout .
    /work/main/.venv/bin/python benchmarks/bench_memory.py --events 100000 --home /tmp/bench-home  # keep it

A workspace with the default layers and ``--events`` synthetic demo events is built once (with
this checkout's CLI; ``--home`` keeps it for the next run) and served by each checkout in turn:
``coopmap serve --workers 1`` (gunicorn). Printed per checkout: the seconds from start until the
port accepts connections, the time of the first request of each of ``FIRST`` (in that order),
then, after a fixed mix of ``MIX_REQUESTS`` requests, the RSS, PSS and USS (pages of its own) of
the master and of each worker (``/proc/<pid>/smaps_rollup``), against the targets: first request
<= 300 ms, worker RSS <= 500 MB.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
FIRST = (
    "/",
    "/map/COD",
    "/ogc/collections/conflict-events/items?bbox=28,-3,31,0&limit=1000",
    "/ogc/collections/country-summary/items",
)
MIX = (
    *FIRST,
    "/map-data/events?bbox=10,-5,35,15&zoom=5",
    "/map-data/events?bbox=28,-3,31,0&zoom=8",
    "/map-data/choropleth",
    "/ogc/collections/conflict-events/items?limit=100&bbox=-18,-12,45,25&datetime=2024",
    "/ogc/collections/conflict-events/items?limit=1000&event_type=Battles&sortby=-fatalities",
    "/ogc/collections/country-summary/items?datetime=2024&event_type=Battles",
)
MIX_REQUESTS = 50
FIRST_TARGET_MS = 300
RSS_TARGET_MB = 500


def seed(home: Path, events: int) -> None:
    """The default layers and ``events`` synthetic demo events in ``home`` (this checkout's CLI)."""
    env = dict(os.environ, COOPMAP_HOME=str(home), PYTHONPATH=str(REPO))
    for command in (["init"], ["demo-data", "--events", str(events)]):
        done = subprocess.run([sys.executable, "-m", "cli", *command], cwd=REPO, env=env,
                              capture_output=True, text=True)
        if done.returncode:
            raise SystemExit(f"coopmap {' '.join(command)} failed: {done.stderr[-2000:]}")
    print(f"workspace {home}: default layers and {events:,} synthetic demo events")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def accepting(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.2)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def children(pid: int) -> list[int]:
    """The direct children of ``pid`` (from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry.name))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return sorted(found)


def memory_mb(pid: int) -> str:
    """RSS, PSS and USS (private pages) of ``pid`` in MB (``/proc/<pid>/smaps_rollup``)."""
    fields = {}
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()[1:]:
        name, _, rest = line.partition(":")
        fields[name] = int(rest.split()[0]) / 1024
    uss = fields["Private_Clean"] + fields["Private_Dirty"]
    return f"RSS {fields['Rss']:6.0f} MB  PSS {fields['Pss']:6.0f} MB  USS {uss:6.0f} MB"


def get(port: int, path: str) -> tuple[int, float]:
    """Status and milliseconds of GET ``path`` (body read)."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=120) as response:
            response.read()
            status = response.status
    except urllib.error.HTTPError as exc:
        status = exc.code
    return status, (time.perf_counter() - started) * 1000


def measure(checkout: Path, home: Path, workers: int, threads: int) -> None:
    port = free_port()
    env = dict(os.environ, COOPMAP_HOME=str(home), PYTHONPATH=str(checkout), COOPMAP_RATE_LIMIT="off",
               COOPMAP_COOKIE_SECURE="0")
    command = [sys.executable, "-m", "cli", "serve", "--port", str(port), "--workers", str(workers),
               "--threads", str(threads)]
    log = home / f"serve-{port}.log"
    started = time.monotonic()
    with open(log, "wb") as out:
        server = subprocess.Popen(command, cwd=checkout, env=env, stdout=out, stderr=subprocess.STDOUT,
                                  start_new_session=True)
    try:
        while not accepting(port):
            if server.poll() is not None or time.monotonic() - started > 600:
                raise SystemExit(f"server did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)
        print(f"  port accepting after {time.monotonic() - started:.1f} s")
        worst = 0.0
        for path in FIRST:
            status, ms = get(port, path)
            worst = max(worst, ms)
            print(f"  first {path:70s} {status} {ms:7.0f} ms")
        print(f"  slowest first request {worst:.0f} ms (target <= {FIRST_TARGET_MS} ms)")
        timings = sorted(get(port, MIX[i % len(MIX)])[1] for i in range(MIX_REQUESTS))
        print(f"  mix of {MIX_REQUESTS} requests: p50 {timings[len(timings) // 2]:.0f} ms, "
              f"max {timings[-1]:.0f} ms")
        print(f"  master {server.pid}: {memory_mb(server.pid)}")
        for pid in children(server.pid):
            print(f"  worker {pid}: {memory_mb(pid)}  (target RSS <= {RSS_TARGET_MB} MB)")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--checkout", action="append", type=Path,
                        help="code to serve (repeat for several; default: this checkout)")
    parser.add_argument("--events", type=int, default=1_000_000, help="synthetic demo events")
    parser.add_argument("--home", type=Path, help="workspace to use, built when empty (default: a temporary one)")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--threads", type=int, default=4)
    args = parser.parse_args()
    home = args.home or Path(tempfile.mkdtemp(prefix="coopmap-bench-memory-"))
    try:
        if not (home / "layers" / "conflict-events.parquet").exists():
            seed(home, args.events)
        for checkout in [c.resolve() for c in (args.checkout or [REPO])]:
            commit = subprocess.run(["git", "-C", str(checkout), "log", "-1", "--format=%h %s"],
                                    capture_output=True, text=True).stdout.strip()[:70]
            print(f"{checkout} ({commit}): gunicorn {args.workers}w x {args.threads}t")
            measure(checkout, home, args.workers, args.threads)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
