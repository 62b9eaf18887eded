"""The CQL2 figure of issue 17 (``bench_postgis.py --cql``): one filter on 1M events, p50 per server.

    fatalities > 5 AND event_type IN ('Battles', 'Explosions/Remote violence')
        AND S_INTERSECTS(<geometry>, POLYGON(<a pentagon over the Great Lakes and the Congo basin>))

served by coopmap on PostGIS (gunicorn, 2 workers), coopmap on its embedded store (the same
events in a GeoParquet workspace, 2 workers), tipg and pygeoapi's PostgreSQL provider (both on the
same table, ``postgis_items``). Each server first answers the filter once; its ``numberMatched``
is compared with an exact SQL count (the geometry property is ``geometry`` on coopmap, the
column's name ``geom`` on the others; pygeoapi reads a GET filter as ECQL: ``INTERSECTS``).
Then, from one client, ``requests`` times the same filter (a server may answer it from a cache)
and ``requests`` distinct filters (the pentagon moved by 0.01 degree each time), ``limit=100``:
p50 and p99 in ms.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.parse
from pathlib import Path

import orjson
import urllib3
from postgis_items import REPO, Server, _popen, _wait, free_port, load, start_coopmap, start_pygeoapi, start_tipg

PENTAGON = [(12.0, -12.0), (31.0, -14.0), (36.0, -2.0), (27.0, 6.0), (14.0, 2.0)]
TYPES = ("Battles", "Explosions/Remote violence")
LIMIT = 100


def wkt(shift: float = 0.0) -> str:
    ring = [*PENTAGON, PENTAGON[0]]
    return "POLYGON((" + ", ".join(f"{x + shift:.4f} {y + shift:.4f}" for x, y in ring) + "))"


DIALECTS = (("geometry", "S_INTERSECTS"), ("geom", "S_INTERSECTS"), ("geom", "INTERSECTS"))
"""(geometry property, spatial function) tried in turn: coopmap names the geometry ``geometry``, tipg by
its column; pygeoapi reads a GET filter as ECQL, whose function is ``INTERSECTS``."""


def cql(dialect: tuple[str, str], shift: float = 0.0) -> str:
    types = ", ".join(f"'{t}'" for t in TYPES)
    geometry, function = dialect
    return f"fatalities > 5 AND event_type IN ({types}) AND {function}({geometry}, {wkt(shift)})"


def query(dialect: tuple[str, str], shift: float = 0.0) -> str:
    lang = {"filter-lang": "cql2-text"} if dialect[1] == "S_INTERSECTS" else {}
    return urllib.parse.urlencode({"filter": cql(dialect, shift), **lang, "limit": LIMIT})


def exact_count(url: str) -> int:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT count(*) FROM coopmap.layer_conflict_events WHERE fatalities > 5 AND event_type = ANY(%s) "
            "AND ST_Intersects(geom, ST_GeomFromText(%s, 4326))", (list(TYPES), wkt())).fetchone()[0]


def start_embedded(frame, work: Path, workers: int = 2) -> Server:  # noqa: ANN001
    """coopmap's gunicorn on an embedded (GeoParquet) workspace holding ``frame`` as its events."""
    from geo.storage.store import ParquetStore

    home = work / "embedded-home"
    env = {k: v for k, v in os.environ.items() if k != "COOPMAP_DATABASE_URL"}
    env.update({"COOPMAP_HOME": str(home), "COOPMAP_RATE_LIMIT": "off"})
    subprocess.run([sys.executable, "-m", "cli", "init"], cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL)
    ParquetStore(home).write("conflict-events", frame, ["bench"])
    port = free_port()
    log = work / "embedded.log"
    command = [sys.executable, "-m", "gunicorn", "-w", str(workers), "--threads", "4", "-k", "gthread",
               "-b", f"127.0.0.1:{port}", "--timeout", "600", "webmap:create_app()"]
    server = Server("embedded", f"http://127.0.0.1:{port}/ogc/collections/conflict-events/items",
                    _popen(command, env, log, REPO), log=log)
    return _wait(server)


def matched(server: Server, geometry: tuple[str, str]) -> tuple[int | None, str]:
    response = urllib3.request("GET", server.url(query(geometry)), timeout=urllib3.Timeout(connect=10, read=600))
    if response.status != 200:
        return None, f"{response.status} {response.data[:200]!r}"
    return orjson.loads(response.data).get("numberMatched"), ""


def run(url: str, frame, work: Path, requests: int) -> None:  # noqa: ANN001
    """Start the four servers, check their counts and print the p50 of each."""
    exact = exact_count(url)
    print(f"\nCQL2: {cql(DIALECTS[0])}\nexact SQL count {exact:,}; limit={LIMIT}; 1 client")
    starters = {
        "coopmap": lambda: start_coopmap(url, work),
        "embedded": lambda: start_embedded(frame, work),
        "tipg": lambda: start_tipg(url, "coopmap", "layer_conflict_events", work),
        "pygeoapi": lambda: start_pygeoapi(url, "coopmap", "layer_conflict_events", work),
    }
    rows = []
    for name, start in starters.items():
        t0 = time.perf_counter()
        try:
            server = start()
        except RuntimeError as exc:
            print(f"  {name:9} did not start: {exc}")
            continue
        try:
            print(f"  {name:9} up in {time.perf_counter() - t0:.1f} s")
            geometry: tuple[str, str] | None = None
            count, error = None, ""
            for candidate in DIALECTS:
                count, error = matched(server, candidate)
                if not error:
                    geometry = candidate
                    break
            if geometry is None:
                print(f"  {name:9} cannot answer the filter: {error}")
                continue
            verdict = "exact" if count == exact else ("absent" if count is None else f"differs by {count - exact:+,}")
            load(server, [query(geometry, 0.001 * i) for i in range(3)], 1)  # warm-up
            same = load(server, [query(geometry)] * requests, 1)
            distinct = load(server, [query(geometry, 0.01 * (i + 1)) for i in range(requests)], 1)
            rows.append((name, geometry, count, verdict, same, distinct))
            print(f"  {name:9} numberMatched {count} ({verdict}); same p50 {same['p50']:.0f} ms, "
                  f"distinct p50 {distinct['p50']:.0f} ms, errors {same['errors'] + distinct['errors']} "
                  f"{same['first_error'] or distinct['first_error']}")
        finally:
            server.stop()
    print(f"\n{'server':10}{'matched':>12}{'same p50/p99 ms':>20}{'distinct p50/p99 ms':>24}")
    for name, _, count, verdict, same, distinct in rows:
        print(f"{name:10}{count!s:>12}{same['p50']:>12.0f} /{same['p99']:>6.0f}{distinct['p50']:>16.0f} /"
              f"{distinct['p99']:>6.0f}   {verdict}")
