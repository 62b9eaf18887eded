"""CQL2 filters (``geo.cql``) as vectorised masks over a ``LayerIndex``: the embedded store's answer.

Every predicate gives two boolean arrays, where it is TRUE and where it is FALSE; elsewhere it is
unknown (a null operand), as in SQL, so ``NOT``, ``AND`` and ``OR`` follow the same three-valued
logic as PostGIS (``geo.storage.pgcql``) and both stores select the same rows. Text predicates
are evaluated once per distinct value (the index's codes), numbers, dates and coordinates as
NumPy arrays, geometries with shapely 2's vectorised predicates. Dates and timestamps compare as
milliseconds (UTC); a null end of an ``INTERVAL(start, end)`` is open (ongoing), a null start
unknown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, Protocol

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from geo.cql import allen

Truth = tuple[np.ndarray, np.ndarray]
"""(true, false) masks; where neither holds, the predicate is unknown."""


class Indexed(Protocol):
    """What the masks read of a ``geo.features.index.LayerIndex``."""

    frame: pd.DataFrame
    n: int
    points: bool
    x: np.ndarray
    y: np.ndarray

    def codes(self, name: str) -> tuple[np.ndarray, pd.Index]: ...


def cql_mask(index: Indexed, tree: Any, positions: np.ndarray | None) -> np.ndarray:
    """The rows of ``index`` (all, or ``positions``) where the canonical CQL2 ``tree`` is TRUE."""
    return _Masks(index, positions).boolean(tree)[0]


def like_regex(pattern: str) -> re.Pattern[str]:
    """The regular expression of a CQL2 ``LIKE`` pattern: ``%`` any text, ``_`` one character,
    ``\\`` escapes the next character.

    Examples
    --------
    >>> bool(like_regex("Bat%").fullmatch("Battles")), bool(like_regex("R_ots").fullmatch("Riots"))
    (True, True)
    >>> bool(like_regex("100\\\\%").fullmatch("100%")), bool(like_regex("100\\\\%").fullmatch("1000"))
    (True, False)
    """
    out, escaped = [], False
    for char in pattern:
        if escaped:
            out.append(re.escape(char))
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "%":
            out.append(".*")
        elif char == "_":
            out.append(".")
        else:
            out.append(re.escape(char))
    if escaped:
        out.append(re.escape("\\"))
    return re.compile("".join(out), re.DOTALL)


def millis(text: str) -> float:
    """Milliseconds since 1970 (UTC) of a canonical timestamp literal."""
    return float(np.datetime64(text, "ms").astype(np.int64))


class _Masks:
    def __init__(self, index: Indexed, positions: np.ndarray | None) -> None:
        self.index = index
        self.frame = index.frame
        self.positions = positions
        self.n = index.n if positions is None else len(positions)

    def _rows(self, array: np.ndarray) -> np.ndarray:
        return array if self.positions is None else array[self.positions]

    def _none(self) -> np.ndarray:
        return np.zeros(self.n, dtype=bool)

    # -- logic ------------------------------------------------------------------------------

    def boolean(self, node: Any) -> Truth:
        if isinstance(node, bool):
            return (np.full(self.n, node), np.full(self.n, not node))
        op, args = node["op"], node["args"]
        if op == "and":
            parts = [self.boolean(a) for a in args]
            return (np.logical_and.reduce([p[0] for p in parts]), np.logical_or.reduce([p[1] for p in parts]))
        if op == "or":
            parts = [self.boolean(a) for a in args]
            return (np.logical_or.reduce([p[0] for p in parts]), np.logical_and.reduce([p[1] for p in parts]))
        if op == "not":
            true, false = self.boolean(args[0])
            return false, true
        if op == "isNull":
            known = self._known(args[0]["property"])
            return ~known, known
        if op == "s_intersects":
            return self.spatial(args[1])
        if op.startswith("t_"):
            return self.temporal(op, args[0], args[1])
        return self.compare(op, args)

    # -- comparisons ------------------------------------------------------------------------

    def _name(self, column: Any) -> tuple[str, bool]:
        if "property" in column:
            return column["property"], False
        return column["args"][0]["property"], True

    def _known(self, name: str) -> np.ndarray:
        if name not in self.frame.columns:
            return self._none()
        series = self.frame[name]
        if pd.api.types.is_float_dtype(series):
            return self._rows(~np.isnan(series.to_numpy(dtype=float, na_value=np.nan)))
        return self._rows(series.notna().to_numpy())

    def compare(self, op: str, args: list) -> Truth:
        name, casei = self._name(args[0])
        if name not in self.frame.columns:  # a queryable this layer's data lacks: always unknown
            return self._none(), self._none()
        literals = args[1:] if op != "in" else args[1]
        sample = literals[0]
        if isinstance(sample, str):
            return self._text(name, casei, _text_test(op, literals))
        if isinstance(sample, dict):  # {"timestamp": ...}
            values, known = self._times(name)
            return _apply(op, [millis(v["timestamp"]) for v in literals], values, known)
        if isinstance(sample, bool):
            series = self.frame[name].astype("boolean")
            known = self._rows(series.notna().to_numpy())
            values = self._rows(series.fillna(False).to_numpy(dtype=bool))
            return _apply(op, literals, values, known)
        values = self._rows(pd.to_numeric(self.frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan))
        return _apply(op, literals, values, ~np.isnan(values))

    def _text(self, name: str, casei: bool, test: Callable[[np.ndarray], np.ndarray]) -> Truth:
        codes, uniques = self.index.codes(name)
        texts = np.asarray(uniques.astype(object), dtype=object)
        if casei:
            texts = np.asarray([t.lower() for t in texts], dtype=object)
        verdict = np.append(test(texts).astype(bool), False) if len(texts) else np.zeros(1, dtype=bool)
        codes = self._rows(codes)
        known = codes >= 0
        # code -1 (missing) reads the appended False
        true = verdict[np.where(known, codes, len(texts))]
        return true, known & ~true

    def _times(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        series = pd.to_datetime(self.frame[name], errors="coerce", utc=True)
        known = self._rows(series.notna().to_numpy())
        values = series.dt.tz_localize(None).to_numpy("datetime64[ms]").astype(np.int64).astype(float)
        return self._rows(values), known

    # -- space and time ---------------------------------------------------------------------

    def spatial(self, literal: Any) -> Truth:
        index = self.index
        if index.points:
            x, y = self._rows(index.x), self._rows(index.y)
            known = ~np.isnan(x)
            if "bbox" in literal:
                minx, miny, maxx, maxy = literal["bbox"]
                hit = (x >= minx) & (x <= maxx) & (y >= miny) & (y <= maxy)
            else:
                geom = shape(literal)
                shapely.prepare(geom)
                hit = shapely.intersects_xy(geom, x, y)
            return hit & known, known & ~hit
        geoms = self._rows(np.asarray(index.frame.geometry.array))
        known = ~(shapely.is_missing(geoms) | shapely.is_empty(geoms))
        other = shapely.box(*literal["bbox"]) if "bbox" in literal else shape(literal)
        hit = shapely.intersects(geoms, other) & known
        return hit, known & ~hit

    def _span(self, operand: Any) -> tuple[Any, Any, np.ndarray | None]:
        """(start, end, known) of a temporal operand: arrays for properties, numbers for literals."""
        if "property" in operand:
            name = operand["property"]
            if name not in self.frame.columns:
                nothing = np.full(self.n, np.nan)
                return nothing, nothing, self._none()
            values, known = self._times(name)
            return values, values, known
        if "timestamp" in operand:
            value = millis(operand["timestamp"])
            return value, value, None
        first, second = operand["interval"]
        if isinstance(first, dict) and "property" in first:
            start, _, known = self._span(first)
            end, _, end_known = self._span(second)
            end = np.where(end_known, end, np.inf)  # a null end: ongoing
            return start, end, known
        start = -np.inf if first == ".." else millis(first["timestamp"])
        end = np.inf if second == ".." else millis(second["timestamp"])
        return start, end, None

    def temporal(self, op: str, a: Any, b: Any) -> Truth:
        a_start, a_end, a_known = self._span(a)
        b_start, b_end, b_known = self._span(b)
        known = np.ones(self.n, dtype=bool)
        for k in (a_known, b_known):
            if k is not None:
                known &= k
        with np.errstate(invalid="ignore"):
            hit = np.broadcast_to(allen(op, a_start, a_end, b_start, b_end), (self.n,)) & known
        return hit, known & ~hit


def _apply(op: str, literals: list, values: np.ndarray, known: np.ndarray) -> Truth:
    with np.errstate(invalid="ignore"):
        hit = _test(op, literals, values) & known
    return hit, known & ~hit


def _test(op: str, literals: list, values: np.ndarray) -> np.ndarray:
    if op == "in":
        return np.isin(values, np.asarray(literals))
    if op == "between":
        return (values >= literals[0]) & (values <= literals[1])
    value = literals[0]
    return {"=": values == value, "<>": values != value, "<": values < value, "<=": values <= value,
            ">": values > value, ">=": values >= value}[op]


def _text_test(op: str, literals: list) -> Callable[[np.ndarray], np.ndarray]:
    if op == "like":
        regex = like_regex(literals[0])
        return lambda texts: np.fromiter((regex.fullmatch(t) is not None for t in texts), bool, len(texts))
    return lambda texts: _test(op, literals, texts)
