"""CQL2 filters (OGC API - Features Part 3): parse, check against the queryables, normalise.

The ``cql2`` package parses both encodings (``cql2-text``, ``cql2-json``) into one tree, the
cql2-json form. This module checks that tree against the queryables the caller may see (an
unknown property and a property the role may not see get the same answer: no side channel),
checks the types of each comparison, brings geometry literals to CRS84 (``filter-crs``:
any CRS ``geo.crs`` reads; EPSG:4326 is lat/lon) and writes a canonical tree. A ``CqlFilter``
holds that tree as canonical JSON text: hashable, so ``Query.key()`` and ``RowQuery.key()``
cache selections by it. The embedded store evaluates it with vectorised masks
(``geo.features.cqlmask``), PostGIS in SQL (``geo.storage.pgcql``).

What is implemented (and declared in the conformance): basic CQL2 (comparisons of a property
with a literal, ``IS NULL``, ``AND``/``OR``/``NOT``), advanced comparison operators (``LIKE``,
``IN``, ``BETWEEN``), case-insensitive comparison (``CASEI``), basic spatial functions
(``S_INTERSECTS`` of the geometry with a bbox or a geometry literal) and the temporal
functions (every ``T_*`` on a date property or an ``INTERVAL`` of two date properties, against
a date, timestamp or interval literal). Anything else is a 400 naming it.
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cql2

from geo.crs import CoordinateSystem, bbox_to_crs84, geometry_to_crs84, parse_crs
from geo.errors import InvalidParameter

LANGS = ("cql2-text", "cql2-json", "cql-text")
"""``filter-lang`` values: the two CQL2 encodings, and ``cql-text``, the draft's name of the text
encoding, which GDAL's OAPIF driver sends (parsed as cql2-text)."""
MAX_LENGTH = 20_000
"""Characters of a filter at most."""
GEOMETRY = "geometry"
"""The name of the geometry queryable."""

KINDS = {"string": "string", "list": "string", "integer": "number", "number": "number",
         "boolean": "boolean", "date": "time", "datetime": "time", "geometry": "geometry"}
"""The kind of value of each field type (``geo.types.FieldType``) in a filter."""
COMPARISONS = {"=": "=", "<>": "<>", "<": ">", "<=": ">=", ">": "<", ">=": "<="}
"""Comparison operators, each with its mirror (``5 < x`` is ``x > 5``)."""
TEMPORAL = ("t_after", "t_before", "t_contains", "t_disjoint", "t_during", "t_equals", "t_finishedby",
            "t_finishes", "t_intersects", "t_meets", "t_metby", "t_overlappedby", "t_overlaps",
            "t_startedby", "t_starts")
_POSITION = re.compile(r"-->\s*(\d+):(\d+)")
_GEOJSON_TYPES = ("Point", "MultiPoint", "LineString", "MultiLineString", "Polygon", "MultiPolygon")


@dataclass(frozen=True)
class CqlFilter:
    """A checked CQL2 filter in CRS84: its canonical cql2-json text (``tree()`` gives the tree)."""

    text: str

    def tree(self) -> Any:
        """The canonical tree (cql2-json, normalised as the module docstring says)."""
        return _loads(self.text)


@functools.lru_cache(maxsize=256)
def _loads(text: str) -> Any:
    return json.loads(text)


def queryable_kinds(types: Mapping[str, str]) -> dict[str, str]:
    """The kind of each queryable (``KINDS``) from field types, with the geometry."""
    kinds = {name: KINDS.get(t, "string") for name, t in types.items()}
    kinds[GEOMETRY] = "geometry"
    return kinds


