"""The one LRU cache: eviction order, single-flight computing, failures, superseded entries."""

from __future__ import annotations

import threading
import time

import pytest

from geo.cache import LRUCache
from layers.selection import other_data_of_same_layer, prepared_cache


def _wait_until(condition, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.001)


def test_the_least_recently_used_goes_first():
    cache = LRUCache(2)
    cache.get_or_compute("a", lambda: 1)
    cache.get_or_compute("b", lambda: 2)
    assert cache.get_or_compute("a", lambda: 0) == 1  # a is now the most recent
    cache.get_or_compute("c", lambda: 3)  # drops b
    assert "b" not in cache and "a" in cache and "c" in cache
    assert (cache.stats.hits, cache.stats.misses) == (1, 3)


def test_maxsize_below_one_is_refused():
    with pytest.raises(ValueError, match="maxsize=0"):
        LRUCache(0)


def test_a_second_thread_waits_for_the_first_computation():
    cache = LRUCache(4)
    calls: list[str] = []
    release = threading.Event()

    def slow() -> str:
        calls.append("computed")
        release.wait(5)
        return "value"

    results: list[str] = []
    threads = [threading.Thread(target=lambda: results.append(cache.get_or_compute("k", slow))) for _ in range(2)]
    threads[0].start()
    _wait_until(lambda: calls == ["computed"])
    threads[1].start()
    _wait_until(lambda: "k" in cache._gates and cache._gates["k"].users == 2)  # both at the gate
    release.set()
    for thread in threads:
        thread.join(5)
    assert calls == ["computed"]  # once, not twice
    assert results == ["value", "value"]
    assert (cache.stats.hits, cache.stats.misses) == (1, 1)
    assert cache._gates == {}


