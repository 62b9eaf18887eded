"""The registry records of the embedded store: one JSON file per registry, every version of every
record (the history), replaced atomically under the registry's lock."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from pathlib import Path

import geopandas as gpd
import orjson

from geo.storage.base import RecordVersion, RegistryChange, checked_registry
from geo.storage.io import write_bytes_atomic


def now_iso() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def latest(versions: Sequence[RecordVersion]) -> dict[str, RecordVersion]:
    """The newest version of each record, by record id."""
    newest: dict[str, RecordVersion] = {}
    for version in versions:
        known = newest.get(version.record_id)
        if known is None or version.version > known.version:
            newest[version.record_id] = version
    return newest


def read_versions(path: Path) -> list[RecordVersion]:
    """The versions kept in ``path`` (none when it does not exist), by record id then version."""
    try:
        raw = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return []
    return sorted((RecordVersion(**item) for item in raw["versions"]), key=lambda v: (v.record_id, v.version))


class FileRegistryChange(RegistryChange):
    """A change of the file ``path``: the records file is replaced first (a crash before the layers
    are written leaves records that the next change rebuilds the layers from), then each layer."""

    def __init__(self, path: Path, write_layer: Callable[[str, gpd.GeoDataFrame, list[str]], None]) -> None:
        self.path = path
        self.write_layer = write_layer
        self.versions = read_versions(path)
        self.saved = False

    def current(self) -> dict[str, RecordVersion]:
        return latest(self.versions)

    def save(self, versions: Sequence[RecordVersion], layers: Mapping[str, gpd.GeoDataFrame],
             sources: list[str]) -> None:
        if self.saved:
            raise RuntimeError("a registry change saves once")
        self.saved = True
        change = max((v.change for v in self.versions), default=0) + 1
        stamped = [replace(v, at=now_iso(), change=change) for v in versions]
        document = {"versions": [v.to_json() for v in [*self.versions, *stamped]]}
        write_bytes_atomic(self.path, orjson.dumps(document))
        self.versions = [*self.versions, *stamped]
        for layer_id, frame in layers.items():
            self.write_layer(layer_id, frame, sources)


@contextmanager
def file_registry_change(
    folder: Path, registry: str, lock: Callable[[str], AbstractContextManager[None]],
    write_layer: Callable[[str, gpd.GeoDataFrame, list[str]], None],
) -> Iterator[RegistryChange]:
    """``Store.registry_change`` of the embedded store: ``folder/<registry>.json`` under ``lock``."""
    path = folder / f"{checked_registry(registry)}.json"
    with lock(f"registry-{registry}"):
        yield FileRegistryChange(path, write_layer)


def file_registry_versions(folder: Path, registry: str, record_id: str | None = None) -> list[RecordVersion]:
    """``Store.registry_versions`` of the embedded store."""
    versions = read_versions(folder / f"{checked_registry(registry)}.json")
    return [v for v in versions if record_id is None or v.record_id == record_id]
