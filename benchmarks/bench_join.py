"""Benchmark: 1,000,000 events → admin-0 countries at 1:10m, with nearest country at sea.

    /work/main/.venv/bin/python benchmarks/bench_join.py [--events 1000000]

Events are spread uniformly over Africa and the Middle East (about a third fall at sea, so
the nearest-country fallback is exercised). Prints the seconds of ``geo.joins.assign_countries``
(cold: including building the boundary index; warm: index already built), the seconds of a plain
``geopandas.sjoin(events, countries)`` on the same data in the same run, the ratio, and checks that
every event sjoin puts in exactly one country gets the same country from coopmap.
Target: <= 2 s and >= 3x faster than sjoin.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()

    import geopandas as gpd

    from geo.boundaries.countries import load_countries
    from geo.boundaries.joins import POLYGON_INDEXES, assign_countries
    from geo.config import Settings
    from tests.builders import random_events

    countries = load_countries(Settings().boundaries_dir)
    events = random_events(args.events, seed=1, bbox=(-20.0, -35.0, 60.0, 38.0))

    start, cpu = time.perf_counter(), time.process_time()
    ours = assign_countries(events, countries, max_distance_km=25)
    cold, cold_cpu = time.perf_counter() - start, time.process_time() - cpu
    start, cpu = time.perf_counter(), time.process_time()
    ours = assign_countries(events, countries, max_distance_km=25)
    warm, warm_cpu = time.perf_counter() - start, time.process_time() - cpu
    assert len(POLYGON_INDEXES)

    start, cpu = time.perf_counter(), time.process_time()
    joined = gpd.sjoin(
        events[["geometry"]], countries[["iso3", "geometry"]], how="left", predicate="intersects"
    )
    baseline, base_cpu = time.perf_counter() - start, time.process_time() - cpu

    single = joined[~joined.index.duplicated(keep=False)]
    theirs = single["iso3"].astype(object).reindex(events.index)
    inside = theirs.notna().to_numpy()
    mine = ours["country_iso3"].astype(object).to_numpy()
    same = (mine[inside] == theirs.to_numpy()[inside]).all()
    within = (ours["assigned_by"] == "within").to_numpy()
    counts = ours["assigned_by"].value_counts().to_dict()
    print(f"{args.events:,} events, {len(countries)} countries (1:10m): {counts}")
    print(
        f"coopmap assign_countries: cold {cold:.2f} s wall / {cold_cpu:.2f} s CPU (index built), "
        f"warm {warm:.2f} s wall / {warm_cpu:.2f} s CPU"
    )
    print(f"geopandas.sjoin(intersects), no nearest: {baseline:.2f} s wall / {base_cpu:.2f} s CPU")
    print(
        f"ratio sjoin / coopmap: cold {baseline / cold:.1f}x, warm {baseline / warm:.1f}x "
        f"(CPU: cold {base_cpu / cold_cpu:.1f}x, warm {base_cpu / warm_cpu:.1f}x)"
    )
    print(f"load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(
        f"identical country for the {inside.sum():,} events sjoin puts in one polygon: "
        f"{bool(same)}; none of ours 'within' outside sjoin's: {not (within & ~inside).any()}"
    )
    print(
        f"target <= 2 s: {'met' if warm <= 2 else 'MISSED'} (warm), "
        f"{'met' if cold <= 2 else 'MISSED'} (cold); "
        f"target >= 3x: {'met' if baseline / cold >= 3 else 'MISSED'} (cold)"
    )
    if not same:
        raise SystemExit("assignments differ from sjoin")


if __name__ == "__main__":
    main()
