"""CQL2 filters (``geo.cql``) as SQL for the PostGIS store's selections (``pgquery.where``).

The canonical tree becomes one condition composed with ``psycopg.sql``: identifiers quoted,
every value a bound parameter. It selects the rows the embedded store's masks select
(``geo.features.cqlmask``): SQL's three-valued logic is theirs; text compares in code-point
order (``COLLATE "C"``); a float NaN is null (``NULLIF``); dates and timestamps compare as
instants (UTC); a null end of ``INTERVAL(start, end)`` is open. ``S_INTERSECTS`` with a BBOX is the
``xy`` index's inclusive box (as the ``bbox`` parameter); with a geometry, on a point table, that
index's box of the geometry and then ``ST_Intersects`` of ``xy`` as a point (an index-only scan when
the other columns named are in the index: ``pgtables.IncludedColumns``), else ``ST_Intersects``
on the GiST index of ``geom``. A column this translation cannot type raises ``PushdownUnsupported``:
the caller then selects in memory.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pyarrow as pa
import shapely.geometry
from psycopg import sql

from geo.cql import allen
from geo.storage.base import PushdownUnsupported


class Expr:
    """An SQL expression and its parameters, combined with Python's operators (for ``allen``)."""

    __hash__ = None  # type: ignore[assignment]

    def __init__(self, text: sql.Composable, params: list[Any] | None = None) -> None:
        self.text = text
        self.params = params or []

    def _join(self, op: str, other: Expr) -> Expr:
        return Expr(sql.SQL("({} " + op + " {})").format(self.text, other.text), self.params + other.params)

    def __lt__(self, other: Expr) -> Expr:
        return self._join("<", other)

    def __le__(self, other: Expr) -> Expr:
        return self._join("<=", other)

    def __gt__(self, other: Expr) -> Expr:
        return self._join(">", other)

    def __ge__(self, other: Expr) -> Expr:
        return self._join(">=", other)

    def __eq__(self, other: object) -> Expr:  # type: ignore[override]
        assert isinstance(other, Expr)
        return self._join("=", other)

    def __and__(self, other: Expr) -> Expr:
        return self._join("AND", other)

    def __or__(self, other: Expr) -> Expr:
        return self._join("OR", other)


def cql_where(schema: pa.Schema, tree: Any, points: bool, xy: bool) -> tuple[sql.Composable, list[Any]]:
    """The condition of the canonical CQL2 ``tree`` over a layer table of ``schema``, and its parameters."""
    found = _Translator(schema, points, xy).boolean(tree)
    return found.text, found.params


