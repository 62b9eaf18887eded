"""Benchmark of the vector tiles: p50 per tile over a z3-z8 sample of Africa on N events, coopmap on
both stores vs tipg's tiles on the same PostGIS table (issue 17, "Performance").

    /work/main/.venv/bin/python benchmarks/bench_tiles.py [--events 1000000] [--per-zoom 25] [--clients 1]

One run builds N synthetic ``conflict-events`` (the demo generator, shuffled as in
``bench_postgis.py``), writes them to a private PostgreSQL + PostGIS cluster (``tests/pgcluster.py``)
and to an embedded workspace, and starts three servers (``benchmarks/postgis_items.py``):

- coopmap on PostGIS (gunicorn, 2 workers): tiles made in SQL (``geo.storage.pgtiles``);
- coopmap on the embedded store (gunicorn, 2 workers): tiles encoded in memory (``geo.features.tiles``);
- tipg 1.6.1 (uvicorn, 2 workers) on the same table ``coopmap.layer_conflict_events``: its
  ``/collections/{id}/tiles/WebMercatorQuad/{z}/{x}/{y}`` (at most 10,000 features a tile, its default).

The sample: every tile of Africa (-18, -35, 52, 38) at zooms 3 to 5, and at each of zooms 6 to 8 the tiles of
``--per-zoom`` random events (fixed seed: the sample follows the data). After a warm-up on other
tiles, each server gets each tile of the sample once (distinct tiles: no tile cache helps), from one
client; the servers take turns zoom by zoom. Prints, per server and zoom, p50 / p99 per tile and the
largest tile, then over the whole sample p50, p90, max and mean size (uncompressed) and the ratio
coopmap/tipg of the p50. With ``--map``, the map's ``/map-data/events`` of four views against the
tiles covering each view, on both coopmap servers.

Figures (1M events, 153 tiles, load average ~1, 2 CPUs): p50 per tile coopmap-postgis 62.6 ms (p90 400),
coopmap-embedded 9.8 ms (p90 20), tipg 199.6 ms (p90 582): coopmap/tipg 0.31 and 0.05. Largest tile
24.5 KB (coopmap, cells below zoom 8 and in dense tiles) vs 8.07 MB (tipg, up to 10,000 points a
tile); mean 5.9 KB vs 4.7 MB. PostGIS is slowest at zooms 3 and 6-7 (p50 381 and 120-140 ms: the
cells count up to ~300,000 rows of a table stored in random order).

The map (``--map``, same run): the embedded store's tiles of a view take less time than one
``/map-data/events`` at zooms 3-7 (Africa z3: 166 ms for 6 tiles vs 391 ms; eastern DRC z7: 78 vs
202 ms) but more at zoom 10 (Goma: 263 ms and 346 KB vs 44 ms and 18 KB); on PostGIS the tiles are
slower in every view (Africa z3: 2.3 s vs 0.4 s). Not a clear win: the map page keeps its endpoints.
"""

from __future__ import annotations

import argparse
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

LAYER = "conflict-events"
AFRICA = (-18.0, -35.0, 52.0, 38.0)


def sample(per_zoom: int, x, y, seed: int = 17) -> tuple[list, list]:  # noqa: ANN001
    """The measured tiles (z3-z5: every tile of Africa; z6-z8: the tiles of ``per_zoom`` random events
    each, so that the sample follows the data) and warm-up tiles (of other events)."""
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    chosen = random.Random(seed)
    tiles = list(tms.tiles(*AFRICA, zooms=[3, 4, 5]))
    warm = []
    for zoom in (6, 7, 8):
        picked: list = []
        while len(picked) < per_zoom + 5:
            i = chosen.randrange(len(x))
            tile = tms.tile(float(x[i]), float(y[i]), zoom)
            if tile not in picked:
                picked.append(tile)
        tiles += picked[:per_zoom]
        warm += picked[per_zoom:]
    return tiles, warm


def timed(url: str, http) -> tuple[float, int]:  # noqa: ANN001
    """Milliseconds until the whole body of ``url`` is received, and its size (no compression)."""
    t0 = time.perf_counter()
    response = http.request("GET", url, headers={"Accept-Encoding": "identity"})
    elapsed = (time.perf_counter() - t0) * 1000
    if response.status != 200:
        raise RuntimeError(f"{url}: {response.status} {response.data[:200]!r}")
    return elapsed, len(response.data)


