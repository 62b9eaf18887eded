"""The layer tables of the PostGIS store: their names, DDL, the swap at commit, the manifest rows,
and the conversions between frames, Arrow tables and binary COPY pages.

``geo.storage.postgis.PostgisStore`` uses these inside its transactions; nothing here opens a
connection or holds state.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Iterator, Sequence

import geopandas as gpd
import numpy as np
import orjson
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
import pyproj
from psycopg import sql

from geo.errors import LayerNotFound
from geo.storage.base import LayerRecord, Manifest, version_of
from geo.storage.migrations import SCHEMA
from geo.storage.pgbinary import copy_out, read_rows
from geo.storage.pgcopy import pg_type
from geo.types import WGS84

MAX_TABLE_NAME = 54
"""PostgreSQL cuts names at 63 bytes; the index names add ``_geom_idx`` to the table's."""
RESERVED = ("fid", "geom", "xy")
"""Column names of every layer table; a layer's own properties may not use them."""


def table_name(layer_id: str) -> str:
    """The table (in schema ``coopmap``) that holds ``layer_id``.

    Examples
    --------
    >>> table_name("conflict-events")
    'layer_conflict_events'
    """
    return "layer_" + re.sub(r"[^a-z0-9_]", "_", layer_id.lower())


def read_manifest(conn: psycopg.Connection) -> Manifest:
    rows = conn.execute(f"SELECT layer_id, rows, sources, written_at, digest FROM {SCHEMA}.manifest").fetchall()
    layers = {
        layer_id: LayerRecord(
            rows=n, sources=list(sources), digest=digest,
            updated=written.astimezone(dt.UTC).isoformat(timespec="seconds"),
        )
        for layer_id, n, sources, written, digest in rows
    }
    return Manifest(data_version=version_of(layers), layers=layers) if layers else Manifest()


def layer_entry(conn: psycopg.Connection, layer_id: str) -> tuple[str, str, pa.Schema]:
    """The table, digest and Arrow schema of ``layer_id``; ``LayerNotFound`` if it is not stored."""
    row = conn.execute(
        f"SELECT table_name, digest, arrow_schema FROM {SCHEMA}.manifest WHERE layer_id = %s", (layer_id,)
    ).fetchone()
    if row is None:
        raise LayerNotFound(layer_id)
    return row[0], row[1], pa.ipc.read_schema(pa.py_buffer(row[2]))


def column_list(schema: pa.Schema) -> list[sql.Composable]:
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


def is_point_table(geometry_types: Sequence[str]) -> bool:
    """True when a layer of ``geometry_types`` gets the ``xy`` column and its covering index: 2D
    points only (the conflict events)."""
    return list(geometry_types) == ["Point"]


def create_table(name: str, schema: pa.Schema, geometry_types: Sequence[str] = ()) -> sql.Composed:
    """``CREATE TABLE`` of a layer: ``fid``, the properties, ``geom``; a 2D point layer also gets
    ``xy``, the point as PostgreSQL's native ``point`` computed from ``geom``, which the GiST index
    ``swap_tables`` builds on it can return without reading the table (an index-only scan: a bbox
    selects its fids from the index alone, whatever the rows' physical order)."""
    columns = [sql.SQL("fid bigint GENERATED ALWAYS AS IDENTITY")]
    for f in schema:
        kind = geometry_column(geometry_types) if f.name == "geometry" else pg_type(f.type)
        columns.append(sql.SQL("{} {}").format(sql.Identifier("geom" if f.name == "geometry" else f.name),
                                               sql.SQL(kind)))
    if is_point_table(geometry_types):
        columns.append(sql.SQL("xy point GENERATED ALWAYS AS (point(ST_X(geom), ST_Y(geom))) STORED"))
    return sql.SQL("CREATE TABLE {}.{} ({})").format(
        sql.Identifier(SCHEMA), sql.Identifier(name), sql.SQL(", ").join(columns)
    )


def time_columns(schema: pa.Schema) -> list[str]:
    """The date and timestamp columns of ``schema``: each gets a btree index (``swap_tables``).

    Examples
    --------
    >>> time_columns(pa.schema([("event_date", pa.timestamp("ms")), ("n", pa.int32())]))
    ['event_date']
    """
    return [f.name for f in schema if pa.types.is_timestamp(f.type) or pa.types.is_date(f.type)]


CODED_VALUES = 64
"""A text column with at most this many distinct values, none longer than ``CODED_LENGTH``
characters (event type, dataset, geocoding), is "coded": the ``xy`` index includes it."""
CODED_LENGTH = 64


class IncludedColumns:
    """The columns the ``xy`` index of a point table includes besides ``fid``: the numbers, dates
    and booleans, and the coded text columns, found while the rows are written (``update`` with
    each batch). With them, a filter on those columns with a box or a polygon (``pgcql``) is
    answered from the index alone."""

    def __init__(self, schema: pa.Schema) -> None:
        self._order = [f.name for f in schema if f.name != "geometry"]
        self._fixed = {f.name for f in schema if f.name != "geometry" and _fixed_width(f.type)}
        self._values: dict[str, set[str | None]] = {
            f.name: set() for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)}

    def update(self, table: pa.Table) -> None:
        for name in list(self._values):
            found = self._values[name]
            found.update(pc.unique(table.column(name)).to_pylist())
            if len(found) > CODED_VALUES or any(v is not None and len(v) > CODED_LENGTH for v in found):
                del self._values[name]

    def names(self) -> list[str]:
        """The included columns, in the table's order.

        Examples
        --------
        >>> kept = IncludedColumns(pa.schema([("kind", pa.string()), ("note", pa.string()), ("n", pa.int32())]))
        >>> kept.update(pa.table({"kind": ["a", "b"], "note": ["x" * 65, None], "n": [1, 2]}))
        >>> kept.names()
        ['kind', 'n']
        """
        return [name for name in self._order if name in self._fixed or name in self._values]