def parse_filter(text: str, lang: str | None, crs: str | None, kinds: Mapping[str, str]) -> CqlFilter:
    """Parse and check a ``filter`` parameter.

    Parameters
    ----------
    text : the filter, in ``lang``
    lang : ``filter-lang`` (``LANGS``; None or empty: cql2-text)
    crs : ``filter-crs``, any CRS ``geo.crs.parse_crs`` reads (None or empty: CRS84); geometry
        literals are moved to CRS84, a BBOX in a projected CRS becomes the polygon it covers
    kinds : the queryables the caller may see and their kinds (``queryable_kinds``)

    Raises
    ------
    InvalidParameter
        A malformed filter (with the position of the error), an unknown queryable, a type
        mismatch, an unsupported construct, or a bad ``filter-lang``/``filter-crs``.

    Examples
    --------
    >>> parse_filter("fatalities > 5", None, None, {"fatalities": "number"}).tree()
    {'args': [{'property': 'fatalities'}, 5.0], 'op': '>'}
    """
    lang = (lang or "cql2-text").strip()
    if lang not in LANGS:
        raise InvalidParameter("filter-lang", lang, f"use one of {list(LANGS)}")
    cs = parse_crs(crs, "filter-crs")
    if len(text) > MAX_LENGTH:
        raise InvalidParameter("filter", text[:80] + "...", f"longer than {MAX_LENGTH} characters")
    tree = _parse(text, lang)
    checker = _Checker(text, kinds, cs)
    normal = checker.boolean(tree)
    return CqlFilter(json.dumps(normal, sort_keys=True, separators=(",", ":"), ensure_ascii=False))


def _parse(text: str, lang: str) -> Any:
    try:
        if lang == "cql2-json":
            expr = cql2.parse_json(text)
            expr.validate()
        else:
            expr = cql2.parse_text(text)
        return expr.to_json()
    except (cql2.ParseError, cql2.ValidationError, ValueError) as exc:
        raise InvalidParameter("filter", text, _syntax_message(str(exc), lang)) from None


def _syntax_message(message: str, lang: str) -> str:
    """The library's message in one line, with the position of the error first."""
    found = _POSITION.search(message)
    expected = re.search(r"=\s*(expected .*)", message)
    if found:
        line, column = found.groups()
        detail = f": {expected.group(1).strip()}" if expected else ""
        return f"malformed {lang} at line {line}, column {column}{detail}"
    first = " ".join(message.split())
    if len(first) > 300:
        first = first[:300] + "..."
    return f"malformed {lang}: {first}"


