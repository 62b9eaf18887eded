"""The one disk-cache policy: byte budget, least recently used first, atomic 0600 entries, shared
by several processes; downloads and snapshots follow it.

Before, every distinct download query left a file in cache/downloads (and every snapshot one in
cache/snapshots) until the data changed.
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pyogrio
import pytest

from geo.config import Settings
from geo.errors import InvalidParameter
from geo.storage.diskcache import DiskCache
from webmap import downloads

KB = 1024


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_the_least_recently_used_entry_goes_first_and_the_budget_holds(tmp_path):
    cache = DiskCache(tmp_path / "c", max_bytes=10 * KB)
    cache.put_bytes("a", b"a" * 4 * KB)
    cache.put_bytes("b", b"b" * 4 * KB)  # 8 kB
    assert cache.read_bytes("a") == b"a" * 4 * KB  # a used after b
    cache.put_bytes("c", b"c" * 4 * KB)  # 12 kB > 10 kB: b, the least recently used, goes
    assert _names(tmp_path / "c") == ["a", "c"]
    assert cache.total_bytes() == 8 * KB
    assert cache.read_bytes("b") is None


def test_an_entry_smaller_than_the_threshold_is_served_but_not_kept(tmp_path):
    cache = DiskCache(tmp_path / "c", max_bytes=100 * KB, min_bytes=KB)
    with cache.fill("small.gpkg", lambda path: path.write_bytes(b"x" * 10)) as handle:
        assert handle.read() == b"x" * 10
    assert _names(tmp_path / "c") == []  # not even a temporary file
    with cache.fill("big.gpkg", lambda path: path.write_bytes(b"y" * 2 * KB)) as handle:
        assert handle.read() == b"y" * 2 * KB
    assert _names(tmp_path / "c") == ["big.gpkg"]


def test_an_entry_larger_than_the_budget_is_served_but_not_kept(tmp_path):
    cache = DiskCache(tmp_path / "c", max_bytes=KB)
    with cache.fill("huge.fgb", lambda path: path.write_bytes(b"z" * 3 * KB)) as handle:
        assert len(handle.read()) == 3 * KB
    assert _names(tmp_path / "c") == []


def test_entries_are_0600_in_a_0700_folder(tmp_path):
    cache = DiskCache(tmp_path / "c", max_bytes=100 * KB)
    cache.put_bytes("a.png", b"png")
    cache.fill("b.gpkg", lambda path: path.write_bytes(b"gpkg")).close()
    assert _mode(tmp_path / "c") == 0o700
    assert [_mode(p) for p in sorted((tmp_path / "c").iterdir())] == [0o600, 0o600]


def test_an_open_entry_stays_readable_when_evicted(tmp_path):
    cache = DiskCache(tmp_path / "c", max_bytes=100 * KB)
    cache.put_bytes("a", b"a" * 50 * KB)
    handle = cache.open("a")
    assert handle is not None
    with handle:
        assert DiskCache(tmp_path / "c", max_bytes=0).evict() == 50 * KB  # another process's view
        assert _names(tmp_path / "c") == []
        assert handle.read() == b"a" * 50 * KB


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from geo.storage.diskcache import DiskCache
    cache = DiskCache(Path(sys.argv[1]), max_bytes=1024 * 1024)
    for i in range(30):
        cache.put_bytes(f"{sys.argv[2]}-{i}.bin", bytes([i]) * 100 * 1024)
        if i % 3 == 0:
            cache.read_bytes(f"{sys.argv[2]}-0.bin")
    """
)


def test_two_processes_sharing_the_folder_stay_within_the_budget(tmp_path):
    # Two worker processes each write 30 entries of 100 kB (6 MB in all) into a 1 MB folder:
    # what stays is at most 10 entries (1 MB), and no temporary file is left behind.
    folder = tmp_path / "shared"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent)}
    workers = [
        subprocess.Popen([sys.executable, "-c", WRITER, str(folder), name], env=env) for name in ("w1", "w2")
    ]
    assert [worker.wait(timeout=120) for worker in workers] == [0, 0]
    names = _names(folder)
    assert sum((folder / name).stat().st_size for name in names) <= 1024 * KB
    assert 1 <= len(names) <= 10
    assert not [name for name in names if name.startswith(".tmp")]


def test_the_budgets_come_from_the_environment_or_the_app_config(monkeypatch, app_factory):
    assert (Settings().download_cache_mb, Settings().snapshot_cache_mb) == (256, 128)
    monkeypatch.setenv("COOPMAP_DOWNLOAD_CACHE_MB", "7")
    monkeypatch.setenv("COOPMAP_SNAPSHOT_CACHE_MB", "0")
    assert (Settings().download_cache_mb, Settings().snapshot_cache_mb) == (7, 0)
    app = app_factory(COOPMAP_DOWNLOAD_CACHE_MB=3)
    assert app.extensions["coopmap.settings"].download_cache_mb == 3
    monkeypatch.setenv("COOPMAP_SNAPSHOT_CACHE_MB", "lots")
    with pytest.raises(InvalidParameter, match="COOPMAP_SNAPSHOT_CACHE_MB='lots'"):
        Settings()


