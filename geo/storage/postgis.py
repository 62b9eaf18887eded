"""The PostGIS store: each layer a table in a PostgreSQL database, the manifest a table beside them.

Selected by ``COOPMAP_DATABASE_URL`` (see ``store_from_settings``); the schema is created and
migrated by ``coopmap db init`` (``geo.storage.migrations``). What users' GIS tools see:

- schema ``coopmap``; layer ``<id>`` in table ``coopmap.layer_<id>`` with every character other
  than a-z, 0-9 and ``_`` as ``_`` (``conflict-events`` → ``coopmap.layer_conflict_events``);
- in each layer table: ``fid bigint`` primary key (the stored order), one typed column per property
  (``geo.storage.pgcopy.pg_type``), and ``geom geometry(Geometry, 4326)`` with a GiST index;
- ``coopmap.manifest``: per layer its table, digest, rows, sources, write time and the Arrow schema
  that reads it back with the same dtypes as the embedded store.

A write loads the rows with ``COPY`` into a new table and, in the same transaction, drops the old
table, renames the new one and updates the manifest: until the commit, readers see the previous
data and data version, and a writer killed at any point leaves them intact (PostgreSQL rolls the
whole transaction back). The data version is computed from the manifest as ``version_of`` does for
the embedded store, so it changes exactly when a committed write changes a digest.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import geopandas as gpd
import orjson
import psycopg
import pyarrow as pa
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict
from psycopg.copy import QueuedLibpqWriter
from psycopg_pool import ConnectionPool, PoolTimeout

from geo.config import default_data_dir
from geo.errors import InvalidParameter, LayerNotFound
from geo.storage.base import (
    SCAN_ROWS,
    BatchWriter,
    LayerRecord,
    Manifest,
    Store,
    checked_name,
    simplified_path,
    version_of,
)
from geo.storage.io import with_geo_metadata
from geo.storage.migrations import SCHEMA
from geo.storage.pgbinary import HEADER, TRAILER, copy_out, read_rows, rows
from geo.storage.pgcopy import pg_type
from geo.storage.rejects import report_csv, report_from_csv
from geo.types import WGS84

POOL_MIN, POOL_MAX = 1, 4
"""Connections per process: one kept open, at most four in use at once."""
MAX_TABLE_NAME = 54
"""PostgreSQL cuts names at 63 bytes; the index names add ``_geom_idx`` to the table's."""
RESERVED = ("fid", "geom")
"""Column names of every layer table; a layer's own properties may not use them."""


CONNECT_TIMEOUT_S = 10.0
"""How long opening the store waits for its first connection before giving up."""


class SchemaMissing(RuntimeError):
    """The database has no coopmap schema yet: ``coopmap db init`` creates it."""


class DatabaseUnreachable(RuntimeError):
    """No connection to the store's database could be opened."""


def table_name(layer_id: str) -> str:
    """The table (in schema ``coopmap``) that holds ``layer_id``.

    Examples
    --------
    >>> table_name("conflict-events")
    'layer_conflict_events'
    """
    return "layer_" + re.sub(r"[^a-z0-9_]", "_", layer_id.lower())


