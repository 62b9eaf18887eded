"""Benchmark: Africa snapshot, 1600×1000 PNG, with 1M conflict events in the store.

Run from the repository root:  python benchmarks/bench_snapshot.py [--events 1000000]

Prints the cold render time (not in the disk cache; first with the events still on disk, then
with the store's in-memory frame), the time from the disk cache, and a baseline measured in the
same run: drawing every event as its own marker (the naive geopandas ``plot`` of all points).
Targets (issue 8): cold <= 1.5 s, cached <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import matplotlib  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from geo.config import Settings  # noqa: E402
from geo.events import events_frame  # noqa: E402
from geo.ingest.defaults import ensure_defaults  # noqa: E402
from geo.render.cache import snapshot  # noqa: E402
from layers import CATALOGUE  # noqa: E402

LAYERS = CATALOGUE.map_layers()
from geo.render.spec import parse_snapshot  # noqa: E402
from geo.render.views import named_view  # noqa: E402
from geo.storage.store import ParquetStore  # noqa: E402

PARAMS = {"view": "africa", "width": "1600", "height": "1000", "datetime": "2023/2024"}


def make_events(store: ParquetStore, n: int, seed: int = 1) -> None:
    """``n`` synthetic events clustered around hotspots in African countries."""
    rng = np.random.default_rng(seed)
    countries = store.read("countries")
    africa = countries[countries["continent"] == "Africa"]
    hot = africa.sample(30, random_state=seed)
    which = rng.integers(0, len(hot), n)
    lon = hot["label_x"].to_numpy()[which] + rng.normal(0, 1.5, n)
    lat = hot["label_y"].to_numpy()[which] + rng.normal(0, 1.5, n)
    days = rng.integers(0, 731, n)
    types = np.array(
        ["Battles", "Violence against civilians", "Explosions/Remote violence", "Protests"]
    )
    frame = events_frame(
        {
            "event_id": np.char.add("B", np.arange(n).astype(str)),
            "source_dataset": np.full(n, "synthetic-demo"),
            "event_date": np.datetime64("2023-01-01") + days.astype("timedelta64[D]"),
            "event_type": types[rng.integers(0, len(types), n)],
            "country_iso3": hot["iso3"].to_numpy()[which],
            "fatalities": rng.poisson(1.5, n),
            "precision": rng.choice(np.array([1, 1, 1, 2, 3], dtype="int8"), n),
        },
        lon,
        lat,
    )
    store.write("conflict-events", frame, ["benchmark"])


def naive_baseline(store: ParquetStore) -> float:
    """Every event as a marker on the country map, same view and size (the baseline)."""
    view = named_view("africa")
    start = time.perf_counter()
    events = store.read("conflict-events").to_crs(view.crs)
    countries = store.read("countries")
    countries = countries[countries["continent"].isin(["Africa", "Asia", "Europe"])].clip(
        (-30, -40, 65, 45)
    )
    figure = Figure(figsize=(16, 10), dpi=100)
    FigureCanvasAgg(figure)
    ax = figure.add_axes((0, 0, 1, 1))
    countries.to_crs(view.crs).plot(ax=ax, color="#f2efe9", edgecolor="#7a7a7a")
    events.plot(ax=ax, markersize=2, color="#d7301f")
    figure.savefig(os.devnull, format="png")
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=20, help="cached requests to time")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="coopmap-bench-") as tmp:
        settings = Settings(home=Path(tmp))
        store = ParquetStore(settings.home)
        ensure_defaults(store, settings)
        make_events(store, args.events)
        print(
            f"matplotlib {matplotlib.__version__}, {args.events:,} events, {os.cpu_count()} CPUs, "
            f"load average {os.getloadavg()[0]:.1f}"
        )

        fresh = ParquetStore(settings.home)  # events not yet read from disk
        spec = parse_snapshot(PARAMS, LAYERS)
        start = time.perf_counter()
        fresh.read("conflict-events")
        read = time.perf_counter() - start
        start = time.perf_counter()
        first = snapshot(fresh, settings, spec, "png", LAYERS)
        first_render = time.perf_counter() - start
        assert not first.from_cache

        colds = []
        for i in range(3):  # new parameters each time: cache misses, events already in memory
            other = parse_snapshot({**PARAMS, "title": f"Africa {i}"}, LAYERS)
            start = time.perf_counter()
            shot = snapshot(fresh, settings, other, "png", LAYERS)
            colds.append(time.perf_counter() - start)
            assert not shot.from_cache
        cold = statistics.median(colds)

        cached = []
        for _ in range(args.repeat):
            start = time.perf_counter()
            hit = snapshot(fresh, settings, spec, "png", LAYERS)
            cached.append(time.perf_counter() - start)
            assert hit.from_cache and hit.content == first.content
        warm = statistics.median(cached)

        http, revalidate = http_timings(settings, args.repeat)
        baseline = naive_baseline(fresh)
        print(f"PNG {len(first.content):,} bytes, 1600x1000")
        print(f"reading 1M events (once per process)   : {read * 1000:8.0f} ms")
        print(f"first render in the process            : {first_render * 1000:8.0f} ms  "
              "(projects and caches the base map)")
        print(
            f"cold render (not in the disk cache)    : {cold * 1000:8.0f} ms  "
            "(median of 3; target <= 1500 ms)"
        )
        print(
            f"from the disk cache, snapshot()        : {warm * 1000:8.2f} ms  "
            f"(median of {args.repeat}; target <= 50 ms)"
        )
        print(f"from the disk cache, GET /snapshot.png : {http * 1000:8.2f} ms  (median; <= 50 ms)")
        print(f"revalidation, 304 on If-None-Match     : {revalidate * 1000:8.2f} ms  (median)")
        print(f"baseline, every point drawn            : {baseline * 1000:8.0f} ms")
        print(f"ratio baseline / cold render           : {baseline / cold:8.1f}x")


def http_timings(settings: Settings, repeat: int) -> tuple[float, float]:
    """Median times of a cached ``GET /snapshot.png`` and of a 304 (Flask test client)."""
    from webmap import create_app

    client = create_app({"TESTING": True, "COOPMAP_HOME": str(settings.home)}).test_client()
    url = "/snapshot.png?" + "&".join(f"{k}={v}" for k, v in PARAMS.items())
    etag = client.get(url).headers["ETag"]  # rendered (or found) once
    hits, not_modified = [], []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(url)
        hits.append(time.perf_counter() - start)
        assert response.headers["X-Snapshot-Cache"] == "hit"
        start = time.perf_counter()
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
        not_modified.append(time.perf_counter() - start)
    return statistics.median(hits), statistics.median(not_modified)


if __name__ == "__main__":
    main()
