"""Benchmark: a COD briefing pack (PDF and PPTX), cold and cached, vs assembling it through the API.

Run from the repository root:  python benchmarks/bench_brief.py [--events 1000000] [--postgis]

On a fresh workspace with the default demo set (``--events``: its size, default the demo's 50,000),
after the warm-up the app does before it serves (``webmap.warm``: the events read and prepared,
the province units, the sites' default exposure; timed apart):

- cold: a public brief (as ``/brief/COD.pdf`` renders it) with nothing of it cached: every
  in-memory result and the disk cache emptied, then the app's warm-up, before each format; as the
  first request for a period nobody asked before;
- PPTX after PDF: the deck of a brief whose PDF was just made (the map, summaries and tables are
  shared), the usual case of a briefer downloading both;
- cached: the same brief again, from the disk cache (the web view answers this in the request
  thread);
- a regional brief (the Great Lakes, five countries), cold;
- baseline, in the same run and the same cold state: what a briefer fetches today to assemble
  the same content by hand, through the app (country summary, province summary, projects,
  schools, monthly chart, map snapshot).

The CPU seconds of the process are printed beside the cold times: on a shared machine the wall
time grows with the load average (printed at the start and the end), the CPU time much less.

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

from geo.cache import PREPARED, RESULTS, VIEWS  # noqa: E402
from geo.config import Settings  # noqa: E402
from geo.ingest.defaults import open_workspace  # noqa: E402
from layers.brief import parse_brief  # noqa: E402
from layers.briefpack import brief_file  # noqa: E402
from layers.catalogue import CATALOGUE  # noqa: E402
from layers.secured import SecuredStore  # noqa: E402

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


def cold(app, settings: Settings) -> float:
    """Forget every result, then warm the app as it does before serving (``webmap.warm``, as the
    public role); returns the warm-up's seconds."""
    from webmap.warm import warm

    for cache in (RESULTS, PREPARED, VIEWS):
        cache.clear()
    shutil.rmtree(settings.cache_dir / "snapshots", ignore_errors=True)
    return timed(lambda: warm(app, roles=["public"]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50_000)
    parser.add_argument("--postgis", action="store_true", help="on a private PostGIS cluster (tests/pgcluster.py)")
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="bench-brief-"))
    os.environ["COOPMAP_DEMO_EVENTS"] = str(args.events)
    cluster = None
    if args.postgis:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
        from pgcluster import PrivateCluster

        from geo.storage.migrations import migrate

        cluster = PrivateCluster().start()
        os.environ["COOPMAP_DATABASE_URL"] = url = cluster.create_database("bench_brief")
        migrate(url)
        print("store: PostGIS (private cluster)")
    try:
        settings = Settings(home=home / "brief")
        version = open_workspace(settings).data_version
        print(f"events: {args.events:,}  data version {version}  load average {os.getloadavg()}")
        from webmap import create_app

        app = create_app({"TESTING": True, "COOPMAP_HOME": str(home / "brief")})
        client = app.test_client()
        print(f"warm-up (webmap.warm, as the app does before serving, public role) {cold(app, settings):6.2f} s")
        store = SecuredStore(app.extensions["coopmap.store"], "public", CATALOGUE)  # as a public caller
        wanted = parse_brief("COD", {"datetime": "2024"})
        for fmt in ("pdf", "pptx"):
            cold(app, settings)
            start, cpu = time.perf_counter(), time.process_time()
            made = brief_file(store, settings, wanted, fmt)
            seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
            assert not made.from_cache
            cached = [timed(lambda fmt=fmt: brief_file(store, settings, wanted, fmt)) for _ in range(20)]
            print(f"{fmt:5s} cold {seconds:6.2f} s (CPU {cpu:5.2f} s)   cached median "
                  f"{statistics.median(cached) * 1000:6.1f} ms   {len(made.content) / 1e6:.2f} MB")
        cold(app, settings)
        brief_file(store, settings, wanted, "pdf")
        after = timed(lambda: brief_file(store, settings, wanted, "pptx"))
        print(f"pptx after the pdf {after:6.2f} s")
        cold(app, settings)
        lakes = parse_brief(None, {"view": "great-lakes", "datetime": "2024"})
        region = timed(lambda: brief_file(store, settings, lakes, "pdf"))
        print(f"great-lakes pdf cold {region:6.2f} s")
        cold(app, settings)
        total = 0.0
        for url in BASELINE:
            seconds = timed(lambda url=url: client.get(url))
            total += seconds
            print(f"  baseline {seconds:6.2f} s  {url}")
        print(f"baseline (API + snapshot, then assembled by hand) {total:6.2f} s")
        print(f"load average {os.getloadavg()}")
    finally:
        shutil.rmtree(home, ignore_errors=True)
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