class PostgisStore(Store):
    """Layers as PostGIS tables in the database at ``url``; frames are cached in memory by digest.

    Parameters
    ----------
    url : a PostgreSQL URL, ``postgresql://user:password@host:port/database``
    min_size, max_size : bounds of the connection pool
    connect_timeout : seconds to wait for the first connection; then ``DatabaseUnreachable``

    Call ``close`` (or use the store as a context manager) to close the pool's connections.
    """

    def __init__(
        self, url: str, boundaries_dir: Path | None = None, min_size: int = POOL_MIN, max_size: int = POOL_MAX,
        connect_timeout: float = CONNECT_TIMEOUT_S,
    ) -> None:
        self.url = url
        self.boundaries_dir = Path(boundaries_dir) if boundaries_dir else default_data_dir() / "boundaries"
        self._pool = ConnectionPool(
            url,
            min_size=min_size,
            max_size=max_size,
            open=True,
            name="coopmap-store",
            kwargs={"options": "-c TimeZone=UTC -c DateStyle=ISO,YMD"},
        )
        try:
            self._pool.wait(timeout=connect_timeout)
        except PoolTimeout as exc:
            self._pool.close()
            where = {k: v for k, v in conninfo_to_dict(url).items() if k in ("host", "port", "dbname", "user")}
            raise DatabaseUnreachable(f"cannot connect to the database {where} within {connect_timeout:g} s") from exc
        self._lock = threading.Lock()
        self._cache: dict[str, tuple[str, gpd.GeoDataFrame]] = {}

    def close(self) -> None:
        """Close every connection of the pool."""
        self._pool.close()

    def __enter__(self) -> PostgisStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _connection(self, snapshot: bool = False) -> Iterator[psycopg.Connection]:
        """A pooled connection in a transaction (``snapshot``: repeatable read, one view of the data)."""
        with self._pool.connection() as conn:
            try:
                if snapshot:
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield conn
            except psycopg.errors.UndefinedTable as exc:
                if f"{SCHEMA}.manifest" not in str(exc):
                    raise
                raise SchemaMissing(f"the database has no {SCHEMA} schema: run `coopmap db init` ({exc})") from exc

    def connection(self) -> AbstractContextManager[psycopg.Connection]:
        """A pooled connection in a transaction (committed when the block ends without an error, else
        rolled back), for state kept in the store's database beside the layers (``layers.dbtokens``)."""
        return self._connection()

    def manifest(self) -> Manifest:
        with self._connection() as conn:
            return _manifest(conn)

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
        with self._pool.connection() as conn:
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
            table, digest, schema = _entry(conn, layer_id)
            cached = self._cache.get(layer_id)
            if cached is not None and cached[0] == digest:
                return cached[1]
            chunks = list(_chunks(conn, table, schema, SCAN_ROWS))
        frame = _frame(pa.concat_tables(chunks) if chunks else schema.empty_table())
        self._cache[layer_id] = (digest, frame)
        return frame

    def scan(self, layer_id: str, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        with self._connection(snapshot=True) as conn:
            table, _, schema = _entry(conn, layer_id)
            if columns is not None:
                unknown = [c for c in columns if c not in schema.names]
                if unknown:
                    raise KeyError(f"layer {layer_id!r} has no column {unknown[0]!r}")
                schema = pa.schema([schema.field(c) for c in columns])
            yield from _chunks(conn, table, schema, SCAN_ROWS)

    def write(self, layer_id: str, frame: gpd.GeoDataFrame, sources: list[str]) -> None:
        if frame.crs is None or frame.crs.to_epsg() != 4326:
            raise ValueError(f"layer {layer_id!r}: the store keeps EPSG:4326, the frame is in {frame.crs}")
        table = _arrow(frame)
        geo = orjson.loads(table.schema.metadata[b"geo"])
        types = geo["columns"][geo["primary_column"]].get("geometry_types", [])
        committed: list[str] = []
        with self._replace(layer_id, table.schema, types, committed) as out:
            for start in range(0, table.num_rows, SCAN_ROWS):  # batches: encoding overlaps loading
                out.write(table.slice(start, SCAN_ROWS))
            out.sources = list(sources)
        with self._lock:
            self._cache[layer_id] = (committed[0], frame)

    @contextmanager
    def write_batches(
        self, layer_id: str, schema: pa.Schema, geometry_types: Sequence[str] = ()
    ) -> Iterator[BatchWriter]:
        with self._replace(layer_id, schema, geometry_types, []) as out:
            yield out

    @contextmanager
    def _replace(
        self, layer_id: str, schema: pa.Schema, geometry_types: Sequence[str], committed: list[str]
    ) -> Iterator[BatchWriter]:
        """``write_batches``; the digest of the committed rows is appended to ``committed``."""
        schema = _with_geo(schema, geometry_types)
        clash = [name for name in schema.names if name in RESERVED]
        if clash or "geometry" not in schema.names:
            raise ValueError(f"layer {layer_id!r}: needs a 'geometry' column and no column named {RESERVED}")
        final = table_name(layer_id)
        if len(final) > MAX_TABLE_NAME:
            raise ValueError(f"layer id {layer_id!r} is too long for a table name (at most {MAX_TABLE_NAME - 6})")
        staging = f"{final[:30]}__new_{os.getpid()}_{secrets.token_hex(3)}"
        digest = hashlib.blake2b(digest_size=12)
        digest.update(schema.serialize().to_pybytes())
        plain = schema.remove_metadata()
        with self._connection() as conn:
            conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"coopmap table {final}",))
            other = conn.execute(
                f"SELECT layer_id FROM {SCHEMA}.manifest WHERE table_name = %s AND layer_id <> %s", (final, layer_id)
            ).fetchone()
            if other is not None:
                raise ValueError(f"layer {layer_id!r} would share table {final} with layer {other[0]!r}")
            conn.execute(_create_table(staging, schema, _geometry_types(schema)))
            copy_sql = sql.SQL("COPY {}.{} ({}) FROM STDIN (FORMAT binary, FREEZE)").format(
                sql.Identifier(SCHEMA), sql.Identifier(staging), sql.SQL(", ").join(_columns(schema))
            )
            # The queued writer sends from a thread and the digest is computed in another (both
            # release the GIL), so that encoding the next batch overlaps the server's work on this one.
            cursor = conn.cursor()
            with cursor.copy(copy_sql, writer=QueuedLibpqWriter(cursor)) as copy, \
                    ThreadPoolExecutor(1, thread_name_prefix="coopmap-digest") as hasher:
                copy.write(HEADER)
                hashed: list[Future[None]] = []

                def append(table: pa.Table) -> None:
                    payload = rows(table.select(plain.names).cast(plain))
                    if hashed:
                        hashed.pop().result()  # at most one batch waits for its digest
                    hashed.append(hasher.submit(digest.update, payload))
                    copy.write(memoryview(payload))

                out = BatchWriter(append)
                yield out
                for pending in hashed:
                    pending.result()
                copy.write(TRAILER)
            _swap(conn, staging, final)
            conn.execute(
                f"""INSERT INTO {SCHEMA}.manifest
                        (layer_id, table_name, digest, rows, sources, written_at, geometry_types, arrow_schema)
                    VALUES (%s, %s, %s, %s, %s, now(), %s, %s)
                    ON CONFLICT (layer_id) DO UPDATE SET table_name = excluded.table_name,
                        digest = excluded.digest, rows = excluded.rows, sources = excluded.sources,
                        written_at = excluded.written_at, geometry_types = excluded.geometry_types,
                        arrow_schema = excluded.arrow_schema""",
                (layer_id, final, digest.hexdigest(), out.rows, sorted(set(out.sources)), list(geometry_types),
                 schema.serialize().to_pybytes()),
            )
        committed.append(digest.hexdigest())
        with self._lock:
            self._cache.pop(layer_id, None)


