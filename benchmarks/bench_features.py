"""Benchmark of /ogc items and bulk downloads on a 1,000,000-event layer, against pygeoapi.

Run from the repository root::

    /work/main/.venv/bin/python benchmarks/bench_features.py [--events 1000000] [--requests 300]

It builds a synthetic conflict-events layer in a temporary workspace, serves coopmap with
gunicorn (1 sync worker) on loopback and pygeoapi 0.2x (its own venv under /tmp, created here
with ``pip install pygeoapi gunicorn geopandas pyarrow s3fs``; never the project venv) with the
same events as GeoParquet through its Parquet provider, also with gunicorn and 1 sync worker.
The same client sends the same random ``bbox`` + ``limit=1000`` requests to both and prints p50,
p99, requests/s and the ratio; then it measures the full GeoJSON download (MB/s) and the coopmap
worker's resident memory before and during it.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np
import requests

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from pygeoapi_server import setup_pygeoapi  # noqa: E402  (beside this script)

BBOX = (-18.0, -12.0, 45.0, 25.0)
BOX_SIZE = 5.0
LIMIT = 1000


def build_events(n: int, seed: int = 1):  # noqa: ANN201
    """``n`` synthetic events over West and Central Africa with realistic text columns."""
    from geo.events import events_frame

    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = BBOX
    types = np.array(
        [
            "Battles",
            "Violence against civilians",
            "Explosions/Remote violence",
            "Protests",
            "Riots",
            "Strategic developments",
        ]
    )
    actors = np.array([f"Armed group {i}" for i in range(40)])
    countries = np.array(["COD", "NGA", "MLI", "BFA", "NER", "CMR", "TCD", "CAF", "SDN", "SSD"])
    dates = np.datetime64("2018-01-01") + rng.integers(0, 2500, n).astype("timedelta64[D]")
    return events_frame(
        {
            "event_id": np.char.add("E", np.arange(n).astype(str)),
            "source_dataset": np.full(n, "synthetic-demo"),
            "event_date": dates,
            "event_type": types[rng.integers(0, len(types), n)],
            "actor1": actors[rng.integers(0, len(actors), n)],
            "country_iso3": countries[rng.integers(0, len(countries), n)],
            "location": np.char.add("Place ", rng.integers(0, 5000, n).astype(str)),
            "fatalities": rng.poisson(1.5, n),
            "assigned_by": np.full(n, "within"),
            "notes": np.full(n, "Synthetic event generated for the coopmap benchmark."),
        },
        rng.uniform(minx, maxx, n),
        rng.uniform(miny, maxy, n),
    )


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_ready(url: str, process: subprocess.Popen, timeout: float = 180) -> None:
    deadline = time.time() + timeout
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before {url} answered")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def boxes(count: int, seed: int = 7) -> list[str]:
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = BBOX
    x = rng.uniform(minx, maxx - BOX_SIZE, count)
    y = rng.uniform(miny, maxy - BOX_SIZE, count)
    return [
        f"{a:.4f},{b:.4f},{a + BOX_SIZE:.4f},{b + BOX_SIZE:.4f}" for a, b in zip(x, y, strict=True)
    ]


def measure(items_url: str, queries: list[str], encoding: str = "identity") -> dict[str, float]:
    """Sequential requests with one client session; latency = until the whole body is received (ms).

    The JSON is parsed after the clock stops (to check the feature count), so client-side
    parsing speed does not blur the comparison.
    """
    session = requests.Session()
    session.headers["Accept-Encoding"] = encoding
    for query in queries[:5]:  # warm-up (index build, caches)
        session.get(f"{items_url}?{query}", timeout=600).raise_for_status()
    latencies = []
    returned = []
    start = time.perf_counter()
    for query in queries:
        t0 = time.perf_counter()
        response = session.get(f"{items_url}?{query}", timeout=600)
        response.raise_for_status()
        latencies.append((time.perf_counter() - t0) * 1000)
        returned.append(len(response.json()["features"]))
    total = time.perf_counter() - start
    return {
        "p50": statistics.median(latencies),
        "p99": float(np.percentile(latencies, 99)),
        "rps": len(queries) / total,
        "features": float(np.mean(returned)),
    }


def worker_pid(master: int) -> int:
    children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
    return int(children[0]) if children else master


def rss_mb(pid: int, key: str = "VmRSS") -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def download(url: str, pid: int, encoding: str = "identity") -> dict[str, float]:
    """Stream ``url`` to nowhere; MB/s and the worker's RSS before and at its peak meanwhile."""
    before = rss_mb(pid)
    peak = [before]
    done = threading.Event()

    def sample() -> None:
        while not done.is_set():
            peak[0] = max(peak[0], rss_mb(pid))
            time.sleep(0.05)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    size = 0
    start = time.perf_counter()
    with requests.get(
        url, stream=True, timeout=600, headers={"Accept-Encoding": encoding}
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_content(1 << 20):
            size += len(chunk)
    seconds = time.perf_counter() - start
    done.set()
    sampler.join()
    return {
        "mb": size / 1e6,
        "seconds": seconds,
        "mbps": size / 1e6 / seconds,
        "rss_before": before,
        "rss_peak": peak[0],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--skip-pygeoapi", action="store_true")
    args = parser.parse_args()

    from geo.storage.store import ParquetStore

    work = Path(tempfile.mkdtemp(prefix="coopmap-bench-"))
    processes: list[subprocess.Popen] = []
    try:
        t0 = time.perf_counter()
        events = build_events(args.events)
        ParquetStore(work / "home").write("conflict-events", events, ["benchmark"])
        print(
            f"built {len(events):,} events in {time.perf_counter() - t0:.1f} s (workspace {work})"
        )
        bboxes = boxes(args.requests)

        port = free_port()
        # One loopback client sends every request: the per-client rate limit would throttle it.
        env = {**os.environ, "COOPMAP_HOME": str(work / "home"), "COOPMAP_RATE_LIMIT": "off"}
        coopmap = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                "1",
                "-b",
                f"127.0.0.1:{port}",
                "--timeout",
                "600",
                "webmap:create_app()",
            ],
            cwd=REPO,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        processes.append(coopmap)
        base = f"http://127.0.0.1:{port}"
        wait_ready(f"{base}/ogc", coopmap)
        t0 = time.perf_counter()
        requests.get(
            f"{base}/ogc/collections/conflict-events/items?limit=1", timeout=600
        ).raise_for_status()
        print(
            f"coopmap first request (reads the layer, builds the index): {time.perf_counter() - t0:.2f} s"
        )
        items = f"{base}/ogc/collections/conflict-events/items"
        queries = [f"bbox={bbox}&limit={LIMIT}" for bbox in bboxes]
        ours = measure(items, queries)
        zipped = measure(items, queries[:100], encoding="gzip")
        deep = measure(items, [f"{q}&offset=8000" for q in queries[:100]])
        rng = np.random.default_rng(3)
        whole = measure(
            items, [f"limit={LIMIT}&offset={o}" for o in rng.integers(0, args.events - LIMIT, 100)]
        )
        print(
            f"coopmap  bbox+limit={LIMIT}: p50 {ours['p50']:.1f} ms  p99 {ours['p99']:.1f} ms  "
            f"{ours['rps']:.1f} req/s  ({ours['features']:.0f} features/response)"
        )
        print(
            f"coopmap  same, gzip: p50 {zipped['p50']:.1f} ms  p99 {zipped['p99']:.1f} ms  {zipped['rps']:.1f} req/s"
        )
        print(
            f"coopmap  same, offset=8000 (deep page): p50 {deep['p50']:.1f} ms  ({deep['features']:.0f} features)"
        )
        print(
            f"coopmap  whole layer at random offsets up to {args.events:,}: p50 {whole['p50']:.1f} ms  "
            f"({whole['features']:.0f} features)"
        )
        pid = worker_pid(coopmap.pid)
        dl = download(f"{base}/download/conflict-events.geojson", pid)
        gz = download(f"{base}/download/conflict-events.geojson", pid, "gzip")
        print(
            f"coopmap  full GeoJSON download: {dl['mb']:.0f} MB in {dl['seconds']:.1f} s = "
            f"{dl['mbps']:.0f} MB/s; worker RSS {dl['rss_before']:.0f} MB before, "
            f"{dl['rss_peak']:.0f} MB peak during (+{dl['rss_peak'] - dl['rss_before']:.0f} MB)"
        )
        print(
            f"coopmap  same, gzip on the fly: {gz['mb']:.0f} MB compressed in {gz['seconds']:.1f} s; "
            f"worker RSS peak {gz['rss_peak']:.0f} MB"
        )

        if args.skip_pygeoapi:
            return
        pport = free_port()
        try:
            command, penv = setup_pygeoapi(work, events, pport)
        except (subprocess.CalledProcessError, OSError) as exc:
            print(f"pygeoapi could not be set up: {exc}")
            return
        pygeo = subprocess.Popen(
            command,
            env=penv,
            cwd=work,
            stdout=subprocess.DEVNULL,
            stderr=open(work / "pygeoapi.log", "wb"),
        )
        processes.append(pygeo)
        wait_ready(f"http://127.0.0.1:{pport}/collections/events/items?limit=1&f=json", pygeo)
        theirs = measure(
            f"http://127.0.0.1:{pport}/collections/events/items", [f"{q}&f=json" for q in queries]
        )
        print(
            f"pygeoapi bbox+limit={LIMIT}: p50 {theirs['p50']:.1f} ms  p99 {theirs['p99']:.1f} ms  "
            f"{theirs['rps']:.1f} req/s  ({theirs['features']:.0f} features/response)"
        )
        print(
            f"ratio coopmap/pygeoapi: {ours['rps'] / theirs['rps']:.1f}x requests/s, "
            f"p50 {theirs['p50'] / ours['p50']:.1f}x faster"
        )
    finally:
        for process in processes:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
