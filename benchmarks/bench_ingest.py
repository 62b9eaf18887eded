"""Benchmark: ingest N ACLED-format events end to end (read, validate, assign, store).

    /work/main/.venv/bin/python benchmarks/bench_ingest.py [--events 1000000] [--reingest]

Generates an ACLED-format CSV (the demo generator) in a child process, then ingests it in a fresh
child process into a temporary workspace and prints events/s, CPU seconds and that process's peak
resident memory (VmHWM from /proc, which unlike ru_maxrss is not inherited from the parent).
Baseline, measured in the same run: a plain ``pandas.read_csv`` of the same file (parsing only).
Targets: >= 200,000 events/s and < 2 GB peak for 1,000,000 events.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def _peak_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _generate(csv_path: Path, n: int) -> None:
    from geo.boundaries.countries import load_countries
    from geo.config import Settings
    from geo.ingest.demo import demo_rows, write_csv

    write_csv(demo_rows(n, 7, load_countries(Settings().boundaries_dir)), csv_path)


def _child(csv_path: Path, home: Path) -> None:
    from geo.boundaries.countries import load_countries
    from geo.config import Settings
    from geo.ingest.load import ingest_file
    from geo.storage.store import ParquetStore

    settings = Settings(home=home)
    store = ParquetStore(home)
    if not store.has("countries"):  # a re-ingest run finds the workspace of the first
        store.write("countries", load_countries(settings.boundaries_dir), ["bench"])
    start, cpu = time.perf_counter(), _cpu()
    summary = ingest_file(csv_path, "acled", store, settings)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    print(
        json.dumps(
            {
                "seconds": seconds,
                "cpu": cpu,
                "peak_mb": _peak_mb(),
                "read": summary.read,
                "added": summary.added,
                "unchanged": summary.unchanged,
                "rejected": summary.rejected,
                "assigned": summary.assigned,
            }
        )
    )


def _baseline(csv_path: Path) -> None:
    import pandas as pd

    start, cpu = time.perf_counter(), _cpu()
    frame = pd.read_csv(csv_path, dtype=str, keep_default_na=False)
    seconds, cpu = time.perf_counter() - start, _cpu() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_mb": _peak_mb(), "rows": len(frame)}))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", "--rows", type=int, default=1_000_000)
    parser.add_argument(
        "--reingest",
        action="store_true",
        help="then ingest the same file again into the filled layer (the upsert path)",
    )
    parser.add_argument("--child", nargs=2, metavar=("CSV", "HOME"), help=argparse.SUPPRESS)
    parser.add_argument("--baseline", metavar="CSV", help=argparse.SUPPRESS)
    parser.add_argument("--generate", nargs=2, metavar=("CSV", "N"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _child(Path(args.child[0]), Path(args.child[1]))
        return
    if args.baseline:
        _baseline(Path(args.baseline))
        return
    if args.generate:
        _generate(Path(args.generate[0]), int(args.generate[1]))
        return
    run = [sys.executable, __file__]
    with tempfile.TemporaryDirectory(prefix="coopmap-bench-") as tmp:
        csv_path = Path(tmp) / "acled.csv"
        start = time.perf_counter()
        subprocess.run([*run, "--generate", str(csv_path), str(args.events)], check=True)
        size_mb = csv_path.stat().st_size / 1e6
        print(
            f"generated {args.events:,} ACLED-format rows ({size_mb:,.0f} MB) "
            f"in {time.perf_counter() - start:.1f} s"
        )

        def measured(*flags: str) -> dict:
            """Run this script in a fresh process with ``flags``; return the JSON it prints."""
            done = subprocess.run([*run, *flags], check=True, capture_output=True, text=True)
            return json.loads(done.stdout)

        home = str(Path(tmp) / "home")
        child = measured("--child", str(csv_path), home)
        again = measured("--child", str(csv_path), home) if args.reingest else None
        base = measured("--baseline", str(csv_path))
    rate = child["read"] / child["seconds"]
    print(
        f"ingest: {child['seconds']:.2f} s wall ({child['cpu']:.2f} s CPU)  {rate:,.0f} events/s  "
        f"peak {child['peak_mb']:,.0f} MB  (added {child['added']:,}, "
        f"rejected {child['rejected']:,}, "
        f"assigned {child['assigned']})"
    )
    if again is not None:
        print(
            f"re-ingest into the filled layer: {again['seconds']:.2f} s wall "
            f"({again['cpu']:.2f} s CPU)  {again['read'] / again['seconds']:,.0f} events/s  "
            f"peak {again['peak_mb']:,.0f} MB  (added {again['added']:,}, "
            f"unchanged {again['unchanged']:,})"
        )
    print(
        f"baseline pandas.read_csv(dtype=str) alone: {base['seconds']:.2f} s wall "
        f"({base['cpu']:.2f} s CPU)  "
        f"peak {base['peak_mb']:,.0f} MB"
    )
    print(f"load average during the run: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"ratio ingest / read_csv: {child['seconds'] / base['seconds']:.2f}x")
    print(
        f"target >= 200,000 events/s: {'met' if rate >= 200_000 else 'MISSED'};  "
        f"target < 2048 MB: {'met' if child['peak_mb'] < 2048 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
