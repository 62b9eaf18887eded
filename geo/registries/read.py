"""Reading a registry file (CSV or GeoJSON, same columns) into numbered raw rows.

Values stay text, exactly as written, so a rejected row can be written back as it was read.
CSV rows are numbered by the line where the record starts (the header is line 1); GeoJSON
features by their 1-based position in ``features``.
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import orjson
import shapely
import shapely.geometry

from geo.errors import InputFileError

CSV_SUFFIXES = {".csv", ".txt"}
GEOJSON_SUFFIXES = {".geojson", ".json"}


@dataclass
class RawRow:
    """One record of a registry file."""

    line: int
    values: dict[str, str]
    geometry: shapely.Geometry | None = None
    geometry_error: str = ""
    original: dict[str, object] = field(default_factory=dict)

    def get(self, name: str) -> str:
        return self.values.get(name, "").strip()


def read_rows(path: Path, required: Sequence[str]) -> list[RawRow]:
    """Read ``path`` (``.csv`` or ``.geojson``/``.json``); every column of ``required`` must exist.

    Raises ``InputFileError`` when the file as a whole cannot be used (missing, not UTF-8,
    not a FeatureCollection, missing columns).
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file not found")
    suffix = path.suffix.lower()
    try:
        if suffix in CSV_SUFFIXES:
            columns, rows = _read_csv(path)
        elif suffix in GEOJSON_SUFFIXES:
            columns, rows = _read_geojson(path)
        else:
            raise InputFileError(path, f"unsupported format {suffix!r}; use .csv or .geojson")
    except UnicodeDecodeError as exc:
        raise InputFileError(path, f"not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    missing = [c for c in required if c not in columns]
    if missing:
        raise InputFileError(path, f"missing column(s) {missing}; columns are {sorted(columns)}")
    return rows


def _read_csv(path: Path) -> tuple[set[str], list[RawRow]]:
    with open(path, encoding="utf-8-sig", newline="") as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise InputFileError(path, "empty file: no header line") from None
        rows = []
        while True:
            line = reader.line_num + 1
            try:
                cells = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:
                raise InputFileError(path, f"line {line}: {exc}") from None
            if not any(c.strip() for c in cells):
                continue
            values = {name: cells[i] if i < len(cells) else "" for i, name in enumerate(header)}
            if len(cells) > len(header):
                values["_extra"] = ",".join(cells[len(header) :])
            rows.append(RawRow(line, values, original=dict(values)))
    return set(header), rows


def _read_geojson(path: Path) -> tuple[set[str], list[RawRow]]:
    try:
        data = orjson.loads(path.read_bytes())
    except orjson.JSONDecodeError as exc:
        raise InputFileError(path, f"not valid JSON: {exc}") from None
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputFileError(path, "expected a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise InputFileError(path, "the FeatureCollection has no 'features' list")
    columns: set[str] = set()
    rows = []
    for number, feature in enumerate(features, start=1):
        props = feature.get("properties") if isinstance(feature, dict) else None
        props = props if isinstance(props, dict) else {}
        columns.update(props)
        values = {k: _text(v) for k, v in props.items()}
        raw_geometry = feature.get("geometry") if isinstance(feature, dict) else None
        geometry, error = _geometry(raw_geometry)
        original: dict[str, object] = dict(values)
        original["geometry"] = (
            orjson.dumps(raw_geometry).decode() if raw_geometry is not None else ""
        )
        rows.append(RawRow(number, values, geometry, error, original))
    return columns, rows


def cell_text(value: object) -> str:
    """A property value as the registry cell that holds it (lists joined with ';', None empty)."""
    return _text(value)


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(_text(v) for v in value)
    return str(value)


def _geometry(raw: object) -> tuple[shapely.Geometry | None, str]:
    if raw is None:
        return None, ""
    try:
        geometry = shapely.geometry.shape(raw)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        return None, f"geometry cannot be read: {exc}"
    if geometry.geom_type not in ("Point", "MultiPoint"):
        return (
            None,
            f"geometry is {geometry.geom_type}; use a Point or a MultiPoint (one point per site)",
        )
    return geometry, ""