DOWNLOAD_QUERIES = [
    "",
    "datetime=2024",
    "datetime=2023",
    "event_type=Battles",
    "event_type=Protests",
    "datetime=2024&event_type=Battles",
]


def test_distinct_downloads_keep_the_download_cache_within_its_budget(app_factory, home, monkeypatch, tmp_path):
    monkeypatch.setattr(downloads, "MIN_CACHED_BYTES", 0)  # store every file, however small
    client = app_factory(COOPMAP_DOWNLOAD_CACHE_MB=1).test_client()
    folder = home / "cache" / "downloads"
    sizes = {}
    for query in DOWNLOAD_QUERIES:
        with client.get(f"/download/conflict-events.gpkg?{query}") as response:  # closes the file
            assert response.status_code == 200
            path = tmp_path / f"{len(sizes)}.gpkg"
            path.write_bytes(response.data)
        frame = pyogrio.read_dataframe(path)
        if "event_type=" in query:
            assert set(frame["event_type"]) <= {query.split("event_type=")[1]}
        sizes[query] = len(response.data)
        stored = sum((folder / name).stat().st_size for name in _names(folder))
        assert stored <= 2**20
    assert sum(sizes.values()) > 2**20, "the queries must together exceed the budget for the test to mean anything"
    assert _mode(folder) == 0o700
    assert {_mode(folder / name) for name in _names(folder)} == {0o600}


def test_a_small_download_is_streamed_and_never_stored(client, home, tmp_path):
    # The demo layer's GeoPackage (2000 events) is well under MIN_CACHED_BYTES (2 MB).
    with client.get("/download/conflict-events.gpkg?event_type=Battles") as response:
        assert response.status_code == 200 and len(response.data) < downloads.MIN_CACHED_BYTES
        assert int(response.headers["Content-Length"]) == len(response.data)
        path = tmp_path / "b.gpkg"
        path.write_bytes(response.data)
    frame = pyogrio.read_dataframe(path)
    assert len(frame) > 0 and set(frame["event_type"]) == {"Battles"}
    assert _names(home / "cache" / "downloads") == []


def test_distinct_snapshots_keep_the_snapshot_cache_within_its_budget(app_factory, home):
    client = app_factory(COOPMAP_SNAPSHOT_CACHE_MB=1).test_client()
    folder = home / "cache" / "snapshots"
    total = 0
    for title in ("one", "two", "three", "four", "five", "six"):
        response = client.get(f"/snapshot.png?view=sahel&width=1200&height=900&title={title}")
        assert response.status_code == 200 and response.headers["X-Snapshot-Cache"] == "miss"
        total += len(response.data)
        assert sum((folder / name).stat().st_size for name in _names(folder)) <= 2**20
    assert total > 2**20, "the snapshots must together exceed the budget for the test to mean anything"
    again = client.get("/snapshot.png?view=sahel&width=1200&height=900&title=six")
    assert again.headers["X-Snapshot-Cache"] == "hit"  # the most recent stays


def test_files_left_in_an_earlier_layout_are_evicted_first(tmp_path):
    # The snapshots used to sit in two-letter sub-folders: they count against the budget and,
    # older than any new entry, go first.
    legacy = tmp_path / "c" / "ab" / "abcdef.png"
    legacy.parent.mkdir(parents=True)
    legacy.write_bytes(b"l" * 6 * KB)
    os.utime(legacy, (1_000_000_000, 1_000_000_000))
    cache = DiskCache(tmp_path / "c", max_bytes=10 * KB)
    cache.put_bytes("new.png", b"n" * 6 * KB)  # 12 kB > 10 kB: the legacy file goes
    assert not legacy.exists() and cache.read_bytes("new.png") == b"n" * 6 * KB


def test_the_polygon_grids_live_in_their_bounded_disk_cache(home):
    from geo.boundaries.joins import POLYGON_GRID_CACHE_MB, polygon_grid_cache

    cache = polygon_grid_cache(home / "cache")
    names = [entry.path.name for entry in cache.entries()]
    assert names and all(name.startswith("polygon-grid-") for name in names)
    assert cache.total_bytes() <= POLYGON_GRID_CACHE_MB * 2**20
    assert not list((home / "cache").glob("polygon-grid-*.npy"))  # nothing at the root any more
