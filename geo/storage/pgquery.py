"""SQL for selections the PostGIS store answers itself: where, order, the page rows, the extent.

Every clause gives the answers of the in-memory path (``geo.features.index.LayerIndex``):

- bbox: a point layer's points with ``minx <= x <= maxx`` and ``miny <= y <= maxy`` (edges
  included, so ``180`` matches at the antimeridian); ``&&`` finds them through the GiST index
  (its float4 boxes are rounded outwards) and the exact comparison decides.
- period: ``geo.registries.periods`` — a span overlaps the period, an unknown start never matches,
  a null end is ongoing, the ``absent`` rows match nothing. Written on the raw columns (``col <
  end + 1 day``, not ``col::date <= end``), so the btree index on the column serves it; a year
  column (schools' ``founded``) counts from 1 January of its year.
- property filters: the in-memory path compares the column's text as pandas writes it
  (``astype("string")``: ``5`` for an integer, ``5.0`` for a float, ``True``, ``2024-03-05``) with
  the given values; here each value is parsed into the column's type, written back by pandas, and
  bound only when it comes back the same, so ``05`` or ``5`` on a float column match nothing,
  as in memory. Columns pandas would write otherwise than one value at a time (integers with
  nulls read as floats, timestamps that are not all at midnight) are told by ``ColumnFacts``.
- filter: a CQL2 filter, translated by ``geo.storage.pgcql``.
- sortby: nulls first ascending and last descending, text in code-point order (``COLLATE "C"``),
  then ``fid``.

Values are always bound parameters; identifiers are quoted with ``psycopg.sql``. What cannot be
answered the same way (text or uint64 time columns, timestamps with times of day) raises
``PushdownUnsupported`` and the caller selects in memory.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
from psycopg import sql

from geo.storage.base import PushdownUnsupported, RowQuery
from geo.storage.migrations import SCHEMA
from geo.storage.pgcql import cql_where

_INTEGER = re.compile(r"-?[0-9]{1,19}")


@dataclass(frozen=True)
class ColumnFacts:
    """What the text form of a column depends on beyond its type (``facts_sql`` reads them)."""

    has_null: bool
    midnight_only: bool


def _table(table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(table))


def _field(schema: pa.Schema, name: str) -> pa.Field:
    if name not in schema.names:
        raise PushdownUnsupported(f"no column {name!r}")
    field = schema.field(name)
    if pa.types.is_dictionary(field.type):
        field = field.with_type(field.type.value_type)
    return field


def pandas_dtypes(schema: pa.Schema) -> dict[str, Any]:
    """The pandas dtype of each column when the store reads the layer (``arrow_to_frame``)."""
    from geo.storage.io import arrow_to_frame

    frame = arrow_to_frame(schema.empty_table())
    return {name: frame[name].dtype for name in frame.columns if name != "geometry"}


def where(
    schema: pa.Schema, query: RowQuery, points: bool, dtypes: dict[str, Any], facts: dict[str, ColumnFacts],
    xy: bool = False,
) -> tuple[sql.Composable, list[Any]]:
    """The WHERE condition of ``query`` and its parameters (``TRUE`` for no condition).

    ``facts`` must hold the ``ColumnFacts`` of the filtered columns ``needs_facts`` names.
    """
    parts: list[sql.Composable] = []
    params: list[Any] = []
    if query.bbox is not None:
        if not points:
            raise PushdownUnsupported("bbox on a layer that is not all points")
        minx, miny, maxx, maxy = query.bbox
        if xy:  # the same inclusive comparisons in float8, answered from the xy index alone
            parts.append(sql.SQL("xy <@ box(point(%s, %s), point(%s, %s))"))
            params += [minx, miny, maxx, maxy]
        else:  # a table written before the xy column
            parts.append(sql.SQL(
                "geom && ST_MakeEnvelope(%s, %s, %s, %s, 4326) AND ST_X(geom) BETWEEN %s AND %s "
                "AND ST_Y(geom) BETWEEN %s AND %s"))
            params += [minx, miny, maxx, maxy, minx, maxx, miny, maxy]
    if query.period is not None and query.start is not None and query.start in schema.names:
        condition, values = _period(schema, query)
        parts.append(condition)
        params += values
    for name, values in query.filters:
        field = _field(schema, name)
        bound = [v for v in (_typed(field, dtypes[name], facts.get(name), text) for text in values) if v is not None]
        if not bound:
            return sql.SQL("FALSE"), []
        parts.append(sql.SQL("{} = ANY(%s)").format(sql.Identifier(name)))
        params.append(bound)
    if query.cql is not None:
        condition, values = cql_where(schema, query.cql.tree(), points, xy)
        parts.append(condition)
        params += values
    if not parts:
        return sql.SQL("TRUE"), []
    return sql.SQL(" AND ").join(sql.SQL("({})").format(p) for p in parts), params


def needs_facts(schema: pa.Schema, query: RowQuery, dtypes: dict[str, Any]) -> list[str]:
    """The filtered columns whose text form depends on their content (``ColumnFacts``)."""
    out = []
    for name, _ in query.filters:
        field = _field(schema, name)
        if pa.types.is_timestamp(field.type) or (
            pa.types.is_integer(field.type) and np.dtype(dtypes[name]).kind in "iu"
            if isinstance(dtypes[name], np.dtype) else False
        ):
            out.append(name)
    return out


def facts_sql(table: str, schema: pa.Schema, name: str) -> sql.Composed:
    """One row (has_null, midnight_only) of column ``name``."""
    column = sql.Identifier(name)
    midnight = (
        sql.SQL("NOT EXISTS (SELECT 1 FROM {} WHERE {} <> date_trunc('day', {}))").format(_table(table), column, column)
        if pa.types.is_timestamp(_field(schema, name).type) else sql.SQL("TRUE")
    )
    return sql.SQL("SELECT EXISTS (SELECT 1 FROM {} WHERE {} IS NULL), {}").format(_table(table), column, midnight)


def _typed(field: pa.Field, dtype: Any, facts: ColumnFacts | None, text: str) -> Any:
    """``text`` as a value of the column whose pandas text form is ``text``, else None."""
    t = field.type
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return text
    try:
        if pa.types.is_boolean(t):
            value: Any = {"True": True, "False": False}.get(text)
            return value
        if pa.types.is_integer(t) and not pa.types.is_uint64(t):
            as_float = facts is not None and facts.has_null  # an integer column with nulls reads as float64
            if as_float:
                number = float(text)
                return number if _pandas_text([number], np.float64) == text else None
            return int(text) if _INTEGER.fullmatch(text) and str(int(text)) == text else None
        if pa.types.is_floating(t):
            kind = np.float32 if t.bit_width <= 32 else np.float64
            number = kind(text)
            return float(number) if _pandas_text([number], kind) == text else None
        if pa.types.is_date(t):
            day = dt.date.fromisoformat(text)
            return day if day.isoformat() == text else None
        if pa.types.is_timestamp(t):
            if facts is None or not facts.midnight_only or t.tz:
                raise PushdownUnsupported(f"filter on timestamp column {field.name!r}")
            day = dt.date.fromisoformat(text)
            return dt.datetime(day.year, day.month, day.day) if day.isoformat() == text else None
    except (ValueError, OverflowError):
        return None
    raise PushdownUnsupported(f"filter on column {field.name!r} of type {t}")


def _pandas_text(values: list[Any], dtype: Any) -> str | None:
    text = pd.Series(values, dtype=dtype).astype("string").iloc[0]
    return text if isinstance(text, str) else None


def _period(schema: pa.Schema, query: RowQuery) -> tuple[sql.Composable, list[Any]]:
    period = query.period
    assert period is not None and query.start is not None
    start = sql.Identifier(query.start)
    end_name = query.end if query.end is not None and query.end in schema.names else None
    parts: list[sql.Composable] = [sql.SQL("{} IS NOT NULL").format(start)]
    params: list[Any] = []
    start_type = _field(schema, query.start).type
    if period.end is not None and period.end < dt.date.max:  # up to 9999-12-31: every known start
        parts.append(sql.SQL("{} < %s").format(start))
        params.append(_after(start_type, period.end, query.start))
    if period.start is not None:
        if query.end is not None and end_name is None:
            pass  # the end column is absent: every feature is ongoing
        elif end_name is not None:
            end = sql.Identifier(end_name)
            parts.append(sql.SQL("({} IS NULL OR {} >= %s)").format(end, end))
            params.append(_from(_field(schema, end_name).type, period.start, end_name))
        elif not query.ongoing:
            parts.append(sql.SQL("{} >= %s").format(start))
            params.append(_from(start_type, period.start, query.start))
    if query.absent is not None and query.absent[0] in schema.names:
        column, value = query.absent
        parts.append(sql.SQL("(lower({}::text) <> %s) IS NOT FALSE").format(sql.Identifier(column)))
        params.append(value)
    return sql.SQL(" AND ").join(parts), params


def _after(t: pa.DataType, day: dt.date, name: str) -> Any:
    """The first value after ``day`` in a column of type ``t`` (``col < value``: on or before ``day``)."""
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return day.year + 1  # a year counts from 1 January: on or before ``day`` when year <= its year
    return _at_midnight(t, day + dt.timedelta(days=1), name)


def _from(t: pa.DataType, day: dt.date, name: str) -> Any:
    """The first value on or after ``day`` in a column of type ``t`` (``col >= value``)."""
    if pa.types.is_integer(t) or pa.types.is_floating(t):
        return day.year if (day.month, day.day) == (1, 1) else day.year + 1
    return _at_midnight(t, day, name)


def _at_midnight(t: pa.DataType, day: dt.date, name: str) -> Any:
    if pa.types.is_date(t):
        return day
    if pa.types.is_timestamp(t):
        moment = dt.datetime(day.year, day.month, day.day)
        return moment.replace(tzinfo=dt.UTC) if t.tz else moment
    raise PushdownUnsupported(f"time column {name!r} of type {t}")


def order_by(schema: pa.Schema, sortby: tuple[tuple[str, bool], ...]) -> sql.Composable:
    """``ORDER BY`` the ``sortby`` keys then the stored order."""
    keys: list[sql.Composable] = []
    for name, descending in sortby:
        t = _field(schema, name).type
        column: sql.Composable = sql.Identifier(name)
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            column = sql.SQL('{} COLLATE "C"').format(column)
        elif pa.types.is_floating(t):
            column = sql.SQL("NULLIF({}, 'NaN')").format(column)
        keys.append(sql.SQL("{} DESC NULLS LAST" if descending else "{} ASC NULLS FIRST").format(column))
    keys.append(sql.SQL("fid"))
    return sql.SQL(", ").join(keys)


def select_fids_sql(table: str, condition: sql.Composable, order: sql.Composable) -> sql.Composed:
    """The matching ``fid`` in order, as ONE value: the binary form of a ``bigint[]``
    (``fids_of`` decodes it). One value, not one row per fid: reading 80k rows costs ~1 µs of
    Python each, while the whole array arrives in one message."""
    return sql.SQL("SELECT array_send(array_agg(fid ORDER BY {})) FROM {} WHERE {}").format(
        order, _table(table), condition)


def fids_of(value: bytes | None) -> np.ndarray:
    """The int64 fids of a ``bigint[]`` in PostgreSQL's binary array format (``array_send``):
    a 20-byte header (dimensions, null flag, element type, length, lower bound), then per element
    its byte length (4) and value (8), big-endian; None (no row matched) is empty.

    Examples
    --------
    >>> header = (1).to_bytes(4, "big") + bytes(4) + (20).to_bytes(4, "big") + (2).to_bytes(4, "big") + bytes(4)
    >>> fids_of(header + b"".join((8).to_bytes(4, "big") + v.to_bytes(8, "big") for v in (7, 3))).tolist()
    [7, 3]
    """
    if value is None:
        return np.zeros(0, dtype=np.int64)
    element = np.dtype([("length", ">i4"), ("value", ">i8")])
    return np.frombuffer(value, dtype=element, offset=20)["value"].astype(np.int64)


def fetch_sql(table: str, schema: pa.Schema) -> sql.Composed:
    """``COPY`` of ``fid`` and the columns of ``schema`` (geometry as WKB) of the rows ``fid = ANY(%s)``."""
    select: list[sql.Composable] = [sql.SQL("fid")]
    for f in schema:
        if f.name == "geometry":
            select.append(sql.SQL("ST_AsBinary(geom, 'NDR')"))
        elif pa.types.is_uint64(f.type):
            select.append(sql.SQL("{}::text").format(sql.Identifier(f.name)))
        else:
            select.append(sql.Identifier(f.name))
    return sql.SQL("COPY (SELECT {} FROM {} WHERE fid = ANY(%s::bigint[])) TO STDOUT (FORMAT binary)").format(
        sql.SQL(", ").join(select), _table(table))


def overview_sql(table: str, schema: pa.Schema, query: RowQuery) -> tuple[sql.Composed, list[Any]]:
    """One row: count, bbox (xmin, ymin, xmax, ymax), first start, last end, any ongoing; over the
    rows that exist (``absent``) and have a known start, as ``periods.extent`` reads them."""
    count_bbox = sql.SQL("count(*), min(ST_X(geom)), min(ST_Y(geom)), max(ST_X(geom)), max(ST_Y(geom))")
    if query.start is None or query.start not in schema.names:
        return sql.SQL("SELECT {}, NULL, NULL, FALSE FROM {}").format(count_bbox, _table(table)), []
    start = sql.Identifier(query.start)
    known = sql.SQL("{} IS NOT NULL").format(start)
    params: list[Any] = []
    if query.absent is not None and query.absent[0] in schema.names:
        known = sql.SQL("{} AND (lower({}::text) <> %s) IS NOT FALSE").format(
            known, sql.Identifier(query.absent[0]))
        params.append(query.absent[1])
    if query.end is not None:
        end: sql.Composable = sql.Identifier(query.end) if query.end in schema.names else sql.SQL("NULL")
        last = sql.SQL("max({}) FILTER (WHERE {})").format(end, known)
        ongoing = sql.SQL("coalesce(bool_or({} IS NULL) FILTER (WHERE {}), FALSE)").format(end, known)
    else:
        last = sql.SQL("max({}) FILTER (WHERE {})").format(start, known)
        ongoing = sql.SQL("coalesce(bool_or(TRUE) FILTER (WHERE {}), FALSE)" if query.ongoing else "FALSE").format(
            known)
    statement = sql.SQL("SELECT {}, min({}) FILTER (WHERE {}), greatest({}, max({}) FILTER (WHERE {})), {} FROM {}")
    params = params * 3 + (params if query.ongoing or query.end is not None else [])
    return statement.format(count_bbox, start, known, last, start, known, ongoing, _table(table)), params
