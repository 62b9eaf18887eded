"""Benchmark: country summary and site exposure over 1,000,000 events.

Run from the repository root::

    python benchmarks/bench_analytics.py [--events 1000000] [--sites 1000]

Targets (issue 5): the country summary for one year over 1M joined events <= 200 ms; exposure of
1,000 sites against 1M events <= 2 s. Each figure is printed with a ratio against a naive
baseline measured in the same run, and the results are checked equal to the baseline's:

- summary baseline: pandas group-bys on the string columns of the GeoDataFrame (what the first
  ``country_summary`` did), for the same period, previous period and per-type counts;
- exposure baselines, on a subsample of sites and extrapolated to all of them: (a) brute-force
  geodesic distances from each site to every event (``pyproj.Geod.inv``), (b) per site, a 50 km
  circle built in the site's azimuthal-equidistant projection, reprojected to degrees and
  queried against the events' spatial index (geopandas ``sindex``, i.e. a buffer + sjoin).

Country codes are drawn at random from the African countries (the join itself is benchmarked
in issue 4); they cost the summary exactly what real codes would.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS, Geod
from shapely.geometry import Point

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from geo.analytics.exposure import event_tree, site_exposure  # noqa: E402
from geo.analytics.prepared import prepare_events  # noqa: E402
from geo.analytics.summaries import SUMMARY_FILTERS, country_summary  # noqa: E402
from geo.boundaries.countries import load_countries  # noqa: E402
from geo.cache import LRUCache  # noqa: E402
from geo.config import REPO_ROOT  # noqa: E402
from geo.events import events_frame  # noqa: E402
from geo.query import Query, parse_query, previous_period  # noqa: E402
from tests.reference import period_mask  # noqa: E402

BBOX = (-18.0, -12.0, 45.0, 25.0)
TYPES = np.array(
    [
        "Battles",
        "Violence against civilians",
        "Explosions/Remote violence",
        "Protests",
        "Riots",
        "Strategic developments",
    ]
)


def make_events(n: int, codes: np.ndarray, seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    days = rng.integers(0, 731, n)
    return events_frame(
        {
            "event_id": np.char.add("B", np.arange(n).astype(str)),
            "source_dataset": np.where(rng.random(n) < 0.5, "acled", "ucdp-ged"),
            "event_date": np.datetime64("2023-01-01") + days.astype("timedelta64[D]"),
            "event_type": TYPES[rng.integers(0, len(TYPES), n)],
            "country_iso3": codes[rng.integers(0, len(codes), n)],
            "fatalities": rng.poisson(1.5, n),
        },
        rng.uniform(BBOX[0], BBOX[2], n),
        rng.uniform(BBOX[1], BBOX[3], n),
    )


def timed(function, repeat: int = 1):  # noqa: ANN001, ANN201
    times, result = [], None
    for _ in range(repeat):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def naive_summary(
    events: gpd.GeoDataFrame, countries: gpd.GeoDataFrame, query: Query
) -> pd.DataFrame:
    current = events[period_mask(events["event_date"], query.period)]
    before = events[period_mask(events["event_date"], previous_period(query.period))]
    out = countries[["iso3"]].copy()
    counts = current.groupby("country_iso3").agg(
        events=("event_id", "size"), fatalities=("fatalities", "sum")
    )
    out = out.join(counts, on="iso3")
    out["events_previous"] = out["iso3"].map(before.groupby("country_iso3").size())
    by_type = current.groupby(["country_iso3", "event_type"]).size()
    out["types"] = out["iso3"].map({k: len(g) for k, g in by_type.groupby(level=0)})
    return out.fillna(0)


def bench_summary(events: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> None:
    query = parse_query({"datetime": "2024"}, SUMMARY_FILTERS)
    prep_time, arrays = timed(lambda: prepare_events(events))
    ours, summary = timed(
        lambda: country_summary(events, countries, query, prepared=arrays), repeat=5
    )
    filtered = parse_query({"datetime": "2024", "event_type": "Battles,Riots"}, SUMMARY_FILTERS)
    ours_filtered, _ = timed(
        lambda: country_summary(events, countries, filtered, prepared=arrays), repeat=5
    )
    naive, baseline = timed(lambda: naive_summary(events, countries, query), repeat=3)
    cache = LRUCache(8)
    key = ("version", "country-summary", (("datetime", "2024"),))
    cache.get_or_compute(key, lambda: summary)
    hit, _ = timed(lambda: cache.get_or_compute(key, lambda: summary), repeat=5)
    merged = summary.merge(baseline, on="iso3", suffixes=("", "_naive"))
    equal = (
        (merged["events"] == merged["events_naive"]).all()
        and (merged["fatalities"] == merged["fatalities_naive"]).all()
        and (merged["events_previous"] == merged["events_previous_naive"]).all()
    )
    print(f"country summary, datetime=2024, {len(events):,} events, {len(countries)} countries")
    print(f"  prepare (once per data version, cached): {prep_time * 1000:8.1f} ms")
    print(
        f"  summary (prepared arrays)              : {ours * 1000:8.1f} ms   target <= 200 ms "
        f"{'OK' if ours <= 0.2 else 'MISSED'}"
    )
    print(f"  summary with event_type filter         : {ours_filtered * 1000:8.1f} ms")
    print(
        f"  naive pandas group-bys (baseline)      : {naive * 1000:8.1f} ms   "
        f"ratio {naive / ours:5.1f}x"
    )
    print(
        f"  first request incl. prepare            : {(prep_time + ours) * 1000:8.1f} ms   "
        f"ratio {naive / (prep_time + ours):5.1f}x"
    )
    print(f"  repeated request (result cache hit)    : {hit * 1e6:8.1f} µs")
    print(f"  counts equal to the baseline           : {bool(equal)}")
    if not equal:
        raise SystemExit("summary differs from the baseline")


def naive_geodesic(
    site: tuple[float, float], lon: np.ndarray, lat: np.ndarray, fat: np.ndarray, geod: Geod
) -> tuple[int, int, float]:
    _, _, metres = geod.inv(np.full(len(lon), site[0]), np.full(len(lat), site[1]), lon, lat)
    inside = metres <= 50_000
    return int(inside.sum()), int(fat[inside].sum()), float(metres.min())


def naive_buffer(site: tuple[float, float], points: gpd.GeoDataFrame) -> int:
    aeqd = CRS.from_proj4(f"+proj=aeqd +lat_0={site[1]} +lon_0={site[0]} +datum=WGS84 +units=m")
    circle = gpd.GeoSeries([Point(0, 0).buffer(50_000, 64)], crs=aeqd).to_crs(4326).iloc[0]
    return len(points.sindex.query(circle, predicate="intersects"))


def bench_exposure(events: gpd.GeoDataFrame, n_sites: int, sample: int) -> None:
    rng = np.random.default_rng(7)
    lon = rng.uniform(BBOX[0] + 1, BBOX[2] - 1, n_sites)
    lat = rng.uniform(BBOX[1] + 1, BBOX[3] - 1, n_sites)
    prep_time, arrays = timed(lambda: prepare_events(events))
    query = Query()
    tree_time, tree = timed(lambda: event_tree(arrays, query))
    query_time, table = timed(lambda: site_exposure(lon, lat, arrays, query, tree=tree), repeat=3)
    ours = tree_time + query_time
    selected = tree.index
    ev_lon, ev_lat, fat = arrays.lon[selected], arrays.lat[selected], arrays.fatalities[selected]
    geod = Geod(ellps="WGS84")
    picks = rng.choice(n_sites, sample, replace=False)
    start = time.perf_counter()
    brute = [naive_geodesic((lon[i], lat[i]), ev_lon, ev_lat, fat, geod) for i in picks]
    brute_time = (time.perf_counter() - start) / sample * n_sites
    points = gpd.GeoDataFrame(geometry=gpd.points_from_xy(ev_lon, ev_lat), crs=4326)
    start = time.perf_counter()
    points.sindex  # noqa: B018  (built once, counted in the baseline)
    buffered = [naive_buffer((lon[i], lat[i]), points) for i in picks]
    buffer_time = time.perf_counter() - start
    buffer_time = buffer_time / sample * n_sites
    equal = all(
        table.loc[i, "exposure_events"] == b[0]
        and table.loc[i, "exposure_fatalities"] == b[1]
        and abs(table.loc[i, "nearest_event_m"] - b[2]) <= 0.1
        for i, b in zip(picks, brute, strict=True)
    )
    close = max(
        abs(table.loc[i, "exposure_events"] - b) for i, b in zip(picks, buffered, strict=True)
    )
    print(
        f"exposure, {n_sites:,} sites, 50 km, last 12 months "
        f"({len(selected):,} of {len(events):,} events)"
    )
    print(f"  prepare (once per data version, cached): {prep_time * 1000:8.1f} ms")
    print(f"  KD-tree of the period (cached)         : {tree_time * 1000:8.1f} ms")
    print(f"  queries + geodesic refinement          : {query_time * 1000:8.1f} ms")
    print(
        f"  exposure total (tree + queries)        : {ours * 1000:8.1f} ms   target <= 2000 ms "
        f"{'OK' if ours <= 2 else 'MISSED'}"
    )
    print(f"  total incl. prepare                    : {(prep_time + ours) * 1000:8.1f} ms")
    print(
        f"  brute-force geodesic, {sample} sites → {n_sites}: {brute_time * 1000:8.0f} ms   "
        f"ratio {brute_time / ours:6.1f}x"
    )
    print(
        f"  buffer + sindex per site, {sample} → {n_sites}  : {buffer_time * 1000:8.0f} ms   "
        f"ratio {buffer_time / ours:6.1f}x"
    )
    print(f"  equal to brute force on the sample     : {equal}")
    print(f"  max count difference vs 64-gon buffers : {close} (polygonal circle edge)")
    if not equal:
        raise SystemExit("exposure differs from the brute-force baseline")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--sites", type=int, default=1_000)
    parser.add_argument("--sample", type=int, default=20, help="sites measured for the baselines")
    args = parser.parse_args()
    countries = load_countries(REPO_ROOT / "data" / "boundaries")
    codes = countries.loc[countries["continent"] == "Africa", "iso3"].to_numpy(dtype=str)
    start = time.perf_counter()
    events = make_events(args.events, codes)
    print(f"built {len(events):,} events in {time.perf_counter() - start:.1f} s\n")
    bench_summary(events, countries)
    print()
    bench_exposure(events, args.sites, args.sample)


if __name__ == "__main__":
    main()
