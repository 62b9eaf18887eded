"""The data version followed by LISTEN/NOTIFY: one store's write is seen by another at once, the
manifest is served from memory meanwhile, and never stale when the listening connection is lost."""

from __future__ import annotations

import time

import geopandas as gpd
import psycopg
from shapely.geometry import Point

from geo.storage.postgis import PostgisStore


def _frame(n: int) -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"name": [f"site {i}" for i in range(n)]},
                            geometry=[Point(i, i) for i in range(n)], crs="EPSG:4326")


def _seen_within(store: PostgisStore, version: str, seconds: float) -> float:
    start = time.monotonic()
    while store.data_version != version:
        assert time.monotonic() - start < seconds, "the other store's write was not seen"
        time.sleep(0.01)
    return time.monotonic() - start


def _wait_listening(store: PostgisStore) -> None:
    store.manifest()
    deadline = time.monotonic() + 10
    while not store._db.listening:
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_a_write_by_one_store_reaches_the_other_within_2_s_and_is_cached_meanwhile(pg_url):
    with PostgisStore(pg_url) as reader, PostgisStore(pg_url) as writer:
        _wait_listening(reader)
        first = reader.data_version
        writer.write("envr", _frame(2), ["a.csv"])
        assert writer.data_version != first  # the writer sees its own write at once
        assert _seen_within(reader, writer.data_version, 2.0) < 2.0
        assert reader.manifest().layers["envr"].rows == 2
        # unchanged data: the manifest comes from memory, the database is not asked
        reader.pool.close()
        assert reader.manifest().layers["envr"].rows == 2


def test_a_lost_listening_connection_never_serves_a_stale_manifest(pg_url):
    with PostgisStore(pg_url) as reader, PostgisStore(pg_url) as writer:
        writer.write("envr", _frame(1), [])
        _wait_listening(reader)
        assert reader.manifest().layers["envr"].rows == 1
        with psycopg.connect(pg_url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE application_name = 'coopmap-version-watch' AND datname = current_database()")
            writer.write("envr", _frame(3), [])  # while nobody listens (listening again takes RETRY_S, 1 s)
        assert _seen_within(reader, writer.data_version, 0.5) < 0.5
        assert reader.manifest().layers["envr"].rows == 3
