"""The PostGIS store's selections: run the SQL of ``geo.storage.pgquery`` and keep what it found.

``LayerSelector`` is composed into ``PostgisStore`` (``select_rows``, ``fetch_rows``,
``overview``), which gives it a connection in a snapshot transaction; it caches, per layer
digest (so a write never serves stale rows): the matching ``fid`` arrays (an ``LRUCache`` with a
byte budget), the columns' pandas dtypes and facts, and the overviews.

``COPY`` takes no server-side parameters: its values are bound by psycopg on the client side
(``_bound``: psycopg's adapters quote and type each value; nothing is formatted by hand).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import psycopg
import pyarrow as pa
from psycopg import sql

from geo.cache import LRUCache
from geo.errors import DataChanged
from geo.storage import pgquery, pgtiles
from geo.storage.base import LayerOverview, PushdownUnsupported, RowQuery, Selected
from geo.storage.migrations import SCHEMA
from geo.storage.pgbinary import copy_out, read_rows
from geo.storage.pgtables import layer_entry

SELECTIONS_CACHED = 256
"""Selections (matching ``fid`` arrays) kept per store, within ``SELECTION_BYTES``."""
SELECTION_BYTES = 64 * 2**20
"""Bytes of cached ``fid`` arrays per store (8 bytes a match: 8M matches)."""


@dataclass(frozen=True)
class _Entry:
    """A stored layer as the selections see it: its table, digest, schema and what its columns read as."""

    table: str
    digest: str
    schema: pa.Schema
    points: bool
    dtypes: dict[str, Any]
    xy: bool
    """The table has the ``xy`` point column and its index (``pgtables.create_table``)."""


class LayerSelector:
    """Selections, rows and overviews of the layer tables, with their caches (one per store)."""

    def __init__(self) -> None:
        self._selections = LRUCache(SELECTIONS_CACHED, max_bytes=SELECTION_BYTES, sizeof=lambda v: v.nbytes)
        self._facts = LRUCache(1024)
        self._dtypes = LRUCache(64)
        self._xy = LRUCache(64)

    def _entry(self, conn: psycopg.Connection, layer_id: str) -> _Entry:
        """The layer's table as selections see it; ``PushdownUnsupported`` unless it holds points only."""
        table, digest, schema = layer_entry(conn, layer_id)
        types = conn.execute(f"SELECT geometry_types FROM {SCHEMA}.manifest WHERE layer_id = %s",
                             (layer_id,)).fetchone()[0]
        if not types or set(types) != {"Point"}:
            raise PushdownUnsupported(f"layer {layer_id!r} is not all points")
        dtypes = self._dtypes.get_or_compute(digest, lambda: pgquery.pandas_dtypes(schema))
        xy = self._xy.get_or_compute((table, digest), lambda: conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_attribute WHERE attrelid = %s::regclass AND attname = 'xy' "
            "AND NOT attisdropped)", (f"{SCHEMA}.{table}",)).fetchone()[0])
        return _Entry(table, digest, schema, True, dtypes, xy)

    def _column_facts(self, conn: psycopg.Connection, entry: _Entry, name: str) -> pgquery.ColumnFacts:
        return self._facts.get_or_compute(
            (entry.digest, name),
            lambda: pgquery.ColumnFacts(*conn.execute(pgquery.facts_sql(entry.table, entry.schema, name)).fetchone()),
        )

    def select(self, conn: psycopg.Connection, layer_id: str, query: RowQuery) -> Selected:
        """``Store.select_rows`` in the snapshot transaction of ``conn``."""
        entry = self._entry(conn, layer_id)

        def compute() -> np.ndarray:
            condition, params = self._where(conn, entry, query)
            order = pgquery.order_by(entry.schema, query.sortby)
            statement = pgquery.select_fids_sql(entry.table, condition, order)
            value = conn.execute(statement, params, binary=True).fetchone()[0]
            fids = pgquery.fids_of(value).copy()
            fids.setflags(write=False)
            return fids

        fids = self._selections.get_or_compute((entry.digest, query.key()), compute)
        return Selected(entry.digest, fids, tuple(n for n in entry.schema.names if n != "geometry"))

    def _where(self, conn: psycopg.Connection, entry: _Entry, query: RowQuery) -> tuple[sql.Composable, list[Any]]:
        """The WHERE condition of ``query`` on ``entry`` and its parameters (``pgquery.where``)."""
        facts = {name: self._column_facts(conn, entry, name)
                 for name in pgquery.needs_facts(entry.schema, query, entry.dtypes)}
        return pgquery.where(entry.schema, query, entry.points, entry.dtypes, facts, entry.xy)

    def count(self, conn: psycopg.Connection, layer_id: str, query: RowQuery, limit: int) -> int:
        """``Store.count_rows`` in the snapshot transaction of ``conn``."""
        entry = self._entry(conn, layer_id)
        condition, params = self._where(conn, entry, query)
        return int(conn.execute(pgtiles.count_sql(entry.table, condition, limit), params).fetchone()[0])

    def tile(self, conn: psycopg.Connection, layer_id: str, query: RowQuery, spec: pgtiles.TileSpec) -> bytes:
        """``Store.tile`` in the snapshot transaction of ``conn``: one statement, the MVT bytes."""
        entry = self._entry(conn, layer_id)
        condition, params = self._where(conn, entry, query)
        make = pgtiles.cells_sql if spec.lat_edges else pgtiles.points_sql
        statement, values = make(entry.table, condition, params, spec, entry.schema.names)
        found = conn.execute(statement, values).fetchone()[0]
        return bytes(found) if found is not None else b""

    def fetch(self, conn: psycopg.Connection, layer_id: str, fids: np.ndarray, columns: Sequence[str],
              digest: str) -> pa.Table:
        """``Store.fetch_rows`` in the snapshot transaction of ``conn``."""
        entry = self._entry(conn, layer_id)
        if entry.digest != digest:
            raise DataChanged(layer_id)
        wanted = pa.schema([entry.schema.field(c) for c in [*columns, "geometry"] if c in entry.schema.names],
                           metadata=entry.schema.metadata)
        keyed = pa.schema([pa.field("fid", pa.int64()), *wanted])
        statement = pgquery.fetch_sql(entry.table, wanted)
        found = read_rows(copy_out(conn, _bound(conn, statement, [np.asarray(fids).tolist()])), keyed)
        # An integer column with nulls reads as float64 from the whole layer: so it must from a part.
        as_float = [f.name for f in wanted if pa.types.is_integer(f.type) and f.name in entry.dtypes
                    and isinstance(entry.dtypes[f.name], np.dtype) and entry.dtypes[f.name].kind in "iu"
                    and self._column_facts(conn, entry, f.name).has_null]
        order = np.argsort(found.column("fid").to_numpy())
        at = np.searchsorted(found.column("fid").to_numpy()[order], np.asarray(fids))
        table = found.take(pa.array(order[at], pa.int64())).drop_columns(["fid"]).cast(wanted)
        for name in as_float:
            table = table.set_column(table.schema.get_field_index(name), name, table.column(name).cast(pa.float64()))
        return table

    def overview(self, conn: psycopg.Connection, layer_id: str, query: RowQuery) -> LayerOverview:
        """``Store.overview`` in the snapshot transaction of ``conn``; cached by digest."""
        entry = self._entry(conn, layer_id)
        span = RowQuery(start=query.start, end=query.end, ongoing=query.ongoing, absent=query.absent)

        def compute() -> LayerOverview:
            statement, params = pgquery.overview_sql(entry.table, entry.schema, span)
            n, minx, miny, maxx, maxy, first, last, ongoing = conn.execute(statement, params).fetchone()
            bbox = None if minx is None else (minx, miny, maxx, maxy)
            known = first is not None
            return LayerOverview(entry.digest, n, entry.schema, ("Point",), bbox,
                                 _iso_day(first) if known else None,
                                 _iso_day(last) if known and not ongoing else None)

        return self._facts.get_or_compute((entry.digest, "overview", span.key()), compute)


def _bound(conn: psycopg.Connection, statement: sql.Composable, params: Sequence[Any]) -> bytes:
    """``statement`` with ``params`` bound by psycopg on the client side (``COPY`` takes no server
    parameters): each value quoted and typed by psycopg's adapters, never formatted by hand."""
    return psycopg.ClientCursor(conn).mogrify(statement, list(params)).encode()


def _iso_day(value: object) -> str:
    """A time column's value as the ISO date ``periods.extent`` gives (a year is its 1 January)."""
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.UTC).date().isoformat() if value.tzinfo else value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date(int(float(value)), 1, 1).isoformat()  # type: ignore[arg-type]