class _Translator:
    def __init__(self, schema: pa.Schema, points: bool, xy: bool) -> None:
        self.schema = schema
        self.points = points
        self.xy = xy

    def boolean(self, node: Any) -> Expr:
        if isinstance(node, bool):
            return Expr(sql.SQL("TRUE" if node else "FALSE"))
        op, args = node["op"], node["args"]
        if op in ("and", "or"):
            parts = [self.boolean(a) for a in args]
            joined = sql.SQL(" AND " if op == "and" else " OR ").join(p.text for p in parts)
            return Expr(sql.SQL("({})").format(joined), [v for p in parts for v in p.params])
        if op == "not":
            inner = self.boolean(args[0])
            return Expr(sql.SQL("(NOT {})").format(inner.text), inner.params)
        if op == "isNull":
            column = self.column({"property": args[0]["property"]}, ordered=False)
            return Expr(sql.SQL("({} IS NULL)").format(column.text))
        if op == "s_intersects":
            return self.spatial(args[1])
        if op.startswith("t_"):
            a, b = (self.span(x) for x in args)
            return allen(op, a[0], a[1], b[0], b[1])
        return self.compare(op, args)

    # -- columns ----------------------------------------------------------------------------

    def _type(self, name: str) -> pa.DataType:
        if name not in self.schema.names:
            return pa.null()  # a queryable this table lacks: every row unknown
        t = self.schema.field(name).type
        return t.value_type if pa.types.is_dictionary(t) else t

    def column(self, operand: Any, ordered: bool) -> Expr:
        """A column as compared: text in code-point order, NaN as null, lowered under CASEI."""
        casei = "property" not in operand
        name = operand["args"][0]["property"] if casei else operand["property"]
        t = self._type(name)
        if pa.types.is_null(t):
            return Expr(sql.SQL("NULL"))
        ident: sql.Composable = sql.Identifier(name)
        if pa.types.is_string(t) or pa.types.is_large_string(t):
            if casei:
                ident = sql.SQL("lower({})").format(ident)
            return Expr(sql.SQL('{} COLLATE "C"').format(ident) if ordered else ident)
        if pa.types.is_floating(t):
            return Expr(sql.SQL("NULLIF({}, 'NaN')").format(ident))
        if (pa.types.is_integer(t) and not pa.types.is_uint64(t)) or pa.types.is_boolean(t):
            return Expr(ident)
        if pa.types.is_timestamp(t):
            return Expr(sql.SQL("({} AT TIME ZONE 'UTC')").format(ident) if t.tz else ident)
        if pa.types.is_date(t):
            return Expr(sql.SQL("{}::timestamp").format(ident))
        raise PushdownUnsupported(f"CQL2 on column {name!r} of type {t}")

    def _value(self, value: Any) -> Expr:
        if isinstance(value, dict):  # {"timestamp": ...}: naive UTC
            return Expr(sql.SQL("%s::timestamp"), [dt.datetime.fromisoformat(value["timestamp"])])
        if isinstance(value, bool):
            return Expr(sql.SQL("%s::boolean"), [value])
        if isinstance(value, float):
            return Expr(sql.SQL("%s::float8"), [value])
        return Expr(sql.SQL("%s::text"), [value])

    # -- predicates -------------------------------------------------------------------------

    def compare(self, op: str, args: list) -> Expr:
        ordered = op in ("<", "<=", ">", ">=", "between")
        column = self.column(args[0], ordered)
        if op == "like":
            pattern = self._value(args[1])
            return Expr(sql.SQL("({} LIKE {})").format(column.text, pattern.text), column.params + pattern.params)
        if op == "in":
            values = args[1]
            cast = ("boolean" if isinstance(values[0], bool) else "float8" if isinstance(values[0], float)
                    else "timestamp" if isinstance(values[0], dict) else "text")
            bound = [dt.datetime.fromisoformat(v["timestamp"]) if isinstance(v, dict) else v for v in values]
            return Expr(sql.SQL("({} = ANY(%s::" + cast + "[]))").format(column.text), column.params + [bound])
        if op == "between":
            low, high = self._value(args[1]), self._value(args[2])
            if isinstance(args[1], str):
                low = Expr(sql.SQL('{} COLLATE "C"').format(low.text), low.params)
                high = Expr(sql.SQL('{} COLLATE "C"').format(high.text), high.params)
            return Expr(sql.SQL("({} BETWEEN {} AND {})").format(column.text, low.text, high.text),
                        column.params + low.params + high.params)
        value = self._value(args[1])
        if ordered and isinstance(args[1], str):
            value = Expr(sql.SQL('{} COLLATE "C"').format(value.text), value.params)
        return column._join(op, value)

    def spatial(self, literal: Any) -> Expr:
        if "bbox" in literal:
            minx, miny, maxx, maxy = literal["bbox"]
            if self.xy and self.points:
                return Expr(sql.SQL("(xy <@ box(point(%s, %s), point(%s, %s)))"), [minx, miny, maxx, maxy])
            return Expr(sql.SQL("ST_Intersects(geom, ST_MakeEnvelope(%s, %s, %s, %s, 4326))"),
                        [minx, miny, maxx, maxy])
        shape = json.dumps(literal)
        if self.xy and self.points:  # the xy index's box, then the point in the shape: no table read
            minx, miny, maxx, maxy = shapely.geometry.shape(literal).bounds
            return Expr(sql.SQL("((xy <@ box(point(%s, %s), point(%s, %s))) AND ST_Intersects("
                                "ST_SetSRID(ST_MakePoint(xy[0], xy[1]), 4326), "
                                "ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326)))"), [minx, miny, maxx, maxy, shape])
        return Expr(sql.SQL("ST_Intersects(geom, ST_SetSRID(ST_GeomFromGeoJSON(%s), 4326))"), [shape])

    def span(self, operand: Any) -> tuple[Expr, Expr]:
        """(start, end) of a temporal operand; an open literal end is ±infinity, a null end column open."""
        if "property" in operand:
            column = self.column(operand, ordered=False)
            return column, column
        if "timestamp" in operand:
            value = self._value(operand)
            return value, value
        first, second = operand["interval"]
        if isinstance(first, dict) and "property" in first:
            start = self.column(first, ordered=False)
            end = self.column(second, ordered=False)
            return start, Expr(sql.SQL("coalesce({}, 'infinity'::timestamp)").format(end.text), end.params)
        start = Expr(sql.SQL("'-infinity'::timestamp")) if first == ".." else self._value(first)
        end = Expr(sql.SQL("'infinity'::timestamp")) if second == ".." else self._value(second)
        return start, end