def test_different_keys_compute_at_the_same_time():
    cache = LRUCache(4)
    inside = threading.Barrier(2, timeout=5)

    def meet(value: int) -> int:
        inside.wait()  # would time out (BrokenBarrierError) if "b" waited for "a"
        return value

    results: dict[str, int] = {}
    threads = [
        threading.Thread(target=lambda k=k, v=v: results.__setitem__(k, cache.get_or_compute(k, lambda: meet(v))))
        for k, v in (("a", 1), ("b", 2))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(5)
    assert results == {"a": 1, "b": 2}


def test_a_failure_is_not_cached():
    cache = LRUCache(4)

    def fail() -> int:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        cache.get_or_compute("k", fail)
    assert "k" not in cache and cache._gates == {}
    assert cache.get_or_compute("k", lambda: 7) == 7
    assert (cache.stats.hits, cache.stats.misses) == (0, 2)


def test_a_waiting_thread_computes_itself_when_the_first_fails():
    cache = LRUCache(4)
    started, release = threading.Event(), threading.Event()

    def fail() -> str:
        started.set()
        release.wait(5)
        raise RuntimeError("boom")

    errors: list[Exception] = []
    results: list[str] = []

    def first() -> None:
        try:
            cache.get_or_compute("k", fail)
        except RuntimeError as exc:
            errors.append(exc)

    one = threading.Thread(target=first)
    two = threading.Thread(target=lambda: results.append(cache.get_or_compute("k", lambda: "second")))
    one.start()
    started.wait(5)
    two.start()
    _wait_until(lambda: cache._gates["k"].users == 2)
    release.set()
    one.join(5)
    two.join(5)
    assert [str(e) for e in errors] == ["boom"] and results == ["second"]
    assert cache.get_or_compute("k", lambda: "third") == "second"


def test_a_newer_version_of_a_layer_supersedes_the_older():
    cache = LRUCache(8, supersedes=other_data_of_same_layer)
    cache.get_or_compute(("events", "v1", ("a",)), lambda: "events v1, fields a")
    cache.get_or_compute(("events", "v1", ("b",)), lambda: "events v1, fields b")
    cache.get_or_compute(("countries", "v1", ("a",)), lambda: "countries v1")
    assert len(cache) == 3  # same data, other fields: both kept
    cache.get_or_compute(("events", "v2", ("a",)), lambda: "events v2")
    # v1 of the same view (fields a) goes; the view with fields b is another role's: it stays
    # until that role asks for the new version or the LRU drops it
    assert list(cache._items) == [
        ("events", "v1", ("b",)),
        ("countries", "v1", ("a",)),
        ("events", "v2", ("a",)),
    ]
    cache.get_or_compute(("events", "v2", ("b",)), lambda: "events v2, fields b")
    assert ("events", "v1", ("b",)) not in cache


def test_the_supersedes_rule_compares_layer_view_and_data():
    assert other_data_of_same_layer(("events", "v2"), ("events", "v1"))
    assert not other_data_of_same_layer(("events", "v1", "x"), ("events", "v1", "y"))
    assert not other_data_of_same_layer(("events", "v2"), ("countries", "v1"))
    # another role's view (other served fields) of the layer is not superseded
    assert other_data_of_same_layer(("events", "v2-public", ("a",)), ("events", "v1-public", ("a",)))
    assert not other_data_of_same_layer(("events", "v1-exact", ("a", "b")), ("events", "v1-public", ("a",)))
    assert not other_data_of_same_layer(("events", "v2"), "events")  # not a tuple: kept
    assert not other_data_of_same_layer(("events",), ("events",))


def test_the_prepared_cache_keeps_sixteen_layers():
    cache = prepared_cache()
    for n in range(17):
        cache.get_or_compute((f"layer{n}", "v1"), lambda n=n: n)
    assert len(cache) == 16 and ("layer0", "v1") not in cache


def test_a_byte_budget_drops_the_least_recently_used_until_the_sizes_fit():
    cache = LRUCache(10, max_bytes=10, sizeof=len)
    cache.get_or_compute("a", lambda: b"1234")  # 4 bytes
    cache.get_or_compute("b", lambda: b"5678")  # 8 in all
    cache.get_or_compute("a", lambda: b"")  # a is now the most recent
    cache.get_or_compute("c", lambda: b"90123")  # 4 + 4 + 5 = 13 > 10: b goes, 9 left
    assert "b" not in cache and "a" in cache and "c" in cache
    assert cache.total_bytes == 9


def test_a_result_larger_than_the_whole_budget_is_served_but_not_kept():
    cache = LRUCache(10, max_bytes=10, sizeof=len)
    cache.get_or_compute("small", lambda: b"123")
    assert cache.get_or_compute("huge", lambda: b"x" * 11) == b"x" * 11
    assert "huge" not in cache and "small" in cache and cache.total_bytes == 3


def test_the_default_size_counts_arrays_frames_and_geometries():
    import geopandas as gpd
    import numpy as np
    from shapely.geometry import box

    from geo.cache import approximate_nbytes

    assert approximate_nbytes(np.zeros((100, 50), dtype=np.uint32)) == 100 * 50 * 4
    # Two squares of 5 coordinates each (closed rings): 10 x 16 bytes on top of the columns.
    frame = gpd.GeoDataFrame({"n": [1, 2]}, geometry=[box(0, 0, 1, 1), box(1, 1, 2, 2)])
    columns = int(frame.memory_usage(deep=True, index=True).sum())
    assert approximate_nbytes(frame) == columns + 10 * 16


def test_public_and_planner_summaries_do_not_evict_each_other(app):
    # The planner's view of the projects differs from the public's (exact sites), so the two roles'
    # data versions differ while the stored data and the served summary fields are the same: both
    # preparations must stay cached, not replace each other at every change of role.
    token = app.extensions["coopmap.tokens"].create("summary-planner", "planner")
    client = app.test_client()
    url = "/ogc/collections/country-summary/items?limit=1"
    planner = {"Authorization": f"Bearer {token}"}
    prepared = app.extensions.setdefault("coopmap.index", prepared_cache())
    for headers in ({}, planner):
        assert client.get(url, headers=headers).status_code == 200
    summaries = [key for key in prepared.keys() if key[0] == "country-summary"]
    assert len(summaries) == 2  # one per view, of the same stored data
    assert len({key[1] for key in summaries}) == 1 and len({key[2] for key in summaries}) == 2
