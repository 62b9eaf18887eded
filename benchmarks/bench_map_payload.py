"""Map payloads with a million events: the page and the aggregated event view against a baseline.

Baseline (measured in the same run): the events of the same view as plain GeoJSON, which is what a
page inlining or fetching raw features would carry.

Usage: python benchmarks/bench_map_payload.py [N_EVENTS]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.builders import random_events  # noqa: E402
from webmap import create_app  # noqa: E402

VIEW = "-25,-36,64,42"


def main(n: int) -> None:
    events = random_events(n, seed=11)
    with tempfile.TemporaryDirectory() as home:
        app = create_app({"TESTING": True, "COOPMAP_HOME": home})
        app.extensions["coopmap.store"].write("conflict-events", events, ["bench"])
        client = app.test_client()
        start = time.perf_counter()
        page = client.get("/")
        page_s = time.perf_counter() - start
        timings = []
        sizes = []
        for zoom in (3, 4, 5):
            start = time.perf_counter()
            url = f"/map-data/events?bbox={VIEW}&zoom={zoom}&datetime=2024-01/2024-12"
            response = client.get(url)
            timings.append(time.perf_counter() - start)
            sizes.append(len(response.data))
        start = time.perf_counter()
        minx, miny, maxx, maxy = (float(v) for v in VIEW.split(","))
        raw = events.cx[minx:maxx, miny:maxy]
        raw = raw[(raw["event_date"] >= "2024-01-01") & (raw["event_date"] <= "2024-12-31")]
        geojson = raw.assign(event_date=raw["event_date"].dt.strftime("%Y-%m-%d")).to_json()
        baseline_s = time.perf_counter() - start
    print(f"events loaded          : {n:,}")
    print(f"page HTML              : {len(page.data) / 1024:.1f} KB in {page_s * 1000:.0f} ms")
    for zoom, t, size in zip((3, 4, 5), timings, sizes, strict=True):
        print(f"events view zoom {zoom}      : {size / 1024:.1f} KB in {t * 1000:.0f} ms")
    mb = len(geojson) / 1024 / 1024
    print(f"baseline raw GeoJSON   : {mb:.1f} MB in {baseline_s * 1000:.0f} ms")
    print(f"size ratio (baseline / zoom-5 view): {len(geojson) / sizes[-1]:.0f}x")
    print(f"time ratio (baseline / zoom-5 view): {baseline_s / timings[-1]:.1f}x")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000)
