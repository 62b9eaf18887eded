"""GeoParquet layout: a bbox read of a large events file, old layout vs GeoParquet 1.1.

    .venv/bin/python benchmarks/bench_formats.py                 # 1,000,000 demo events
    .venv/bin/python benchmarks/bench_formats.py --events 200000 # quicker

Writes the same synthetic demo events (``geo.ingest.demo``, in the generator's order: by date) as

1. the old layout: ``GeoDataFrame.to_parquet`` (zstd, GeoParquet 1.0, no covering, the default
   row groups: one of up to 1,048,576 rows), which is what the store wrote before;
2. the embedded store's layer file (``ParquetStore.write``: GeoParquet 1.1, bbox covering, Hilbert
   order, row groups of 100,000, ``fid``);

then, for a few windows, reads each with ``geopandas.read_parquet(bbox=...)`` and prints the row
groups and compressed bytes a reader has to fetch (the row groups whose bbox statistics meet the
window; all of them without a covering), the time (best of 3) and the rows found. Also printed:
write time, file size, and the store's ``read`` and ``scan`` time on each layout (the new layout
puts rows back in the written order on both).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

WINDOWS = {
    "Goma 1x1 deg": (28.7, -2.2, 29.7, -1.2),
    "eastern DRC 5x5": (26.0, -5.0, 31.0, 0.0),
    "Sahel 20x10": (-12.0, 10.0, 8.0, 20.0),
    "Gaza 0.5x0.5": (34.2, 31.2, 34.7, 31.7),
}


def _best(fn, repeat: int = 3) -> tuple[float, object]:  # noqa: ANN001
    best, out = float("inf"), None
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - start)
    return best, out


def _groups_read(path: Path, window: tuple[float, float, float, float]) -> tuple[int, int, int, int]:
    """(row groups to read, of all, compressed bytes to read, of all) for a bbox read of ``window``."""
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    names = pq.read_schema(path).names
    sizes = [sum(meta.row_group(g).column(c).total_compressed_size for c in range(meta.num_columns))
             for g in range(meta.num_row_groups)]
    if "bbox" not in names:
        return meta.num_row_groups, meta.num_row_groups, sum(sizes), sum(sizes)
    first = names.index("bbox")  # leaf columns bbox.xmin, ymin, xmax, ymax (every column before is a leaf)
    x0, y0, x1, y1 = window
    hit = []
    for g in range(meta.num_row_groups):
        s = [meta.row_group(g).column(first + k).statistics for k in range(4)]
        if s[0].min <= x1 and s[2].max >= x0 and s[1].min <= y1 and s[3].max >= y0:
            hit.append(g)
    return len(hit), meta.num_row_groups, sum(sizes[g] for g in hit), sum(sizes)


def _bbox_read(path: Path, window: tuple[float, float, float, float]):  # noqa: ANN202
    """The features of ``path`` in ``window``: geopandas' bbox read, or (a file without a covering,
    which geopandas refuses) the whole file read then filtered."""
    import geopandas as gpd
    import pyarrow.parquet as pq

    if "bbox" in pq.read_schema(path).names:
        return gpd.read_parquet(path, bbox=window)
    x0, y0, x1, y1 = window
    return gpd.read_parquet(path).cx[x0:x1, y0:y1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    args = parser.parse_args()

    from bench_postgis import _events

    from geo.storage.store import ParquetStore

    start = time.perf_counter()
    frame = _events(args.events)
    print(f"{len(frame):,} demo events built in {time.perf_counter() - start:.1f} s")
    with tempfile.TemporaryDirectory() as folder:
        old = Path(folder) / "old.parquet"
        seconds, _ = _best(lambda: frame.to_parquet(old, compression="zstd", index=False), 1)
        print(f"old layout: written in {seconds:.1f} s, {old.stat().st_size / 1e6:.1f} MB")
        store = ParquetStore(Path(folder) / "ws")
        seconds, _ = _best(lambda: store.write("conflict-events", frame, ["bench"]), 1)
        new = store.path("conflict-events")
        print(f"GeoParquet 1.1 layer: written in {seconds:.1f} s, {new.stat().st_size / 1e6:.1f} MB")

        print(f"{'window':<18} {'layout':<8} {'row groups':>10} {'MB read':>16} {'time':>8} {'rows':>8}")
        for name, window in WINDOWS.items():
            for label, path in (("old", old), ("new", new)):
                groups, of, read, total = _groups_read(path, window)
                seconds, found = _best(lambda p=path, w=window: _bbox_read(p, w))
                print(f"{name:<18} {label:<8} {groups:>4} of {of:<4} {read / 1e6:>6.1f} of {total / 1e6:<6.1f}"
                      f" {seconds * 1000:>6.0f} ms {len(found):>8,}")

        old_store = ParquetStore(Path(folder) / "ws-old")
        old_store.write("conflict-events", frame, ["bench"])
        frame.to_parquet(old_store.path("conflict-events"), compression="zstd", index=False)
        for label, opened in (("old", old_store), ("new", store)):
            seconds, _ = _best(lambda s=opened: ParquetStore(s.home).read("conflict-events"), 1)
            scan, rows = _best(lambda s=opened: sum(t.num_rows for t in s.scan("conflict-events")), 1)
            print(f"store on the {label} layout: read {seconds:.2f} s, "
                  f"scan of every column {scan:.2f} s ({rows:,} rows)")


if __name__ == "__main__":
    main()