class _Checker:
    """Walks a cql2-json tree; returns its canonical form or raises ``InvalidParameter``."""

    def __init__(self, text: str, kinds: Mapping[str, str], cs: CoordinateSystem) -> None:
        self.text = text
        self.kinds = kinds
        self.cs = cs

    def fail(self, reason: str) -> InvalidParameter:
        return InvalidParameter("filter", self.text, reason)

    # -- boolean expressions ----------------------------------------------------------------

    def boolean(self, node: Any) -> Any:
        if isinstance(node, bool):
            return node
        if not isinstance(node, dict) or "op" not in node:
            raise self.fail(f"expected a condition, got {_show(node)}")
        op = str(node["op"]).lower()
        args = node.get("args") or []
        if op in ("and", "or"):
            if len(args) < 2:
                raise self.fail(f"{op.upper()} needs two conditions or more")
            return {"op": op, "args": [self.boolean(a) for a in args]}
        if op == "not":
            if len(args) != 1:
                raise self.fail("NOT takes one condition")
            return {"op": "not", "args": [self.boolean(args[0])]}
        if op in COMPARISONS:
            return self.comparison(op, args)
        if op == "like":
            return self.like(args)
        if op == "in":
            return self.in_list(args)
        if op == "between":
            return self.between(args)
        if op == "isnull":
            if len(args) != 1:
                raise self.fail("IS NULL takes one property")
            name, _ = self.property(args[0])
            return {"op": "isNull", "args": [{"property": name}]}
        if op == "s_intersects":
            return self.spatial(args)
        if op in TEMPORAL:
            return self.temporal(op, args)
        raise self.fail(f"{op!r} is not supported; see /ogc/conformance for the CQL2 classes implemented")

    # -- operands ---------------------------------------------------------------------------

    def property(self, node: Any, casei: bool = False) -> tuple[str, str]:
        """The name and kind of a property operand (``CASEI(property)`` when ``casei``)."""
        if not isinstance(node, dict) or "property" not in node:
            raise self.fail(f"expected a property, got {_show(node)}")
        name = str(node["property"])
        if name not in self.kinds:
            visible = sorted(n for n in self.kinds if n != GEOMETRY)
            raise self.fail(f"unknown queryable {name!r}; the queryables are {visible + [GEOMETRY]}")
        return name, self.kinds[name]

    def _side(self, node: Any) -> tuple[str, Any]:
        """('property', (name, kind, casei)) or ('literal', value)."""
        if isinstance(node, dict) and str(node.get("op", "")).lower() == "casei":
            inner = (node.get("args") or [None])[0]
            if isinstance(inner, dict) and "property" in inner:
                name, kind = self.property(inner)
                if kind != "string":
                    raise self.fail(f"CASEI applies to text, not to {name!r}")
                return "property", (name, kind, True)
            if isinstance(inner, str):
                return "literal", ("casei", inner)
            raise self.fail(f"CASEI takes a text property or a text literal, got {_show(inner)}")
        if isinstance(node, dict) and "property" in node:
            name, kind = self.property(node)
            return "property", (name, kind, False)
        if isinstance(node, dict) and "op" in node:
            raise self.fail(f"{str(node['op'])!r} is not supported as an operand; compare a property with a literal")
        return "literal", node

    def _operands(self, args: list, op: str) -> tuple[tuple[str, str, bool], Any, bool]:
        """The property, the literal and whether they came in the other order."""
        if len(args) != 2:
            raise self.fail(f"{op} takes two operands")
        (side_a, a), (side_b, b) = self._side(args[0]), self._side(args[1])
        if side_a == "property" and side_b == "literal":
            return a, b, False
        if side_a == "literal" and side_b == "property":
            return b, a, True
        if side_a == "property":
            raise self.fail(f"comparing two properties ({a[0]!r}, {b[0]!r}) is not supported")
        raise self.fail(f"{op} needs a property on one side")

    def _column(self, prop: tuple[str, str, bool]) -> dict[str, Any]:
        name, _, casei = prop
        return {"op": "casei", "args": [{"property": name}]} if casei else {"property": name}

    def literal(self, prop: tuple[str, str, bool], value: Any) -> Any:
        """``value`` checked against the property's kind, in canonical form."""
        name, kind, casei = prop
        if isinstance(value, tuple):  # CASEI('text')
            if not casei:
                raise self.fail(f"CASEI on a literal needs CASEI on the property {name!r} too")
            return value[1].lower()
        if kind == "string" and isinstance(value, str):
            return value.lower() if casei else value
        if kind == "number" and isinstance(value, int | float) and not isinstance(value, bool):
            if not math.isfinite(float(value)):
                raise self.fail(f"{value!r} is not a finite number")
            return float(value)
        if kind == "boolean" and isinstance(value, bool):
            return value
        if kind == "time" and isinstance(value, dict) and ("date" in value or "timestamp" in value):
            return {"timestamp": self.instant(value)}
        raise self.fail(f"{_show(value)} cannot be compared with {name!r} ({_kind_words(kind)})")

    def instant(self, value: Any) -> str:
        """A date or timestamp literal as an ISO UTC timestamp with milliseconds."""
        raw = value.get("date") if "date" in value else value.get("timestamp")
        if not isinstance(raw, str):
            raise self.fail(f"{_show(value)} is not a date or timestamp")
        try:
            if "date" in value:
                moment = dt.datetime.combine(dt.date.fromisoformat(raw), dt.time())
            else:
                moment = dt.datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
                if moment.tzinfo is not None:
                    moment = moment.astimezone(dt.UTC).replace(tzinfo=None)
        except ValueError:
            raise self.fail(f"{raw!r} is not an RFC 3339 date or timestamp") from None
        return moment.isoformat(timespec="milliseconds")

    # -- predicates -------------------------------------------------------------------------

    def comparison(self, op: str, args: list) -> Any:
        prop, value, flipped = self._operands(args, op.upper())
        if value is None:
            raise self.fail("compare with NULL using IS NULL")
        if prop[1] == "geometry":
            raise self.fail("compare the geometry with S_INTERSECTS")
        canonical = COMPARISONS[op] if flipped else op
        return {"op": canonical, "args": [self._column(prop), self.literal(prop, value)]}

    def like(self, args: list) -> Any:
        prop, value, flipped = self._operands(args, "LIKE")
        if flipped or prop[1] != "string":
            raise self.fail("LIKE takes a text property and a text pattern, in that order")
        pattern = self.literal(prop, value)
        if not isinstance(pattern, str):
            raise self.fail("the pattern of LIKE is text")
        return {"op": "like", "args": [self._column(prop), pattern]}

    def in_list(self, args: list) -> Any:
        if len(args) != 2 or not isinstance(args[1], list) or not args[1]:
            raise self.fail("IN takes a property and a list of values")
        side, prop = self._side(args[0])
        if side != "property" or prop[1] in ("geometry", "time"):
            raise self.fail("IN takes a text, number or boolean property")
        values = sorted({json.dumps(self.literal(prop, v)) for v in args[1]})
        return {"op": "in", "args": [self._column(prop), [json.loads(v) for v in values]]}

    def between(self, args: list) -> Any:
        if len(args) != 3:
            raise self.fail("BETWEEN takes a property and two values")
        side, prop = self._side(args[0])
        if side != "property" or prop[1] not in ("number", "string", "time"):
            raise self.fail("BETWEEN takes a number, text or date property")
        return {"op": "between", "args": [self._column(prop), self.literal(prop, args[1]),
                                          self.literal(prop, args[2])]}

    def spatial(self, args: list) -> Any:
        if len(args) != 2:
            raise self.fail("S_INTERSECTS takes the geometry and a geometry literal")
        first, second = args
        if not (isinstance(first, dict) and "property" in first):
            first, second = second, first
        name, kind = self.property(first)
        if kind != "geometry":
            raise self.fail(f"S_INTERSECTS applies to the geometry, not to {name!r}")
        return {"op": "s_intersects", "args": [{"property": GEOMETRY}, self.geometry(second)]}

    def geometry(self, node: Any) -> Any:
        import shapely
        from shapely.geometry import shape

        if isinstance(node, dict) and "bbox" in node:
            box = node["bbox"]
            if not isinstance(box, list) or len(box) not in (4, 6) or not all(
                    isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) for v in box):
                raise self.fail("BBOX takes 4 (or 6) finite numbers")
            box = [float(v) for v in (box if len(box) == 4 else [box[0], box[1], box[3], box[4]])]
            if box[0] > box[2] or box[1] > box[3]:
                raise self.fail(f"BBOX {box} has a minimum greater than its maximum")
            envelope, area = bbox_to_crs84((box[0], box[1], box[2], box[3]), self.cs, "filter")
            if area is not None and area.geom_type in _GEOJSON_TYPES:  # a projected box's exact outline
                return shapely.geometry.mapping(area)
            return {"bbox": list(envelope)}
        if not isinstance(node, dict) or node.get("type") not in _GEOJSON_TYPES:
            raise self.fail(f"expected a BBOX or a geometry literal ({', '.join(_GEOJSON_TYPES)}), got {_show(node)}")
        try:
            geom = shape(node)
        except (ValueError, TypeError, AttributeError, IndexError, shapely.errors.GEOSException):
            raise self.fail(f"malformed {node.get('type')} literal") from None
        if not all(math.isfinite(v) for v in geom.bounds):
            raise self.fail("geometry coordinates must be finite numbers")
        geom = geometry_to_crs84(geom, self.cs, "filter")
        if geom.is_empty or not shapely.is_valid(geom):
            raise self.fail(f"the {geom.geom_type} literal is empty or not valid ({shapely.is_valid_reason(geom)})")
        if not all(math.isfinite(v) for v in geom.bounds):
            raise self.fail("geometry coordinates must be finite numbers")
        return shapely.geometry.mapping(geom)

    def temporal(self, op: str, args: list) -> Any:
        if len(args) != 2:
            raise self.fail(f"{op.upper()} takes two temporal operands")
        first, second = (self.time_operand(a) for a in args)
        if first[0] == "literal" and second[0] == "literal":
            raise self.fail(f"{op.upper()} needs a property on one side")
        return {"op": op, "args": [first[1], second[1]]}

    def time_operand(self, node: Any) -> tuple[str, Any]:
        if isinstance(node, dict) and "property" in node:
            name, kind = self.property(node)
            if kind != "time":
                raise self.fail(f"{name!r} is not a date or time property")
            return "property", {"property": name}
        if isinstance(node, dict) and ("date" in node or "timestamp" in node):
            return "literal", {"timestamp": self.instant(node)}
        if isinstance(node, dict) and isinstance(node.get("interval"), list) and len(node["interval"]) == 2:
            ends = []
            sides = set()
            for end in node["interval"]:
                if isinstance(end, dict) and "property" in end:
                    ends.append(self.time_operand(end)[1])
                    sides.add("property")
                elif end == "..":
                    ends.append("..")
                    sides.add("literal")
                elif isinstance(end, str):
                    ends.append({"timestamp": self.instant({"timestamp" if "T" in end.upper() else "date": end})})
                    sides.add("literal")
                elif isinstance(end, dict) and ("date" in end or "timestamp" in end):
                    ends.append({"timestamp": self.instant(end)})
                    sides.add("literal")
                else:
                    raise self.fail(f"an interval end is a date, a timestamp, '..' or a property, got {_show(end)}")
            if len(sides) > 1:
                raise self.fail("an interval is two properties or two literals")
            if "literal" in sides and all(e != ".." for e in ends) and ends[0]["timestamp"] > ends[1]["timestamp"]:
                raise self.fail("the interval starts after it ends")
            return ("property" if "property" in sides else "literal"), {"interval": ends}
        raise self.fail(f"expected a date property, DATE, TIMESTAMP or INTERVAL, got {_show(node)}")