def _fixed_width(kind: pa.DataType) -> bool:
    return bool(pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
                or pa.types.is_timestamp(kind) or pa.types.is_date(kind))


def swap_tables(conn: psycopg.Connection, staging: str, final: str, indexed: Sequence[str] = (),
                points: bool = False, included: Sequence[str] = ()) -> None:
    """Index the loaded table (``fid``, GiST on ``geom``, btree on ``(column, fid)`` for each of the
    ``indexed`` columns: the period and sort of ``geo.storage.pgquery``; with ``points``, GiST on
    ``xy`` including ``fid``, the ``indexed`` and the ``included`` columns), then put it in the
    place of ``final`` (all inside the caller's transaction).

    The ``xy`` index answers a bbox, and a bbox with a period, by an index-only scan: the table is
    written with ``COPY FREEZE``, so every page is all-visible at once. Measured on 1M events in
    random order, a 10° box (45k fids): 9 ms from that index, 150–420 ms through ``geom``'s index
    (one table page read per match). With the ``included`` columns (``IncludedColumns``) a CQL2
    filter such as ``fatalities > 5 AND event_type IN (...) AND S_INTERSECTS(geometry, <polygon>)``
    is one too: 58 ms instead of 588 ms for 16k of 1M events (the index grows from 87 to 129 MB).

    Btree, not BRIN: rows are in ingest order, not date order, so every BRIN block range spans
    all dates. Measured on 1M events (random order), a month's fids: btree 7 ms (index-only
    scan), none 84 ms, BRIN 97 ms (seq scan); the btree index takes 30 MB.
    """
    ident = sql.Identifier
    conn.execute(sql.SQL("ALTER TABLE {}.{} ADD CONSTRAINT {} PRIMARY KEY (fid)").format(
        ident(SCHEMA), ident(staging), ident(f"{staging}_pkey")))
    conn.execute(sql.SQL("CREATE INDEX {} ON {}.{} USING gist (geom)").format(
        ident(f"{staging}_geom"), ident(SCHEMA), ident(staging)))
    for number, column in enumerate(indexed):
        conn.execute(sql.SQL("CREATE INDEX {} ON {}.{} ({}, fid)").format(
            ident(f"{staging}_t{number}"), ident(SCHEMA), ident(staging), ident(column)))
    if points:
        conn.execute(sql.SQL("CREATE INDEX {} ON {}.{} USING gist (xy) INCLUDE ({})").format(
            ident(f"{staging}_xy"), ident(SCHEMA), ident(staging),
            sql.SQL(", ").join(ident(c) for c in dict.fromkeys(["fid", *indexed, *included]))))
    conn.execute(sql.SQL("DROP TABLE IF EXISTS {}.{}").format(ident(SCHEMA), ident(final)))
    conn.execute(sql.SQL("ALTER TABLE {}.{} RENAME TO {}").format(ident(SCHEMA), ident(staging), ident(final)))
    conn.execute(sql.SQL("ALTER TABLE {}.{} RENAME CONSTRAINT {} TO {}").format(
        ident(SCHEMA), ident(final), ident(f"{staging}_pkey"), ident(f"{final}_pkey")))
    conn.execute(sql.SQL("ALTER INDEX {}.{} RENAME TO {}").format(
        ident(SCHEMA), ident(f"{staging}_geom"), ident(f"{final}_geom_idx")))
    for number, _ in enumerate(indexed):
        conn.execute(sql.SQL("ALTER INDEX {}.{} RENAME TO {}").format(
            ident(SCHEMA), ident(f"{staging}_t{number}"), ident(f"{final}_t{number}_idx")))
    if points:
        conn.execute(sql.SQL("ALTER INDEX {}.{} RENAME TO {}").format(
            ident(SCHEMA), ident(f"{staging}_xy"), ident(f"{final}_xy_idx")))
    conn.execute(sql.SQL("ANALYZE {}.{}").format(ident(SCHEMA), ident(final)))


def read_chunks(conn: psycopg.Connection, table: str, schema: pa.Schema, size: int) -> Iterator[pa.Table]:
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


def geometry_types_of(schema: pa.Schema) -> list[str]:
    """The geometry types the ``geo`` metadata of ``schema`` lists (empty when unknown)."""
    geo = orjson.loads(schema.metadata[b"geo"])
    return list(geo["columns"][geo["primary_column"]].get("geometry_types", []))


@functools.cache
def _wgs84() -> pyproj.CRS:
    return pyproj.CRS.from_user_input(WGS84)


def page_frame(table: pa.Table) -> gpd.GeoDataFrame:
    """``arrow_to_frame`` for a few rows read from a layer table (the same columns and dtypes),
    without reading the CRS out of the ``geo`` metadata again for every page (tens of ms)."""
    geometry = table.column("geometry")
    frame = table.drop_columns(["geometry"]).to_pandas()
    wkb = np.asarray(geometry.to_numpy(zero_copy_only=False), dtype=object)
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries.from_wkb(wkb, crs=_wgs84()), crs=_wgs84())
