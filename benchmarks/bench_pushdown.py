"""Items on PostGIS before and after the selections were pushed down into SQL.

Run from the repository root::

    /work/main/.venv/bin/python benchmarks/bench_pushdown.py [--events 1000000] [--requests 20] \\
        [--before DIR]

It starts a private PostgreSQL cluster (``tests/pgcluster.py``), writes ``--events`` synthetic
events (``bench_features.build_events``, random physical order) through ``PostgisStore``, then, in a
fresh Python process per code tree, builds the app on that database and sends the same random
``bbox`` + ``limit=1000`` items requests through Flask's test client (no HTTP server: the figures
are the app's own time). It prints the first request's time, p50/p99 of the others and the
process's resident memory (VmRSS) and peak (VmHWM) after them. ``--before`` names a source tree of
the code to compare with (e.g. ``git archive <commit> | tar -x -C DIR``); this tree is "after".
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "tests"))
sys.path.insert(0, str(REPO / "benchmarks"))

CHILD = r"""
import json, os, statistics, sys, time
sys.path.insert(0, sys.argv[1])
os.environ["COOPMAP_DATABASE_URL"] = sys.argv[2]
from webmap import create_app
app = create_app({"TESTING": True, "COOPMAP_HOME": sys.argv[3]})
client = app.test_client()
boxes = json.loads(sys.argv[4])
def get(box):
    t0 = time.perf_counter()
    response = client.get(f"/ogc/collections/conflict-events/items?bbox={box}&limit=1000")
    assert response.status_code == 200, response.data[:200]
    return (time.perf_counter() - t0) * 1000, response.get_json()["numberMatched"]
first, _ = get(boxes[0])
times, matched = zip(*[get(box) for box in boxes[1:]])
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"first_ms": first, "p50_ms": statistics.median(times), "max_ms": max(times),
                  "matched_mean": statistics.mean(matched),
                  "rss_mb": int(status["VmRSS"].split()[0]) / 1024, "peak_mb": int(status["VmHWM"].split()[0]) / 1024}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--before", type=Path, help="source tree of the code before (optional)")
    args = parser.parse_args()

    from bench_features import boxes, build_events
    from pgcluster import PrivateCluster

    from geo.storage.migrations import migrate
    from geo.storage.postgis import PostgisStore

    cluster = PrivateCluster().start()
    try:
        url = cluster.create_database("bench_pushdown")
        migrate(url)
        with PostgisStore(url) as store:
            store.write("conflict-events", build_events(args.events), ["bench"])
        queries = json.dumps(boxes(args.requests + 1))
        trees = ([("before", args.before)] if args.before else []) + [("after", REPO)]
        for name, tree in trees:
            with tempfile.TemporaryDirectory() as home:
                out = subprocess.run([sys.executable, "-c", CHILD, str(tree), url, home, queries],
                                     capture_output=True, text=True, check=True, cwd=tree)
            print(name, out.stdout.strip().splitlines()[-1], flush=True)
    finally:
        cluster.stop()


if __name__ == "__main__":
    main()