def allen(op: str, a_start: Any, a_end: Any, b_start: Any, b_end: Any) -> Any:
    """The temporal predicate ``op`` of the intervals a and b (an instant: start = end), as CQL2
    defines them. The operands are arrays or numbers, or SQL expressions (``geo.storage.pgcql``):
    anything with ``< <= > >= == & |``."""
    if op == "t_after":
        return a_start > b_end
    if op == "t_before":
        return a_end < b_start
    if op == "t_contains":
        return (a_start < b_start) & (a_end > b_end)
    if op == "t_disjoint":
        return (a_end < b_start) | (a_start > b_end)
    if op == "t_during":
        return (a_start > b_start) & (a_end < b_end)
    if op == "t_equals":
        return (a_start == b_start) & (a_end == b_end)
    if op == "t_finishedby":
        return (a_start < b_start) & (a_end == b_end)
    if op == "t_finishes":
        return (a_start > b_start) & (a_end == b_end)
    if op == "t_intersects":
        return (a_start <= b_end) & (a_end >= b_start)
    if op == "t_meets":
        return a_end == b_start
    if op == "t_metby":
        return a_start == b_end
    if op == "t_overlappedby":
        return (a_start > b_start) & (a_start < b_end) & (a_end > b_end)
    if op == "t_overlaps":
        return (a_start < b_start) & (a_end > b_start) & (a_end < b_end)
    if op == "t_startedby":
        return (a_start == b_start) & (a_end > b_end)
    if op == "t_starts":
        return (a_start == b_start) & (a_end < b_end)
    raise ValueError(op)


def _kind_words(kind: str) -> str:
    return {"string": "text", "number": "a number", "boolean": "true or false",
            "time": "a date: use DATE('...') or TIMESTAMP('...')", "geometry": "the geometry"}[kind]


def _show(node: Any) -> str:
    text = json.dumps(node, ensure_ascii=False) if not isinstance(node, tuple) else repr(node)
    return text if len(text) <= 80 else text[:77] + "..."
