"""Vectorised helpers shared by the ACLED and UCDP normalisers: numbers, dates, validation,
and the ``original`` JSON text of each source row."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_CONTROL = r"[\x00-\x08\x0b\x0c\x0e-\x1f]"
_ESCAPES = (("\\", "\\\\"), ('"', '\\"'), ("\n", "\\n"), ("\r", "\\r"), ("\t", "\\t"))


def original_json(table: pa.Table) -> pa.Array:
    """The JSON text of each row (``{"column": "value", ...}`` in file order, values as text).

    Built with one arrow string join; rows holding rare control characters go through orjson.
    """
    if table.num_columns == 0:
        return pa.array(["{}"] * table.num_rows, pa.string())
    pieces: list[pa.Array | str] = []
    odd = np.zeros(table.num_rows, dtype=bool)
    for i, name in enumerate(table.column_names):
        value = table.column(i).combine_chunks()
        special = _bytes(value)
        if np.isin(special, _ESCAPED_BYTES).any():
            for old, new in _ESCAPES:
                value = pc.replace_substring(value, old, new)
        if ((special < 32) & ~np.isin(special, _ESCAPED_BYTES)).any():
            odd |= pc.match_substring_regex(value, _CONTROL).to_numpy(zero_copy_only=False)
        key = orjson.dumps(name).decode()
        pieces += [("{" if i == 0 else '",') + key + ':"', value]
    joined = pc.binary_join_element_wise(*pieces, '"}', "")
    if odd.any():
        texts = joined.to_pylist()
        rows = table.filter(pa.array(odd)).to_pylist()
        for i, row in zip(np.flatnonzero(odd), rows, strict=True):
            texts[i] = orjson.dumps(row).decode()
        joined = pa.array(texts, pa.string())
    return joined


_ESCAPED_BYTES = np.array([9, 10, 13, 34, 92], dtype=np.uint8)


def _bytes(value: pa.Array) -> np.ndarray:
    """The distinct bytes below 0x20 or equal to '"' or '\\' in a string array's data."""
    offsets, data = value.buffers()[1], value.buffers()[2]
    if data is None or len(value) == 0:
        return np.array([], dtype=np.uint8)
    bounds = np.frombuffer(offsets, dtype=np.int32)[[value.offset, value.offset + len(value)]]
    raw = np.frombuffer(data, dtype=np.uint8)[bounds[0] : bounds[1]]
    return np.unique(raw[(raw < 32) | (raw == 34) | (raw == 92)])


def text(table: pa.Table, name: str) -> pa.Array:
    """Column ``name`` trimmed, with empty values as nulls."""
    value = pc.utf8_trim_whitespace(table.column(name).combine_chunks())
    filled = pc.greater(pc.binary_length(value), 0)
    if value.null_count or value.offset:
        return pc.if_else(filled, value, pa.scalar(None, value.type))
    # Mark the empty values as nulls in place (no copy of the text).
    validity = pa.array(filled.to_numpy(zero_copy_only=False)).buffers()[1]
    return pa.Array.from_buffers(value.type, len(value), [validity, *value.buffers()[1:]])


def numbers(table: pa.Table, name: str) -> np.ndarray:
    """Column ``name`` as float64; empty or unparseable values are NaN."""
    column = pc.utf8_trim_whitespace(table.column(name).combine_chunks())
    try:
        return pc.cast(column, pa.float64()).to_numpy(zero_copy_only=False)
    except pa.ArrowInvalid:  # some value is not a number: parse value by value
        values = pd.to_numeric(column.to_pandas(), errors="coerce")
        return values.to_numpy(dtype="float64", na_value=np.nan)