MAP_VIEWS = (
    ("Africa", (-25.0, -38.0, 60.0, 40.0), 3),
    ("Sahel", (-12.0, 8.0, 16.0, 22.0), 5),
    ("eastern DRC", (26.0, -5.0, 31.5, 2.0), 7),
    ("Goma", (28.9, -1.9, 29.5, -1.4), 10),
)
"""Map views (bbox, zoom) compared between the map's ``/map-data/events`` and the tiles covering them."""


def compare_map(name: str, origin: str, http) -> None:  # noqa: ANN001
    """One ``/map-data/events`` request per view vs fetching every tile of the view (one after the
    other: the time a browser with one connection would wait; bytes uncompressed)."""
    import morecantile

    tms = morecantile.tms.get("WebMercatorQuad")
    for i, (view, (minx, miny, maxx, maxy), zoom) in enumerate(MAP_VIEWS):
        events = f"{origin}/map-data/events?bbox={minx},{miny},{maxx},{maxy}&zoom={zoom}"
        timed(f"{events}&datetime=1900/2100", http)  # the map's event arrays loaded, in both workers
        timed(f"{events}&datetime=1900/2099", http)
        period = f"datetime=1901-01-0{i + 1}/2100-12-31"  # a period no request has asked: nothing cached
        ms, size = timed(f"{events}&{period}", http)
        tiles = list(tms.tiles(minx, miny, maxx, maxy, zooms=[zoom]))
        got = [timed(f"{origin}/ogc/collections/{LAYER}/tiles/WebMercatorQuad/{t.z}/{t.y}/{t.x}?{period}", http)
               for t in tiles]
        print(f"  {name:17} {view:12} z{zoom:<2} map-data {ms:7.1f} ms {size / 1000:7.1f} KB | {len(tiles):3} tiles "
              f"{sum(m for m, _ in got):7.1f} ms (slowest {max(m for m, _ in got):6.1f}) "
              f"{sum(b for _, b in got) / 1000:7.1f} KB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--per-zoom", type=int, default=25, help="random tiles measured at each of zooms 6-8")
    parser.add_argument("--map", action="store_true", help="also compare the map's /map-data/events with tiles")
    args = parser.parse_args()

    import numpy as np
    from bench_postgis import _events, _loadavg, _shuffled
    from pgcluster import PrivateCluster, missing_reason
    from postgis_items import Server, _popen, _wait, free_port, load, start_coopmap, start_tipg

    from geo.config import Settings
    from geo.ingest.defaults import open_workspace
    from geo.storage.migrations import migrate
    from geo.storage.postgis import PostgisStore
    from geo.storage.store import ParquetStore

    reason = missing_reason()
    if reason:
        sys.exit(f"cannot start a private PostgreSQL cluster: {reason}")

    class Tiles(Server):
        def url(self, query: str) -> str:
            return f"{self.items}/{query}"

    def as_tiles(server: Server, base: str, name: str) -> Tiles:
        return Tiles(name, base, server.process, log=server.log)

    start = time.perf_counter()
    frame = _shuffled(_events(args.events))
    print(f"built {len(frame):,} demo events in {time.perf_counter() - start:.1f} s; load average {_loadavg()}")
    tiles, warm = sample(args.per_zoom, frame.geometry.x.to_numpy(), frame.geometry.y.to_numpy())
    cluster = PrivateCluster(durable=True).start()
    servers: list[Server] = []
    try:
        url = cluster.create_database("bench")
        migrate(url)
        with PostgisStore(url) as store:
            store.write(LAYER, frame, ["bench"])
        with tempfile.TemporaryDirectory(prefix="coopmap-bench-tiles-") as work_dir:
            work = Path(work_dir)
            env = {**os.environ, "COOPMAP_DATABASE_URL": url, "COOPMAP_HOME": str(work / "coopmap-home")}
            subprocess.run([sys.executable, "-m", "cli", "init"], cwd=ROOT, env=env, check=True,
                           stdout=subprocess.DEVNULL)  # the other default layers; conflict-events is there
            home = work / "embedded-home"
            os.environ["COOPMAP_DEMO_EVENTS"] = "100"
            open_workspace(Settings(home=home))
            ParquetStore(home).write(LAYER, frame, ["bench"])

            pg = start_coopmap(url, work)
            servers.append(pg)
            port = free_port()
            embedded_env = {k: v for k, v in os.environ.items() if k != "COOPMAP_DATABASE_URL"}
            embedded_env.update({"COOPMAP_HOME": str(home), "COOPMAP_RATE_LIMIT": "off"})
            command = [sys.executable, "-m", "gunicorn", "-w", "2", "--threads", "4", "-k", "gthread",
                       "-b", f"127.0.0.1:{port}", "--timeout", "600", "webmap:create_app()"]
            embedded = _wait(Server("coopmap-embedded", f"http://127.0.0.1:{port}/ogc/collections/{LAYER}/items",
                                    _popen(command, embedded_env, work / "embedded.log", ROOT),
                                    log=work / "embedded.log"))
            servers.append(embedded)
            tipg = start_tipg(url, "coopmap", "layer_conflict_events", work)
            servers.append(tipg)
            ours = "/ogc/collections/conflict-events/tiles/WebMercatorQuad"
            clients = {
                "coopmap-postgis": (as_tiles(pg, pg.items.replace(f"/ogc/collections/{LAYER}/items", ours), "pg"),
                                    lambda t: f"{t.z}/{t.y}/{t.x}"),
                "coopmap-embedded": (as_tiles(embedded, embedded.items.replace(f"/ogc/collections/{LAYER}/items",
                                                                               ours), "embedded"),
                                     lambda t: f"{t.z}/{t.y}/{t.x}"),
                "tipg": (as_tiles(tipg, tipg.items.replace("/items", "/tiles/WebMercatorQuad"), "tipg"),
                         lambda t: f"{t.z}/{t.x}/{t.y}"),
            }
            for name, (server, path) in clients.items():
                t0 = time.perf_counter()
                got = load(server, [path(t) for t in warm] * 2, 2)
                print(f"{name} warm-up: {time.perf_counter() - t0:.1f} s, errors {got['errors']} {got['first_error']}")
            import urllib3

            http = urllib3.PoolManager(timeout=urllib3.Timeout(connect=10, read=600), retries=False)
            latencies: dict[str, dict[int, list[float]]] = {name: {} for name in clients}
            sizes: dict[str, list[int]] = {name: [] for name in clients}
            names = list(clients)
            for turn, zoom in enumerate(range(3, 9)):
                at_zoom = [t for t in tiles if t.z == zoom]
                for name in names[turn % 3:] + names[:turn % 3]:
                    server, path = clients[name]
                    before = _loadavg()
                    got = [timed(server.url(path(t)), http) for t in at_zoom]
                    latencies[name][zoom] = [ms for ms, _ in got]
                    sizes[name] += [size for _, size in got]
                    ms = np.array(latencies[name][zoom])
                    print(f"  z{zoom} {name:17} {len(at_zoom):3} tiles  p50 {np.median(ms):7.1f} ms  "
                          f"p99 {np.percentile(ms, 99):7.1f} ms  max {max(s for _, s in got) / 1000:8.1f} KB  "
                          f"load {before}")
            print(f"\n{len(tiles)} tiles of Africa (z3-z5 all, z6-z8 {args.per_zoom} each), {len(frame):,} events, "
                  "one client, each tile once")
            every = {name: np.concatenate([np.array(v) for v in latencies[name].values()]) for name in clients}
            tipg_p50 = float(np.median(every["tipg"]))
            for name in clients:
                p50 = float(np.median(every[name]))
                print(f"  {name:17} p50 {p50:7.1f} ms  p90 {np.percentile(every[name], 90):7.1f} ms  "
                      f"max size {max(sizes[name]) / 1000:7.1f} KB  mean {np.mean(sizes[name]) / 1000:6.1f} KB  "
                      f"p50/tipg {p50 / tipg_p50:5.2f}")
            if args.map:
                print("\nthe map's events (/map-data/events) vs the tiles of the same view, both for a period "
                      "not asked before (no response cached; the map's event arrays loaded)")
                for name in ("coopmap-postgis", "coopmap-embedded"):
                    server = clients[name][0]
                    compare_map(name, server.items.split("/ogc/")[0], http)
    finally:
        for server in servers:
            server.stop()
        cluster.stop()


if __name__ == "__main__":
    main()
