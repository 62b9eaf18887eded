"""The embedded store: one GeoParquet file per layer plus a manifest.

``Store`` is the interface the API, the maps and the CLI use; ``ParquetStore`` is the embedded
implementation; ``geo.storage.postgis.PostgisStore`` the PostGIS one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import geopandas as gpd
import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from geo.config import Settings
from geo.errors import LayerNotFound
from geo.storage.io import geoparquet_writer, write_bytes_atomic, write_parquet_atomic

SCAN_ROWS = 100_000
"""Rows per table from ``ParquetStore.scan``."""


@dataclass
class LayerRecord:
    """What the manifest knows of one stored layer."""

    rows: int
    sources: list[str]
    updated: str
    digest: str


@dataclass
class Manifest:
    """The store's table of contents; ``data_version`` changes whenever any layer changes."""

    data_version: str = "empty"
    layers: dict[str, LayerRecord] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {"data_version": self.data_version, "layers": {k: asdict(v) for k, v in self.layers.items()}},
            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = orjson.loads(raw)
        layers = {k: LayerRecord(**v) for k, v in data.get("layers", {}).items()}
        return cls(data_version=data["data_version"], layers=layers)


@dataclass
class BatchWriter:
    """Appends Arrow tables to a layer being replaced (see ``Store.write_batches``)."""

    append: Callable[[pa.Table], None]
    sources: list[str] = field(default_factory=list)
    rows: int = 0

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table``."""
        if table.num_rows:
            self.append(table)
            self.rows += table.num_rows


class Store(ABC):
    """Storage of layer data, addressed by layer id."""

    @abstractmethod
    def read(self, layer_id: str) -> gpd.GeoDataFrame:
        """Return the stored frame of ``layer_id``; raise ``LayerNotFound`` if absent."""

    @abstractmethod
    def write(self, layer_id: str, frame: gpd.GeoDataFrame, sources: list[str]) -> None:
        """Replace the data of ``layer_id`` atomically and bump the data version."""

    @abstractmethod
    def write_batches(
        self, layer_id: str, schema: pa.Schema, geometry_types: Sequence[str] = ()
    ) -> AbstractContextManager[BatchWriter]:
        """Replace the data of ``layer_id`` from Arrow tables (``schema``, WKB ``geometry`` in
        EPSG:4326) written one by one, so memory is bounded by a table, not the layer.

        The new data replaces the old, and the data version changes, only when the ``with``
        block ends without an error; set ``BatchWriter.sources`` inside the block.

        Examples
        --------
        >>> with store.write_batches("conflict-events", schema, ["Point"]) as out:  # doctest: +SKIP
        ...     for table in tables:
        ...         out.write(table)
        ...     out.sources = ["acled.csv"]
        """

    @abstractmethod
    def scan(self, layer_id: str, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        """The stored rows of ``layer_id`` as Arrow tables of bounded size, in stored order
        (geometry as WKB); raise ``LayerNotFound`` if absent."""

    @abstractmethod
    def has(self, layer_id: str) -> bool:
        """True when ``layer_id`` has stored data."""

    @abstractmethod
    def manifest(self) -> Manifest:
        """The current manifest."""

    @property
    def data_version(self) -> str:
        return self.manifest().data_version


class ParquetStore(Store):
    """Layers as GeoParquet files under ``home/layers``; frames are cached in memory by digest."""

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.layer_dir = self.home / "layers"
        self.manifest_path = self.home / "manifest.json"
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, gpd.GeoDataFrame]] = {}

    def path(self, layer_id: str) -> Path:
        return self.layer_dir / f"{layer_id}.parquet"

    def manifest(self) -> Manifest:
        try:
            return Manifest.from_json(self.manifest_path.read_bytes())
        except FileNotFoundError:
            return Manifest()

    def has(self, layer_id: str) -> bool:
        return layer_id in self.manifest().layers and self.path(layer_id).exists()

    def read(self, layer_id: str) -> gpd.GeoDataFrame:
        record = self.manifest().layers.get(layer_id)
        if record is None or not self.path(layer_id).exists():
            raise LayerNotFound(layer_id)
        cached = self._cache.get(layer_id)
        if cached is not None and cached[0] == record.digest:
            return cached[1]
        frame = gpd.read_parquet(self.path(layer_id))
        self._cache[layer_id] = (record.digest, frame)
        return frame

    def write(self, layer_id: str, frame: gpd.GeoDataFrame, sources: list[str]) -> None:
        with self._lock:
            write_parquet_atomic(frame, self.path(layer_id))
            digest = self._record(layer_id, len(frame), sources)
            self._cache[layer_id] = (digest, frame)

    @contextmanager
    def write_batches(
        self, layer_id: str, schema: pa.Schema, geometry_types: Sequence[str] = ()
    ) -> Iterator[BatchWriter]:
        with self._lock:
            with geoparquet_writer(
                self.path(layer_id), schema, geometry_types=geometry_types
            ) as append:
                out = BatchWriter(append)
                yield out
            self._cache.pop(layer_id, None)
            self._record(layer_id, out.rows, out.sources)

    def scan(self, layer_id: str, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        if not self.has(layer_id):
            raise LayerNotFound(layer_id)
        with pq.ParquetFile(self.path(layer_id)) as source:
            for batch in source.iter_batches(SCAN_ROWS, columns=columns):
                yield pa.Table.from_batches([batch])

    def _record(self, layer_id: str, rows: int, sources: list[str]) -> str:
        """Enter the layer's new file in the manifest; return its digest."""
        digest = _file_digest(self.path(layer_id))
        manifest = self.manifest()
        manifest.layers[layer_id] = LayerRecord(
            rows=rows,
            sources=sorted(set(sources)),
            updated=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            digest=digest,
        )
        manifest.data_version = version_of(manifest.layers)
        write_bytes_atomic(self.manifest_path, manifest.to_json())
        return digest


def _file_digest(path: Path) -> str:
    h = hashlib.blake2b(digest_size=12)
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def version_of(layers: Mapping[str, LayerRecord]) -> str:
    """The data version of a set of layers: a hash of their ids and digests, in id order.

    The store's manifest and every role's view of it (``layers.access.SecuredStore``) use it, so
    equal layers give equal versions.

    Examples
    --------
    >>> version_of({"countries": LayerRecord(rows=1, sources=[], updated="", digest="abc")})
    '0b7ade1507033c72'
    """
    h = hashlib.blake2b(digest_size=8)
    for layer_id in sorted(layers):
        h.update(f"{layer_id}:{layers[layer_id].digest};".encode())
    return h.hexdigest()


DATABASE_STORE = "geo.storage.postgis:PostgisStore"
"""The store a ``COOPMAP_DATABASE_URL`` opens, loaded by name when one is set: the PostGIS module
builds on this one (``Store``, ``version_of``), so this one does not import it, and psycopg is
loaded only by workspaces that use a database."""


def store_from_settings(settings: Settings) -> Store:
    """The store of the workspace ``settings`` names: the one way the app, the CLI and the tests
    open it: the PostGIS store when ``settings.database_url`` is set (``COOPMAP_DATABASE_URL``),
    else the embedded GeoParquet store under ``settings.home``."""
    if settings.database_url:
        module, name = DATABASE_STORE.split(":")
        opener: Callable[[str], Store] = getattr(importlib.import_module(module), name)
        return opener(settings.database_url)
    return ParquetStore(settings.home)