def dates(values: pa.Array | pa.ChunkedArray, formats: Sequence[str]) -> np.ndarray:
    """Parse ``values`` trying each ``strptime`` format in turn; unparseable → NaT.

    Leading ``%Y-%m-%d`` (the common case) is parsed for the whole column at once (pandas' fast
    ISO path); only the leftovers try every format. Impossible dates (2024-02-30) are NaT.
    """
    text = pc.utf8_trim_whitespace(
        values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    )
    out = np.full(len(text), np.datetime64("NaT"), dtype="datetime64[ms]")
    if formats and formats[0] == "%Y-%m-%d":
        parsed = pd.to_datetime(text.to_pandas(), format="%Y-%m-%d", errors="coerce")
        out[:] = parsed.to_numpy(dtype="datetime64[ms]")
    todo = np.isnat(out) & (pc.not_equal(text, "").to_numpy(zero_copy_only=False))
    if todo.any():
        series = text.filter(pa.array(todo)).to_pandas()
        found = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ms]")
        for fmt in formats:
            missing = found.isna()
            if not missing.any():
                break
            found[missing] = pd.to_datetime(series[missing], format=fmt, errors="coerce").astype(
                "datetime64[ms]"
            )
        out[todo] = found.to_numpy()
    return out


@dataclass
class Checks:
    """Rejection reasons per row; ``add`` records a reason where ``mask`` is true."""

    n: int
    masks: list[tuple[np.ndarray, str]] = field(default_factory=list)

    def add(self, mask: np.ndarray, reason: str) -> None:
        mask = np.asarray(mask, dtype=bool)
        if mask.any():
            self.masks.append((mask, reason))

    @property
    def bad(self) -> np.ndarray:
        out = np.zeros(self.n, dtype=bool)
        for mask, _ in self.masks:
            out |= mask
        return out

    def reasons(self, rows: np.ndarray) -> list[str]:
        """The joined reasons of the given row positions."""
        return ["; ".join(r for m, r in self.masks if m[i]) for i in rows]


def check_coordinates(checks: Checks, lat: np.ndarray, lon: np.ndarray) -> None:
    """Reject missing, out-of-range and (0, 0) coordinates."""
    checks.add(np.isnan(lat) | np.isnan(lon), "latitude/longitude missing or not a number")
    checks.add(np.abs(lat) > 90, "latitude outside -90..90")
    checks.add(np.abs(lon) > 180, "longitude outside -180..180")
    checks.add((lat == 0) & (lon == 0), "coordinates are (0, 0)")


def check_count(checks: Checks, values: np.ndarray, name: str) -> None:
    """Reject missing, non-integer and negative counts."""
    checks.add(np.isnan(values), f"{name} missing or not a number")
    with np.errstate(invalid="ignore"):
        checks.add(values < 0, f"{name} is negative")
        checks.add((values >= 0) & (values != np.floor(values)), f"{name} is not a whole number")


def check_id(checks: Checks, ids: pa.Array, name: str) -> None:
    """Reject rows without an event id."""
    checks.add(ids.is_null().to_numpy(zero_copy_only=False), f"{name} is missing")


def map_values(values: pa.Array, function) -> pa.Array:  # type: ignore[no-untyped-def]
    """Apply ``function`` (str -> str | None) once per distinct value of ``values``."""
    values = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    distinct = pc.unique(values)
    mapped = pa.array(
        [None if v is None else function(v) for v in distinct.to_pylist()], pa.string()
    )
    return pc.take(mapped, pc.index_in(values, distinct))


def assemble(
    table: pa.Table,
    lines: np.ndarray,
    checks: Checks,
    columns: dict[str, object],
    lon: np.ndarray,
    lat: np.ndarray,
    export_iso3: pa.Array,
) -> tuple[pa.Table, list[tuple[int, str, dict[str, str]]]]:
    """The accepted rows as an arrow table (event columns, ``original``, ``lon``, ``lat``,
    ``line``, ``export_iso3``) and the rejected rows as ``(line, reason, row)``."""
    bad = checks.bad
    rejected: list[tuple[int, str, dict[str, str]]] = []
    if bad.any():
        positions = np.flatnonzero(bad)
        rows = table.filter(pa.array(bad)).to_pylist()
        rejected = [
            (int(lines[i]), reason, row)
            for i, reason, row in zip(positions, checks.reasons(positions), rows, strict=True)
        ]
    data = {
        name: pa.array(np.asarray(value)) if isinstance(value, np.ndarray) else value
        for name, value in columns.items()
    }
    data |= {
        "original": original_json(table),
        "lon": pa.array(lon),
        "lat": pa.array(lat),
        "line": pa.array(lines, pa.int64()),
        "export_iso3": export_iso3,
    }
    accepted = pa.table(data)
    return (accepted.filter(pa.array(~bad)) if bad.any() else accepted), rejected
