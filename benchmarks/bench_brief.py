"""Benchmark: a COD briefing pack (PDF and PPTX), cold and cached, vs assembling it through the API.

Run from the repository root:  python benchmarks/bench_brief.py [--events 50000]

On a fresh workspace with the default demo set (``--events``: its size, default the demo's 50,000):

- cold: the first brief of a format (nothing in the disk cache; the first one also prepares the
  event arrays, as the first request of a worker does);
- cached: the same brief again, from the disk cache (the web view answers this in the request
  thread);
- baseline, in the same run: what a briefer fetches today to assemble the same content by hand,
  through the app (country summary, province summary, projects, schools, monthly chart, map
  snapshot), on a fresh app so nothing is cached.

Targets (issue 19, at 1M events): PDF cold <= 3 s, PPTX cold <= 3 s, cached <= 50 ms.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.config import Settings  # noqa: E402
from geo.ingest.defaults import open_workspace  # noqa: E402
from layers.brief import parse_brief  # noqa: E402
from layers.briefpack import brief_file  # noqa: E402

QUERY = "datetime=2024"
BASELINE = [
    f"/ogc/collections/country-summary/items?iso3=COD&{QUERY}",
    f"/ogc/collections/province-summary/items?iso3=COD&{QUERY}&limit=1000",
    f"/ogc/collections/projects/items?country_iso3=COD&{QUERY}",
    f"/ogc/collections/envr/items?country_iso3=COD&{QUERY}",
    f"/map-data/chart/COD.svg?{QUERY}",
    f"/snapshot.png?iso3=COD&{QUERY}&width=1500&height=940&dpi=150",
]


def timed(function) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-brief-"))
    os.environ["COOPMAP_DEMO_EVENTS"] = str(args.events)
    try:
        settings = Settings(home=home / "brief")
        store = open_workspace(settings)
        wanted = parse_brief("COD", {"datetime": "2024"})
        print(f"events: {args.events:,}  data version {store.data_version}")
        for fmt in ("pdf", "pptx"):
            start = time.perf_counter()
            made = brief_file(store, settings, wanted, fmt)
            cold = time.perf_counter() - start
            assert not made.from_cache
            cached = [timed(lambda fmt=fmt: brief_file(store, settings, wanted, fmt)) for _ in range(20)]
            print(f"{fmt:5s} cold {cold:6.2f} s   cached median {statistics.median(cached) * 1000:6.1f} ms   "
                  f"{len(made.content) / 1e6:.2f} MB")
        from webmap import create_app

        shutil.copytree(home / "brief", home / "api")
        client = create_app({"TESTING": True, "COOPMAP_HOME": str(home / "api")}).test_client()
        total = 0.0
        for url in BASELINE:
            seconds = timed(lambda url=url: client.get(url))
            total += seconds
            print(f"  baseline {seconds:6.2f} s  {url}")
        print(f"baseline (API + snapshot, then assembled by hand) {total:6.2f} s")
    finally:
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