def _manifest(conn: psycopg.Connection) -> Manifest:
    rows = conn.execute(f"SELECT layer_id, rows, sources, written_at, digest FROM {SCHEMA}.manifest").fetchall()
    layers = {
        layer_id: LayerRecord(
            rows=n, sources=list(sources), digest=digest,
            updated=written.astimezone(dt.UTC).isoformat(timespec="seconds"),
        )
        for layer_id, n, sources, written, digest in rows
    }
    return Manifest(data_version=version_of(layers), layers=layers) if layers else Manifest()


def _entry(conn: psycopg.Connection, layer_id: str) -> tuple[str, str, pa.Schema]:
    """The table, digest and Arrow schema of ``layer_id``; ``LayerNotFound`` if it is not stored."""
    row = conn.execute(
        f"SELECT table_name, digest, arrow_schema FROM {SCHEMA}.manifest WHERE layer_id = %s", (layer_id,)
    ).fetchone()
    if row is None:
        raise LayerNotFound(layer_id)
    return row[0], row[1], pa.ipc.read_schema(pa.py_buffer(row[2]))


def _columns(schema: pa.Schema) -> list[sql.Composable]:
    return [sql.Identifier("geom" if name == "geometry" else name) for name in schema.names]


def geometry_column(geometry_types: Sequence[str]) -> str:
    """The column type of ``geom`` for a layer of ``geometry_types`` (GeoParquet names: "Point",
    "Polygon Z", ...): 2D unless the layer has 3D geometries; a layer mixing both, which PostGIS'
    typed columns cannot hold, gets an untyped column whose SRID a check keeps at 4326.

    Examples
    --------
    >>> geometry_column(["Point"]), geometry_column(["Point Z"])
    ('geometry(Geometry, 4326)', 'geometry(GeometryZ, 4326)')
    """
    with_z = [t.endswith(" Z") for t in geometry_types]
    if not any(with_z):
        return "geometry(Geometry, 4326)"
    if all(with_z):
        return "geometry(GeometryZ, 4326)"
    return "geometry CHECK (ST_SRID(geom) = 4326)"


