"""Benchmark of the PostGIS store: ingest speed, and the items API of coopmap, tipg and pygeoapi on
one PostGIS table (issue 15, "Performance").

    /work/main/.venv/bin/python benchmarks/bench_postgis.py [--events 1000000] [--requests 50] [--clients 16]
        [--skip-ingest] [--skip-items] [--profile DIR] [--repeat K] [--cql]

One run starts a private PostgreSQL + PostGIS cluster (``tests/pgcluster.py``, with PostgreSQL's
durable defaults: fsync on) and builds N synthetic ``conflict-events`` (the demo generator, as the
default workspace does). The generator writes events country by country (consecutive events are
~4 degrees apart, ~24 after a shuffle), so the frame is shuffled (fixed seed) before anything is
written: the table is stored in random physical order relative to space.

Ingest (skipped with ``--skip-ingest``): for each store, ``write`` of the frame, ``write_batches``
of the same rows in ``SCAN_ROWS`` batches, and a cold ``read`` (a new store object, so nothing is
cached); for PostGIS also ``write_batches`` with a plain ``COPY`` instead of ``COPY ... FREEZE``
(``geo.storage.postgis.COPY_OPTIONS``). Prints events/s, the PostGIS/Parquet ratio, the on-disk
size, and how far each phase raised the peak resident memory (VmHWM, reset before each phase).
``--profile DIR`` writes a cProfile of each PostGIS phase to DIR. ``--repeat K`` measures only
``write_batches`` of the N events' batches K times over (K x N rows), to show bounded memory.
Target: PostGIS ingest >= 150,000 events/s.

``--cql``: only the CQL2 filter of issue 17 on the four servers (``benchmarks/postgis_cql.py``).

Items API (skipped with ``--skip-items``): the SAME table ``coopmap.layer_conflict_events`` is
served by coopmap (gunicorn, 2 workers), tipg 1.6.1 (uvicorn, 2 workers, venv /tmp/tipg-venv) and
pygeoapi's PostgreSQL provider (gunicorn, 2 workers, venv /tmp/pygeoapi-venv); see
``benchmarks/postgis_items.py``. tipg needs a primary key: the table's ``fid`` already is one, so
nothing is added. Requests are ``items?bbox=<box>&limit=1000`` where each box is 6-14 degrees a
side and holds 5-10 % of the events. After a warm-up, each server gets ``--requests`` requests
in four modes: the same box repeated, and distinct boxes (a fresh list for each mode, each box used
once), each from 1 client and from ``--clients`` concurrent clients; the three servers take turns
in each mode (who goes first rotates), so that a change of the machine's load falls on all three.
Prints req/s, p50, p99, the load average beside each figure, and the ratios coopmap/tipg and
coopmap/pygeoapi. Before that it
checks that page 1 (``sortby=event_id``) holds the same event_ids in the same order on the three,
and compares each numberMatched with an exact SQL count.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

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


def _shuffled(frame):  # noqa: ANN001, ANN202
    """``frame`` in random order (fixed seed); prints the mean distance between consecutive events."""
    import numpy as np

    def step(f) -> float:  # noqa: ANN001
        return float(np.hypot(np.diff(f.geometry.x.to_numpy()), np.diff(f.geometry.y.to_numpy())).mean())

    out = frame.iloc[np.random.default_rng(5).permutation(len(frame))].reset_index(drop=True)
    print(f"mean distance between consecutive events: generator order {step(frame):.1f} deg, "
          f"stored (shuffled) order {step(out):.1f} deg")
    return out


def _loadavg() -> str:
    return Path("/proc/loadavg").read_text().split()[0]


def ingest(url: str, frame, args: argparse.Namespace) -> None:  # noqa: ANN001
    """The write/read measurements, GeoParquet vs PostGIS; leaves the frame in the PostGIS table."""
    from geo.storage import postgis
    from geo.storage.base import SCAN_ROWS
    from geo.storage.postgis import PostgisStore
    from geo.storage.store import ParquetStore

    with tempfile.TemporaryDirectory(prefix="coopmap-bench-") as home:
        parquet = ParquetStore(Path(home))
        parquet.write(LAYER, frame, ["bench"])  # the batches come from this file, read before timing
        schema = next(iter(parquet.scan(LAYER))).schema
        batches = list(parquet.scan(LAYER))
        geo_types = sorted(set(frame.geom_type.dropna()))
        results: dict[str, dict[str, tuple[float, float]]] = {}
        loads: dict[str, str] = {}
        openers = {"parquet": lambda: ParquetStore(Path(home)), "postgis": lambda: PostgisStore(url)}
        for name, opener in openers.items():
            store = opener()

            def prof(phase: str, name: str = name) -> Path | None:
                return args.profile / f"{name}-{phase}.prof" if args.profile and name == "postgis" else None

            def write_batches(store=store) -> None:  # noqa: ANN001
                with store.write_batches(LAYER, schema, geo_types) as out:
                    for _ in range(max(args.repeat, 1)):
                        for batch in batches:
                            out.write(batch)
                    out.sources = ["bench"]

            if args.repeat:
                results[name] = {"write_batches": _timed(write_batches, prof("write_batches"))}
                getattr(store, "close", lambda: None)()
                continue
            results[name] = {}
            loads[name] = _loadavg()
            results[name]["write"] = _timed(lambda store=store: store.write(LAYER, frame, ["bench"]), prof("write"))
            if name == "postgis":  # the plain COPY first, so that the table left behind is the FREEZE one
                frozen, postgis.COPY_OPTIONS = postgis.COPY_OPTIONS, "FORMAT binary"
                try:
                    results[name]["write_batches, no FREEZE"] = _timed(write_batches, prof("write_batches_plain"))
                finally:
                    postgis.COPY_OPTIONS = frozen
            results[name]["write_batches"] = _timed(write_batches, prof("write_batches"))
            fresh = opener()
            results[name]["read"] = _timed(lambda fresh=fresh: fresh.read(LAYER), prof("read"))
            for s in (store, fresh):
                getattr(s, "close", lambda: None)()
        sizes = {"parquet": parquet.path(LAYER).stat().st_size / 1e6, "postgis": _table_mb(url)}
    n = len(frame)
    if args.repeat:
        (ps, pm), (gs, gm) = results["parquet"]["write_batches"], results["postgis"]["write_batches"]
        rows = n * args.repeat
        print(f"write_batches of {rows:,} rows ({args.repeat} x {n:,}): parquet {rows / ps:,.0f} ev/s (+{pm:,.0f} MB), "
              f"postgis {rows / gs:,.0f} ev/s (+{gm:,.0f} MB); PostGIS table {sizes['postgis']:,.0f} MB")
        return
    print(f"\n{n:,} events, batches of {SCAN_ROWS:,}; PostgreSQL durable (fsync on); load average "
          f"{loads['parquet']} before parquet, {loads['postgis']} before postgis")
    print(f"{'':26}{'parquet':>22}{'postgis':>22}{'postgis/parquet':>18}")
    for phase in ("write", "write_batches"):
        (ps, pm), (gs, gm) = results["parquet"][phase], results["postgis"][phase]
        print(f"{phase + ' ev/s':26}{n / ps:>14,.0f} ({pm:>5,.0f} MB){n / gs:>14,.0f} ({gm:>5,.0f} MB)"
              f"{(n / gs) / (n / ps):>17.2f}x")
    gs, gm = results["postgis"]["write_batches, no FREEZE"]
    fs = results["postgis"]["write_batches"][0]
    print(f"{'write_batches no FREEZE':26}{'':>22}{n / gs:>14,.0f} ({gm:>5,.0f} MB)"
          f"   FREEZE/plain {gs / fs:.2f}x")
    (ps, pm), (gs, gm) = results["parquet"]["read"], results["postgis"]["read"]
    print(f"{'read s':26}{ps:>14.2f} ({pm:>5,.0f} MB){gs:>14.2f} ({gm:>5,.0f} MB){gs / ps:>17.2f}x")
    print(f"{'size MB':26}{sizes['parquet']:>22,.0f}{sizes['postgis']:>22,.0f}"
          f"{sizes['postgis'] / sizes['parquet']:>17.1f}x")
    print("(MB in parentheses: rise of the peak resident memory during that phase, above the frame and batches held)")


def _exact_count(url: str, box: tuple[float, ...]) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM coopmap.layer_conflict_events WHERE geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326)",
            box[:4]).fetchone()[0]


def check_pages(url: str, servers: list, box: tuple[float, ...]) -> None:  # noqa: ANN001
    """Page 1 of ``box`` sorted by event_id on every server: same numberMatched (vs an exact count)
    and the same event_ids in the same order."""
    from postgis_items import bbox_query, first_page

    box = tuple(float(v) for v in box[:4])
    exact = _exact_count(url, box)
    pages = {s.name: first_page(s, bbox_query(box) + "&sortby=event_id") for s in servers}
    print(f"\nidentical pages: bbox {box[:4]}, limit=1000, sortby=event_id; exact SQL count {exact:,}")
    reference = pages[servers[0].name][1]
    columns = pages[servers[0].name][3]
    for name, (matched, ids, returned, names) in pages.items():
        kind = "exact" if matched == exact else ("absent" if matched is None else f"differs by {matched - exact:+,}")
        print(f"  {name:9} numberMatched {matched!s:>9} ({kind}); returned {returned}; "
              f"same ids in the same order as {servers[0].name}: {ids == reference}; "
              f"same set: {set(ids) == set(reference)}")
        if names != columns:
            print(f"  {'':9} properties beyond {servers[0].name}'s: {sorted(names - columns)}; "
                  f"missing: {sorted(columns - names)}")


def items(url: str, frame, work: Path, args: argparse.Namespace) -> list[tuple]:  # noqa: ANN001
    """Serve the table with the three servers and measure them; returns the rows of the figure table."""
    from postgis_items import bbox_query, country_boxes, load, start_coopmap, start_pygeoapi, start_tipg

    x, y = frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy()
    n = args.requests
    boxes = country_boxes(x, y, 6 + 2 * n)
    shares = [b[4] / len(frame) for b in boxes]
    print(f"\n{len(boxes)} boxes holding {min(shares):.1%}-{max(shares):.1%} of the events "
          f"(median {sorted(shares)[len(shares) // 2]:.1%})")
    warm, same, distinct1, distinct16 = boxes[:5], boxes[5], boxes[6:6 + n], boxes[6 + n:]
    modes = {
        ("same bbox", 1): [bbox_query(same)] * n,
        ("same bbox", args.clients): [bbox_query(same)] * (2 * n),
        ("distinct", 1): [bbox_query(b) for b in distinct1],
        ("distinct", args.clients): [bbox_query(b) for b in distinct16],
    }
    servers = []
    try:
        for start in (start_coopmap, start_tipg, start_pygeoapi):
            t0 = time.perf_counter()
            table = ("coopmap", "layer_conflict_events")
            server = start(url, work) if start is start_coopmap else start(url, *table, work)
            servers.append(server)
            print(f"{server.name} up in {time.perf_counter() - t0:.1f} s")
        check_pages(url, servers, same)
        figures = []
        for server in servers:
            t0 = time.perf_counter()
            warmed = load(server, [bbox_query(b) for b in warm] * 4, args.clients)
            print(f"{server.name} warm-up: {time.perf_counter() - t0:.1f} s, errors {warmed['errors']} "
                  f"{warmed['first_error']}")
        # The servers take turns (who goes first rotates: the first warms PostgreSQL's cache for the others),
        # so that the shared machine's load changes fall on all three.
        for turn, ((mode, clients), queries) in enumerate(modes.items()):
            for server in servers[turn % 3:] + servers[:turn % 3]:
                before = _loadavg()
                got = load(server, queries, clients)
                figures.append((server.name, mode, clients, got, before))
                print(f"  {server.name:9} {mode:10} {clients:>2} clients: {got['rps']:7.2f} req/s"
                      f"  p50 {got['p50']:7.0f} ms  p99 {got['p99']:7.0f} ms  {got['kb']:6.0f} KB/resp"
                      f"  errors {got['errors']}  load {before}"
                      + (f"  {got['first_error']}" if got["errors"] else ""))
        return figures
    finally:
        for server in servers:
            server.stop()


def print_table(figures: list[tuple]) -> None:
    by = {(name, mode, clients): got for name, mode, clients, got, _ in figures}
    load = {(name, mode, clients): before for name, mode, clients, _, before in figures}
    print("\nitems?bbox=<5-10 % of the events>&limit=1000, 2 workers each; req/s (p50 / p99 ms) [load average before]")
    print(f"{'mode':22}{'coopmap':>30}{'tipg':>30}{'pygeoapi':>30}{'coop/tipg':>11}{'coop/pygeo':>11}")
    for mode, clients in dict.fromkeys((m, c) for _, m, c, _, _ in figures):
        cells = []
        for name in ("coopmap", "tipg", "pygeoapi"):
            got = by.get((name, mode, clients))
            cells.append(f"{got['rps']:6.2f} ({got['p50']:5.0f}/{got['p99']:5.0f}) [{load[(name, mode, clients)]}]"
                         if got else "-")
        ratios = [by[("coopmap", mode, clients)]["rps"] / by[(other, mode, clients)]["rps"]
                  if (other, mode, clients) in by and by[(other, mode, clients)]["rps"] else float("nan")
                  for other in ("tipg", "pygeoapi")]
        print(f"{mode + f', {clients} cl.':22}" + "".join(f"{c:>30}" for c in cells)
              + "".join(f"{r:>10.2f}x" for r in ratios))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=50, help="requests per server and mode (and distinct boxes)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients of the concurrent modes")
    parser.add_argument("--skip-ingest", action="store_true", help="write the layer once, without the ingest figures")
    parser.add_argument("--skip-items", action="store_true", help="only the ingest figures")
    parser.add_argument("--profile", type=Path, help="write a cProfile of each PostGIS phase into this directory")
    parser.add_argument("--repeat", type=int, default=0, help="only write_batches, of the batches this many times")
    parser.add_argument("--cql", action="store_true", help="only the CQL2 filter figure (postgis_cql.py)")
    args = parser.parse_args()

    from pgcluster import PrivateCluster, missing_reason

    from geo.storage.migrations import migrate
    from geo.storage.postgis import PostgisStore

    reason = missing_reason()
    if reason:
        sys.exit(f"cannot start a private PostgreSQL cluster: {reason}")
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    frame = _shuffled(_events(args.events))
    print(f"built {len(frame):,} demo events in {time.perf_counter() - start:.1f} s; load average {_loadavg()}")
    cluster = PrivateCluster(durable=True).start()
    try:
        url = cluster.create_database("bench")
        migrate(url)
        if args.repeat or not (args.skip_ingest or args.cql):
            ingest(url, frame, args)
        if args.repeat or args.skip_items:
            return
        if args.skip_ingest or args.cql:
            with PostgisStore(url) as store:
                store.write(LAYER, frame, ["bench"])
        if args.cql:
            from postgis_cql import run

            with tempfile.TemporaryDirectory(prefix="coopmap-bench-cql-") as work:
                env = {**os.environ, "COOPMAP_DATABASE_URL": url, "COOPMAP_HOME": str(Path(work) / "coopmap-home")}
                subprocess.run([sys.executable, "-m", "cli", "init"], cwd=ROOT, env=env, check=True,
                               stdout=subprocess.DEVNULL)
                run(url, frame, Path(work), args.requests)
            return
        with tempfile.TemporaryDirectory(prefix="coopmap-bench-items-") as work:
            env = {**os.environ, "COOPMAP_DATABASE_URL": url, "COOPMAP_HOME": str(Path(work) / "coopmap-home")}
            subprocess.run([sys.executable, "-m", "cli", "init"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)  # the other default layers; conflict-events is there
            print_table(items(url, frame, Path(work), args))
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
