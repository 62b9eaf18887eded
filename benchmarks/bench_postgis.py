"""Benchmark: write and read N demo events through the embedded GeoParquet store and the PostGIS store.

    /work/main/.venv/bin/python benchmarks/bench_postgis.py [--events 1000000] [--profile DIR] [--repeat K]

Starts a private PostgreSQL + PostGIS cluster (``tests/pgcluster.py``, with PostgreSQL's durable
defaults: fsync on), builds N synthetic ``conflict-events`` (the demo generator, as the default
workspace does), then for each store: ``write`` of the frame, ``write_batches`` of the same rows in
``SCAN_ROWS`` batches, and a cold ``read`` (a new store object, so nothing is cached). Prints
events/s for both writes, the read time, the PostGIS/Parquet ratio of each, the on-disk size, and
how far each phase raised the peak resident memory (VmHWM, reset before each phase) above what the
process held before it (the frame and its batches). ``--profile DIR`` writes a
cProfile of each PostGIS phase to DIR. ``--repeat K`` measures only ``write_batches``, of the N
events' batches K times over (K × N rows): its memory rise shows whether a large ingest stays
bounded (the batches are held once, however large K). Targets (issue 15): PostGIS ingest >=
150,000 events/s, 10M rows with bounded memory.
"""

from __future__ import annotations

import argparse
import cProfile
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

LAYER = "conflict-events"


def _reset_peak() -> None:
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM to the current RSS
    except OSError:
        pass


def _status_mb(key: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _timed(run: Callable[[], object], profile: Path | None) -> tuple[float, float]:
    """Seconds of ``run()`` and how far (MB) its peak RSS rose above the RSS before it; profiled into
    ``profile`` when given."""
    _reset_peak()
    before = _status_mb("VmRSS")
    profiler = cProfile.Profile() if profile else None
    start = time.perf_counter()
    if profiler:
        profiler.enable()
    run()
    if profiler:
        profiler.disable()
    seconds = time.perf_counter() - start
    if profiler and profile:
        profiler.dump_stats(str(profile))
    return seconds, _status_mb("VmHWM") - before


def _events(n: int):  # noqa: ANN202
    from geo.boundaries.countries import load_countries
    from geo.config import Settings
    from geo.ingest.demo import DEFAULT_SEED, demo_events, demo_rows

    settings = Settings()
    countries = load_countries(settings.boundaries_dir)
    return demo_events(demo_rows(n, DEFAULT_SEED, countries, None), countries, None)


def _table_mb(url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT pg_total_relation_size(format('coopmap.%%I', table_name)::regclass) FROM coopmap.manifest "
            "WHERE layer_id = %s", (LAYER,)
        ).fetchone()
    return row[0] / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--profile", type=Path, help="write a cProfile of each PostGIS phase into this directory")
    parser.add_argument("--repeat", type=int, default=0, help="only write_batches, of the batches this many times")
    args = parser.parse_args()

    from pgcluster import PrivateCluster, missing_reason

    from geo.storage.base import SCAN_ROWS
    from geo.storage.migrations import migrate
    from geo.storage.postgis import PostgisStore
    from geo.storage.store import ParquetStore

    reason = missing_reason()
    if reason:
        sys.exit(f"cannot start a private PostgreSQL cluster: {reason}")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    frame = _events(args.events)
    print(f"built {len(frame):,} demo events in {time.perf_counter() - start:.1f} s")
    cluster = PrivateCluster(durable=True).start()
    try:
        url = cluster.create_database("bench")
        migrate(url)
        with tempfile.TemporaryDirectory(prefix="coopmap-bench-") as home:
            parquet = ParquetStore(Path(home))
            parquet.write(LAYER, frame, ["bench"])  # the batches come from this file, read before timing
            schema = next(iter(parquet.scan(LAYER))).schema
            batches = list(parquet.scan(LAYER))
            geo_types = sorted(set(frame.geom_type.dropna()))
            results: dict[str, dict[str, tuple[float, float]]] = {}
            openers = {"parquet": lambda: ParquetStore(Path(home)), "postgis": lambda: PostgisStore(url)}
            for name, opener in openers.items():
                store = opener()

                def prof(phase: str, name: str = name) -> Path | None:
                    return args.profile / f"{name}-{phase}.prof" if args.profile and name == "postgis" else None

                def write_batches(store=store) -> None:
                    with store.write_batches(LAYER, schema, geo_types) as out:
                        for _ in range(max(args.repeat, 1)):
                            for batch in batches:
                                out.write(batch)
                        out.sources = ["bench"]

                if args.repeat:
                    results[name] = {"write_batches": _timed(write_batches, prof("write_batches"))}
                    getattr(store, "close", lambda: None)()
                    continue
                results[name] = {
                    "write": _timed(lambda store=store: store.write(LAYER, frame, ["bench"]), prof("write")),
                    "write_batches": _timed(write_batches, prof("write_batches")),
                }
                fresh = opener()
                results[name]["read"] = _timed(lambda fresh=fresh: fresh.read(LAYER), prof("read"))
                for s in (store, fresh):
                    getattr(s, "close", lambda: None)()
            sizes = {"parquet": parquet.path(LAYER).stat().st_size / 1e6, "postgis": _table_mb(url)}
    finally:
        cluster.stop()
    n = len(frame)
    if args.repeat:
        (ps, pm), (gs, gm) = results["parquet"]["write_batches"], results["postgis"]["write_batches"]
        rows = n * args.repeat
        print(f"write_batches of {rows:,} rows ({args.repeat} x {n:,}): parquet {rows / ps:,.0f} ev/s (+{pm:,.0f} MB), "
              f"postgis {rows / gs:,.0f} ev/s (+{gm:,.0f} MB); PostGIS table {sizes['postgis']:,.0f} MB")
        return
    print(f"{n:,} events, batches of {SCAN_ROWS:,}; PostgreSQL durable (fsync on)")
    print(f"{'':16}{'parquet':>22}{'postgis':>22}{'postgis/parquet':>18}")
    for phase in ("write", "write_batches"):
        (ps, pm), (gs, gm) = results["parquet"][phase], results["postgis"][phase]
        print(f"{phase + ' ev/s':16}{n / ps:>14,.0f} ({pm:>5,.0f} MB){n / gs:>14,.0f} ({gm:>5,.0f} MB)"
              f"{(n / gs) / (n / ps):>17.2f}x")
    (ps, pm), (gs, gm) = results["parquet"]["read"], results["postgis"]["read"]
    print(f"{'read s':16}{ps:>14.2f} ({pm:>5,.0f} MB){gs:>14.2f} ({gm:>5,.0f} MB){gs / ps:>17.2f}x")
    print(f"{'size MB':16}{sizes['parquet']:>22,.0f}{sizes['postgis']:>22,.0f}"
          f"{sizes['postgis'] / sizes['parquet']:>17.1f}x")
    print("(MB in parentheses: rise of the peak resident memory during that phase, above the frame and batches held)")


if __name__ == "__main__":
    main()
