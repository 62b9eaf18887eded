"""The embedded store, and the one way to open a workspace's store.

``ParquetStore`` keeps the state of ``geo.storage.base.Store`` as files under one folder;
``store_from_settings`` opens it, or ``geo.storage.postgis.PostgisStore`` when a database URL is
set. The interface's names are re-exported here for the code that opens stores.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import geopandas as gpd
import pyarrow as pa

from geo.config import Settings, default_data_dir
from geo.errors import InvalidParameter, LayerNotFound
from geo.storage.base import (
    ARCHIVE_COLUMNS,
    NAME,
    SCAN_ROWS,
    BatchWriter,
    LayerRecord,
    Manifest,
    RecordVersion,
    RegistryChange,
    Store,
    checked_columns,
    checked_name,
    simplified_path,
    version_of,
)
from geo.storage.digest import LayerDigest
from geo.storage.geoparquet import layer_columns, logical_table, logical_tables
from geo.storage.io import (
    arrow_to_frame,
    create_bytes_once,
    file_lock,
    frame_to_arrow,
    geoparquet_writer,
    write_bytes_atomic,
)
from geo.storage.records import file_registry_change, file_registry_versions
from geo.storage.rejects import report_csv, report_from_csv

__all__ = [
    "NAME", "SCAN_ROWS", "BatchWriter", "LayerRecord", "Manifest", "ParquetStore", "Store", "store_from_settings",
    "version_of",
]

class ParquetStore(Store):
    """Layers as GeoParquet files under ``home/layers``; frames are cached in memory by digest.

    Under ``home`` too: ``manifest.json``, the reports as ``rejects/<name>.csv``, the secrets
    (mode 0600) and the ``.<name>.lock`` files. The simplified country boundaries are read from
    ``boundaries_dir`` (the committed ``data/boundaries``, by default from ``$COOPMAP_DATA``).
    """

    def __init__(self, home: Path, boundaries_dir: Path | None = None) -> None:
        self.home = Path(home)
        self.layer_dir = self.home / "layers"
        self.manifest_path = self.home / "manifest.json"
        self.report_dir = self.home / "rejects"
        self.boundaries_dir = Path(boundaries_dir) if boundaries_dir else default_data_dir() / "boundaries"
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
        frame = read_layer_file(self.path(layer_id), ARCHIVE_COLUMNS)
        self._cache[layer_id] = (record.digest, frame)
        return frame

    def write(self, layer_id: str, frame: gpd.GeoDataFrame, sources: list[str]) -> None:
        table = frame_to_arrow(frame)  # what GeoDataFrame.to_parquet writes
        digest = LayerDigest(table.schema)
        digest.update(table)
        with self._lock:
            with geoparquet_writer(self.path(layer_id), table.schema, order_column=True) as append:
                append(table)
            record = self._record(layer_id, len(frame), sources, digest.hexdigest())
            archived = [name for name in ARCHIVE_COLUMNS if name in frame.columns]
            self._cache[layer_id] = (record, frame.drop(columns=archived) if archived else frame)

    @contextmanager
    def write_batches(
        self, layer_id: str, schema: pa.Schema, geometry_types: Sequence[str] = ()
    ) -> Iterator[BatchWriter]:
        digest = LayerDigest(schema)
        with self._lock:
            with geoparquet_writer(
                self.path(layer_id), schema, geometry_types=geometry_types, order_column=True
            ) as append:

                def write(table: pa.Table) -> None:
                    append(table)
                    digest.update(table)

                out = BatchWriter(write)
                yield out
            self._cache.pop(layer_id, None)
            self._record(layer_id, out.rows, out.sources, digest.hexdigest())

    def scan(self, layer_id: str, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        if not self.has(layer_id):
            raise LayerNotFound(layer_id)
        path = self.path(layer_id)
        columns = checked_columns(layer_id, layer_columns(path), columns)
        yield from logical_tables(path, columns, SCAN_ROWS)

    def _record(self, layer_id: str, rows: int, sources: list[str], digest: str) -> str:
        """Enter the layer's new file, of content ``digest`` (``LayerDigest``), in the manifest; return ``digest``."""
        with self.lock("manifest"):  # another process may be entering another layer
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

    def boundaries(self, detail: str = "countries") -> gpd.GeoDataFrame:
        if detail == "countries":
            return self.read("countries")
        path = simplified_path(self.boundaries_dir, detail)
        stamp = str(path.stat().st_mtime_ns)
        cached = self._cache.get(f"boundaries:{detail}")
        if cached is not None and cached[0] == stamp:
            return cached[1]
        frame = gpd.read_parquet(path)
        self._cache[f"boundaries:{detail}"] = (stamp, frame)
        return frame

    def report_path(self, name: str) -> Path:
        """The CSV file of the report ``name``: ``home/rejects/<name>.csv``."""
        return self.report_dir / f"{checked_name('report', name)}.csv"

    def save_report(self, name: str, table: pa.Table) -> str | None:
        path = self.report_path(name)
        if table.num_rows == 0:
            path.unlink(missing_ok=True)
            return None
        write_bytes_atomic(path, report_csv(table))
        return str(path)

    def reports(self) -> list[str]:
        return sorted(p.name.removesuffix(".csv") for p in self.report_dir.glob("*.csv")
                      if not p.name.startswith("."))

    def read_report(self, name: str) -> pa.Table:
        try:
            return report_from_csv(self.report_path(name).read_bytes())
        except FileNotFoundError:
            raise InvalidParameter("report", name, "no such report") from None

    def secret(self, name: str) -> bytes:
        path = self.home / checked_name("secret", name)
        return create_bytes_once(path, secrets.token_hex(32).encode(), mode=0o600).strip()

    def lock(self, name: str) -> AbstractContextManager[None]:
        return file_lock(self.home / f".{checked_name('lock', name)}.lock")

    def registry_versions(self, registry: str, record_id: str | None = None) -> list[RecordVersion]:
        return file_registry_versions(self.home / "registries", registry, record_id)

    def registry_change(self, registry: str) -> AbstractContextManager[RegistryChange]:
        return file_registry_change(self.home / "registries", registry, self.lock, self.write)


def read_layer_file(path: Path, leave_out: Sequence[str] = ()) -> gpd.GeoDataFrame:
    """The layer file ``path`` as a GeoDataFrame in the layer's own order, without ``fid``, the
    covering, nor the columns ``leave_out`` (``geo.storage.geoparquet``)."""
    return arrow_to_frame(logical_table(path, [name for name in layer_columns(path) if name not in leave_out]))


def store_from_settings(settings: Settings) -> Store:
    """The store of the workspace ``settings`` names: the one way the app, the CLI and the tests
    open it: the PostGIS store when ``settings.database_url`` is set (``COOPMAP_DATABASE_URL``),
    else the embedded GeoParquet store under ``settings.home``."""
    if settings.database_url:
        from geo.storage.postgis import PostgisStore

        return PostgisStore(settings.database_url, settings.boundaries_dir)
    return ParquetStore(settings.home, settings.boundaries_dir)
