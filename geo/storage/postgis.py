"""The PostGIS store: each layer a table in a PostgreSQL database, the manifest a table beside them.

Selected by ``COOPMAP_DATABASE_URL`` (see ``store_from_settings``); the schema is created and
migrated by ``coopmap db init`` (``geo.storage.migrations``). What users' GIS tools see:

- schema ``coopmap``; layer ``<id>`` in table ``coopmap.layer_<id>`` with every character other
  than a-z, 0-9 and ``_`` as ``_`` (``conflict-events`` → ``coopmap.layer_conflict_events``);
- in each layer table: ``fid bigint`` primary key (the stored order), one typed column per property
  (``geo.storage.pgcopy.pg_type``), and ``geom geometry(Geometry, 4326)`` with a GiST index;
- ``coopmap.manifest``: per layer its table, digest, rows, sources, write time and the Arrow schema
  that reads it back with the same dtypes as the embedded store.

Selections of point layers (the OGC items, single items, collection extents and downloads of
conflict events) are answered in SQL: ``select_rows``, ``fetch_rows`` and ``overview``
(``geo.storage.pgselect``, SQL in ``geo.storage.pgquery``), so a request reads the matching rows,
never the whole layer. ``read`` (the map pages, summaries, snapshots) still reads it whole.

A write loads the rows with ``COPY`` into a new table and, in the same transaction, drops the old
table, renames the new one and updates the manifest: until the commit, readers see the previous
data and data version, and a writer killed at any point leaves them intact (PostgreSQL rolls the
whole transaction back). A layer's digest is that of its content (``geo.storage.digest``) and the
data version is computed from the manifest as ``version_of`` does for the embedded store, so the
same data gives the same data version in either store, and it changes exactly when a committed
write changes a digest.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager, nullcontext
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import psycopg
import pyarrow as pa
from psycopg import sql
from psycopg.copy import QueuedLibpqWriter
from psycopg_pool import ConnectionPool

from geo.config import default_data_dir
from geo.errors import InvalidParameter
from geo.storage.base import (
    ARCHIVE_COLUMNS,
    SCAN_ROWS,
    BatchWriter,
    LayerOverview,
    Manifest,
    RecordVersion,
    RegistryChange,
    RowQuery,
    Selected,
    Store,
    checked_columns,
    checked_name,
    checked_registry,
    simplified_path,
)
from geo.storage.digest import LayerDigest
from geo.storage.io import arrow_to_frame, frame_to_arrow, with_geo_metadata
from geo.storage.migrations import SCHEMA
from geo.storage.pgbinary import HEADER, TRAILER, rows
from geo.storage.pgconnect import CONNECT_TIMEOUT_S, POOL_MAX, POOL_MIN, Database
from geo.storage.pgrecords import SqlRegistryChange, select_versions
from geo.storage.pgselect import LayerSelector
from geo.storage.pgtables import (
    MAX_TABLE_NAME,
    RESERVED,
    IncludedColumns,
    column_list,
    create_table,
    geometry_types_of,
    is_point_table,
    layer_entry,
    read_chunks,
    swap_tables,
    table_name,
    time_columns,
)
from geo.storage.pgtiles import TileSpec
from geo.storage.rejects import report_csv, report_from_csv

COPY_OPTIONS = "FORMAT binary, FREEZE"
"""Options of the ingest's ``COPY``: FREEZE is allowed because the table is created in the same
transaction; its rows are written already frozen and all-visible (so the ``xy`` index of a point
layer answers without reading the table, and no later VACUUM rewrites them;
``benchmarks/bench_postgis.py`` measures the write with and without it)."""


class PostgisStore(Store):
    """Layers as PostGIS tables in the database at ``url``; frames are cached in memory by digest.

    Parameters
    ----------
    url : a PostgreSQL URL, ``postgresql://user:password@host:port/database``
    min_size, max_size : bounds of the connection pool
    connect_timeout : seconds to wait for the first connection; then ``geo.storage.pgconnect.DatabaseUnreachable``

    Call ``close`` (or use the store as a context manager) to close the pool's connections; they
    show in ``pg_stat_activity`` as ``application_name`` ``coopmap-<pid>``
    (``geo.storage.pgconnect.application_name``).
    """

    def __init__(
        self, url: str, boundaries_dir: Path | None = None, min_size: int = POOL_MIN, max_size: int = POOL_MAX,
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.url = url
        self.boundaries_dir = Path(boundaries_dir) if boundaries_dir else default_data_dir() / "boundaries"
        self._lock = threading.Lock()
        self._db = Database(url, min_size, max_size, connect_timeout)
        self._cache: dict[str, tuple[str, gpd.GeoDataFrame]] = {}
        self._selector = LayerSelector()
        self.full_reads = 0
        """Whole layers read from the database by this store object (``read`` of an uncached digest)."""

    @property
    def pool(self) -> ConnectionPool:
        """This process's connection pool (``geo.storage.pgconnect.Database.pool``)."""
        return self._db.pool

    def close(self) -> None:
        """Close this process's connections (``coopmap serve`` does it in gunicorn's master before
        the workers fork: each worker then opens its own)."""
        self._db.close()

    def _connection(self, snapshot: bool = False) -> AbstractContextManager[psycopg.Connection]:
        """A pooled connection in a transaction (``snapshot``: repeatable read, one view of the data)."""
        return self._db.transaction(snapshot)

    def connection(self) -> AbstractContextManager[psycopg.Connection]:
        """A pooled connection in a transaction (committed when the block ends without an error, else
        rolled back), for state kept in the store's database beside the layers (``layers.dbtokens``)."""
        return self._connection()

    def manifest(self) -> Manifest:
        """The current manifest (kept in memory while this process follows its changes)."""
        return self._db.manifest()

    def boundaries(self, detail: str = "countries") -> gpd.GeoDataFrame:
        if detail == "countries":
            return self.read("countries")
        path = simplified_path(self.boundaries_dir, detail)  # committed with the code, as for the embedded store
        key = f"boundaries:{detail}"
        with self._lock:
            cached = self._cache.get(key)
        if cached is not None:
            return cached[1]
        frame = gpd.read_parquet(path)
        with self._lock:
            self._cache[key] = ("file", frame)
        return frame

    def save_report(self, name: str, table: pa.Table) -> str | None:
        checked_name("report", name)
        with self._connection() as conn:
            if table.num_rows == 0:
                conn.execute(f"DELETE FROM {SCHEMA}.reports WHERE name = %s", (name,))
                return None
            conn.execute(
                f"INSERT INTO {SCHEMA}.reports (name, body) VALUES (%s, %s) "
                "ON CONFLICT (name) DO UPDATE SET body = EXCLUDED.body, saved_at = now()",
                (name, report_csv(table)),
            )
        return f"table {SCHEMA}.reports of the database, name {name!r}"

    def reports(self) -> list[str]:
        with self._connection() as conn:
            return [row[0] for row in conn.execute(f"SELECT name FROM {SCHEMA}.reports ORDER BY name")]

    def read_report(self, name: str) -> pa.Table:
        with self._connection() as conn:
            row = conn.execute(f"SELECT body FROM {SCHEMA}.reports WHERE name = %s", (name,)).fetchone()
        if row is None:
            raise InvalidParameter("report", name, "no such report")
        return report_from_csv(bytes(row[0]))

    def secret(self, name: str) -> bytes:
        checked_name("secret", name)
        with self._connection() as conn:  # the first server to ask creates it; the others read that one
            conn.execute(
                f"INSERT INTO {SCHEMA}.secrets (name, value) VALUES (%s, %s) ON CONFLICT (name) DO NOTHING",
                (name, secrets.token_hex(32).encode()),
            )
            return bytes(conn.execute(f"SELECT value FROM {SCHEMA}.secrets WHERE name = %s", (name,)).fetchone()[0])

    @contextmanager
    def lock(self, name: str) -> Iterator[None]:
        """A session-level advisory lock on one pooled connection, held for the block (released by
        PostgreSQL if this process dies)."""
        key = int.from_bytes(hashlib.blake2b(checked_name("lock", name).encode(), digest_size=8).digest(), "big",
                             signed=True)
        with self.pool.connection() as conn:
            conn.execute("SELECT pg_advisory_lock(%s)", (key,))
            conn.commit()
            try:
                yield
            finally:
                conn.execute("SELECT pg_advisory_unlock(%s)", (key,))
                conn.commit()

    def has(self, layer_id: str) -> bool:
        with self._connection() as conn:
            row = conn.execute(f"SELECT 1 FROM {SCHEMA}.manifest WHERE layer_id = %s", (layer_id,)).fetchone()
        return row is not None

    def read(self, layer_id: str) -> gpd.GeoDataFrame:
        with self._connection(snapshot=True) as conn:
            table, digest, schema = layer_entry(conn, layer_id)
            cached = self._cache.get(layer_id)
            if cached is not None and cached[0] == digest:
                return cached[1]
            schema = pa.schema([f for f in schema if f.name not in ARCHIVE_COLUMNS], metadata=schema.metadata)
            chunks = list(read_chunks(conn, table, schema, SCAN_ROWS))
            self.full_reads += 1
        frame = arrow_to_frame(pa.concat_tables(chunks) if chunks else schema.empty_table())
        self._cache[layer_id] = (digest, frame)
        return frame

    def scan(self, layer_id: str, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        with self._connection(snapshot=True) as conn:
            table, _, schema = layer_entry(conn, layer_id)
            columns = checked_columns(layer_id, schema.names, columns)
            if columns is not None:
                schema = pa.schema([schema.field(c) for c in columns])
            yield from read_chunks(conn, table, schema, SCAN_ROWS)

    # -- selections answered in SQL (geo.storage.pgselect) -----------------------------------

    pushdown = True

    def select_rows(self, layer_id: str, query: RowQuery) -> Selected:
        with self._connection(snapshot=True) as conn:
            return self._selector.select(conn, layer_id, query)

    def fetch_rows(self, layer_id: str, fids: np.ndarray, columns: Sequence[str], digest: str) -> pa.Table:
        with self._connection(snapshot=True) as conn:
            return self._selector.fetch(conn, layer_id, fids, columns, digest)

    def overview(self, layer_id: str, query: RowQuery) -> LayerOverview:
        with self._connection(snapshot=True) as conn:
            return self._selector.overview(conn, layer_id, query)

    def count_rows(self, layer_id: str, query: RowQuery, limit: int) -> int:
        with self._connection(snapshot=True) as conn:
            return self._selector.count(conn, layer_id, query, limit)

    def tile(self, layer_id: str, query: RowQuery, spec: TileSpec) -> bytes:
        with self._connection(snapshot=True) as conn:
            return self._selector.tile(conn, layer_id, query, spec)

    def write(self, layer_id: str, frame: gpd.GeoDataFrame, sources: list[str]) -> None:
        self._write(None, layer_id, frame, sources)

    def _write(self, conn: psycopg.Connection | None, layer_id: str, frame: gpd.GeoDataFrame,
               sources: list[str]) -> None:
        """``write``, in the transaction of ``conn`` when given (then nothing is cached here: the
        caller commits, and the committed digest is read back from the manifest)."""
        if frame.crs is None or frame.crs.to_epsg() != 4326:
            raise ValueError(f"layer {layer_id!r}: the store keeps EPSG:4326, the frame is in {frame.crs}")
        table = frame_to_arrow(frame)
        geo = orjson.loads(table.schema.metadata[b"geo"])
        types = geo["columns"][geo["primary_column"]].get("geometry_types", [])
        committed: list[str] = []
        with self._replace(layer_id, table.schema, types, committed, conn) as out:
            for start in range(0, table.num_rows, SCAN_ROWS):  # batches: encoding overlaps loading
                out.write(table.slice(start, SCAN_ROWS))
            out.sources = list(sources)
        if conn is not None:
            return
        with self._lock:
            archived = [name for name in ARCHIVE_COLUMNS if name in frame.columns]
            self._cache[layer_id] = (committed[0], frame.drop(columns=archived) if archived else frame)

    def registry_versions(self, registry: str, record_id: str | None = None) -> list[RecordVersion]:
        with self._connection() as conn:
            return select_versions(conn, checked_registry(registry), record_id)

    @contextmanager
    def registry_change(self, registry: str) -> Iterator[RegistryChange]:
        checked_registry(registry)
        with self._connection() as conn:
            yield SqlRegistryChange(conn, registry, self._write)
        self._db.forget_manifest()  # committed: this process reads the new layers at once

    @contextmanager
    def write_batches(
        self, layer_id: str, schema: pa.Schema, geometry_types: Sequence[str] = ()
    ) -> Iterator[BatchWriter]:
        with self._replace(layer_id, schema, geometry_types, []) as out:
            yield out

    @contextmanager
    def _replace(
        self, layer_id: str, schema: pa.Schema, geometry_types: Sequence[str], committed: list[str],
        outer: psycopg.Connection | None = None,
    ) -> Iterator[BatchWriter]:
        """``write_batches``; the digest of the committed rows is appended to ``committed``. With
        ``outer``, the rows are written in that connection's transaction, committed by its owner."""
        schema = with_geo_metadata(schema, geometry_types)
        clash = [name for name in schema.names if name in RESERVED]
        if clash or "geometry" not in schema.names:
            raise ValueError(f"layer {layer_id!r}: needs a 'geometry' column and no column named {RESERVED}")
        final = table_name(layer_id)
        if len(final) > MAX_TABLE_NAME:
            raise ValueError(f"layer id {layer_id!r} is too long for a table name (at most {MAX_TABLE_NAME - 6})")
        staging = f"{final[:30]}__new_{os.getpid()}_{secrets.token_hex(3)}"
        digest = LayerDigest(schema)  # of the content, as the embedded store computes it
        plain = schema.remove_metadata()
        with nullcontext(outer) if outer is not None else self._connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"coopmap table {final}",))
            other = conn.execute(
                f"SELECT layer_id FROM {SCHEMA}.manifest WHERE table_name = %s AND layer_id <> %s", (final, layer_id)
            ).fetchone()
            if other is not None:
                raise ValueError(f"layer {layer_id!r} would share table {final} with layer {other[0]!r}")
            conn.execute(create_table(staging, schema, geometry_types_of(schema)))
            copy_sql = sql.SQL("COPY {}.{} ({}) FROM STDIN ({})").format(
                sql.Identifier(SCHEMA), sql.Identifier(staging), sql.SQL(", ").join(column_list(schema)),
                sql.SQL(COPY_OPTIONS),
            )
            # The queued writer sends from a thread and the digest is computed in another (both
            # release the GIL), so that encoding the next batch overlaps the server's work on this one.
            cursor = conn.cursor()
            with cursor.copy(copy_sql, writer=QueuedLibpqWriter(cursor)) as copy, \
                    ThreadPoolExecutor(1, thread_name_prefix="coopmap-digest") as hasher:
                copy.write(HEADER)
                hashed: list[Future[None]] = []

                included = IncludedColumns(schema)

                def append(table: pa.Table) -> None:
                    included.update(table)
                    payload = rows(table.select(plain.names).cast(plain))
                    if hashed:
                        hashed.pop().result()  # at most one batch waits for its digest
                    hashed.append(hasher.submit(digest.update, table))
                    copy.write(memoryview(payload))

                out = BatchWriter(append)
                yield out
                for pending in hashed:
                    pending.result()
                copy.write(TRAILER)
            content = digest.hexdigest()
            swap_tables(conn, staging, final, time_columns(schema), is_point_table(geometry_types_of(schema)),
                        included.names())
            conn.execute(
                f"""INSERT INTO {SCHEMA}.manifest
                        (layer_id, table_name, digest, rows, sources, written_at, geometry_types, arrow_schema)
                    VALUES (%s, %s, %s, %s, %s, now(), %s, %s)
                    ON CONFLICT (layer_id) DO UPDATE SET table_name = excluded.table_name,
                        digest = excluded.digest, rows = excluded.rows, sources = excluded.sources,
                        written_at = excluded.written_at, geometry_types = excluded.geometry_types,
                        arrow_schema = excluded.arrow_schema""",
                (layer_id, final, content, out.rows, sorted(set(out.sources)), list(geometry_types),
                 schema.serialize().to_pybytes()),
            )
        committed.append(content)
        self._db.forget_manifest()  # this process reads its own write at once, before the notification
        with self._lock:
            self._cache.pop(layer_id, None)