def _create_table(name: str, schema: pa.Schema, geometry_types: Sequence[str] = ()) -> sql.Composed:
    columns = [sql.SQL("fid bigint GENERATED ALWAYS AS IDENTITY")]
    for f in schema:
        kind = geometry_column(geometry_types) if f.name == "geometry" else pg_type(f.type)
        columns.append(sql.SQL("{} {}").format(sql.Identifier("geom" if f.name == "geometry" else f.name),
                                               sql.SQL(kind)))
    return sql.SQL("CREATE TABLE {}.{} ({})").format(
        sql.Identifier(SCHEMA), sql.Identifier(name), sql.SQL(", ").join(columns)
    )


def _swap(conn: psycopg.Connection, staging: str, final: str) -> None:
    """Index the loaded table, then put it in the place of ``final`` (all inside the caller's transaction)."""
    ident = sql.Identifier
    conn.execute(sql.SQL("ALTER TABLE {}.{} ADD CONSTRAINT {} PRIMARY KEY (fid)").format(
        ident(SCHEMA), ident(staging), ident(f"{staging}_pkey")))
    conn.execute(sql.SQL("CREATE INDEX {} ON {}.{} USING gist (geom)").format(
        ident(f"{staging}_geom"), ident(SCHEMA), ident(staging)))
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(ident(SCHEMA), ident(final)))
    conn.execute(sql.SQL("ALTER TABLE {}.{} RENAME TO {}").format(ident(SCHEMA), ident(staging), ident(final)))
    conn.execute(sql.SQL("ALTER TABLE {}.{} RENAME CONSTRAINT {} TO {}").format(
        ident(SCHEMA), ident(final), ident(f"{staging}_pkey"), ident(f"{final}_pkey")))
    conn.execute(sql.SQL("ALTER INDEX {}.{} RENAME TO {}").format(
        ident(SCHEMA), ident(f"{staging}_geom"), ident(f"{final}_geom_idx")))
    conn.execute(sql.SQL("ANALYZE {}.{}").format(ident(SCHEMA), ident(final)))


def _chunks(conn: psycopg.Connection, table: str, schema: pa.Schema, size: int) -> Iterator[pa.Table]:
    """The rows of ``table`` in stored order, ``size`` at a time, as tables of ``schema``."""
    select: list[sql.Composable] = [sql.SQL("fid")]
    for f in schema:
        if f.name == "geometry":
            select.append(sql.SQL("ST_AsBinary(geom, 'NDR')"))
        elif pa.types.is_uint64(f.type):  # numeric(20): its binary form is base-10000 digits; text is simpler
            select.append(sql.SQL("{}::text").format(sql.Identifier(f.name)))
        else:
            select.append(sql.Identifier(f.name))
    keyed = pa.schema([pa.field("fid", pa.int64()), *schema])
    page = sql.SQL("COPY (SELECT {} FROM {}.{} WHERE fid > {} ORDER BY fid LIMIT {}) TO STDOUT (FORMAT binary)")
    last = 0
    while True:
        query = page.format(
            sql.SQL(", ").join(select), sql.Identifier(SCHEMA), sql.Identifier(table), sql.Literal(last),
            sql.Literal(size),
        )
        chunk = read_rows(copy_out(conn, query.as_bytes(conn)), keyed)
        if chunk.num_rows:
            last = chunk.column("fid")[-1].as_py()
            yield chunk.drop_columns(["fid"]).cast(schema)
        if chunk.num_rows < size:
            return


def _geometry_types(schema: pa.Schema) -> list[str]:
    """The geometry types the ``geo`` metadata of ``schema`` lists (empty when unknown)."""
    geo = orjson.loads(schema.metadata[b"geo"])
    return list(geo["columns"][geo["primary_column"]].get("geometry_types", []))


def _with_geo(schema: pa.Schema, geometry_types: Sequence[str]) -> pa.Schema:
    """``schema`` with GeoParquet-style ``geo`` metadata (WKB, EPSG:4326), as the embedded store writes it."""
    if b"geo" in (schema.metadata or {}):
        return schema
    return with_geo_metadata(schema, geometry_types, WGS84)


def _arrow(frame: gpd.GeoDataFrame) -> pa.Table:
    """``frame`` as the Arrow table the embedded store would write (WKB geometry, pandas and geo metadata)."""
    sink = io.BytesIO()
    frame.to_feather(sink, compression="uncompressed", index=False)
    return pa.ipc.open_file(pa.py_buffer(sink.getvalue())).read_all()


def _frame(table: pa.Table) -> gpd.GeoDataFrame:
    """The GeoDataFrame ``gpd.read_parquet`` gives for a file holding ``table``."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return gpd.read_feather(pa.BufferReader(sink.getvalue()))
