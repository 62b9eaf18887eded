"""RFC 7946 GeoJSON from a ``LayerIndex``: one page at a time, or streamed in chunks.

Only the requested rows are converted; geometries of non-point layers are encoded once per
index and embedded as ``orjson.Fragment``. Coordinates are rounded (``geo.crs.DEGREES_PRECISION``
decimals by default, RFC 7946 §11.2) and geometries crossing the antimeridian are cut at ±180
(§3.1.9, ``geo.features.antimeridian``); ``FeatureEncoder.output`` writes them in another CRS
(OGC API - Features Part 2).
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely

from geo.crs import DEGREES_PRECISION, CoordinateSystem, parse_crs, project_geometries, project_xy
from geo.events import SYNTHETIC
from geo.features.antimeridian import split_antimeridian
from geo.features.index import LayerIndex, narrow_codes

SYNTHETIC_NOTICE = "synthetic demo data: contains rows with source_dataset = synthetic-demo"
CHUNK = 5000


class ColumnValues:
    """Python values of a frame's columns at given row positions, as JSON wants them.

    Dates are ISO text (``YYYY-MM-DD`` for the ``date`` fields of ``field_types``, else
    ``YYYY-MM-DDTHH:MM:SSZ``), missing values are None; how to read each column is decided once.

    Parameters
    ----------
    frame : the rows
    field_types : catalogue type per field (``date`` values are written as ``YYYY-MM-DD``)
    columns : where to keep how each column is read (default: a new dict); readers of one frame
        may share one (``LayerIndex.columns``), so its coded columns exist once
    """

    def __init__(
        self, frame: pd.DataFrame, field_types: Mapping[str, str], columns: dict[str, Any] | None = None
    ) -> None:
        self.frame = frame
        self.field_types = dict(field_types)
        self._columns: dict[str, Any] = {} if columns is None else columns

    def values(self, name: str, positions: np.ndarray) -> list[Any]:
        """Python values of column ``name`` at ``positions`` (None for missing)."""
        kind, data = self._column(name)
        if kind == "coded":
            codes, table = data
            return table[codes[positions]].tolist()
        if kind == "datetime":
            taken = data[positions]
            unit = "D" if self.field_types.get(name) == "date" else "s"
            text = np.datetime_as_string(taken, unit=unit)
            if unit == "s":
                text = np.char.add(text, "Z")
            out = text.tolist()
            for i in np.flatnonzero(np.isnat(taken)):
                out[i] = None
            return out
        if kind == "numpy":
            taken = data[positions]
            if taken.dtype.kind == "f":
                return [None if v != v else v for v in taken.tolist()]
            if taken.dtype.kind == "O":
                out = taken.tolist()
                for i in np.flatnonzero(pd.isna(taken)):
                    out[i] = None
                return out
            return taken.tolist()
        return data.take(positions).to_numpy(dtype=object, na_value=None).tolist()

    def _column(self, name: str) -> tuple[str, Any]:
        """How to read column ``name``, decided once: coded text, dates, numpy or extension array."""
        cached = self._columns.get(name)
        if cached is not None:
            return cached
        column = self.frame[name]
        array = column.array
        if pd.api.types.is_datetime64_any_dtype(column):
            cached = ("datetime", column.to_numpy("datetime64[ms]"))
        elif isinstance(array, np.ndarray) or type(array).__name__ == "NumpyExtensionArray":
            cached = ("numpy", column.to_numpy())
        elif pd.api.types.is_string_dtype(column) and self._repetitive(column):
            codes, uniques = pd.factorize(column)
            # Code -1 (missing) picks the trailing None.
            table = np.array([*uniques.to_numpy(dtype=object, na_value=None), None], dtype=object)
            cached = ("coded", (narrow_codes(codes, len(uniques)), table))
        else:
            cached = ("extension", array)
        self._columns[name] = cached
        return cached

    @staticmethod
    def _repetitive(column: pd.Series) -> bool:
        sample = column.iloc[:: max(1, len(column) // 10_000)]
        return sample.nunique(dropna=False) <= len(sample) // 4


class FeatureEncoder:
    """Turns row positions of an index into GeoJSON feature dicts.

    Parameters
    ----------
    index : the layer index
    fields : property names to output, in order (restricted fields already removed)
    id_field : the property used as the feature ``id`` (the row position when the frame has no
        such column); None: features carry no ``id``
    field_types : catalogue type per field (``date`` values are written as ``YYYY-MM-DD``)
    """

    def __init__(
        self,
        index: LayerIndex,
        fields: Sequence[str],
        id_field: str | None,
        field_types: Mapping[str, str],
    ) -> None:
        self.index = index
        self.fields = [f for f in fields if f in index.frame.columns]
        self.with_ids = id_field is not None
        self.id_field = id_field if id_field in index.frame.columns else None
        self.field_types = dict(field_types)
        self._values = ColumnValues(index.frame, field_types, index.columns)
        self._geojson: list[orjson.Fragment | None] | None = None
        self._synthetic_code: int | None = None
        self._cs: CoordinateSystem = parse_crs(None)
        self._precision = DEGREES_PRECISION
        self._root = self

    def output(self, cs: CoordinateSystem | None = None, precision: int | None = None) -> FeatureEncoder:
        """This encoder writing coordinates in ``cs`` (default CRS84, in its axis order) rounded to
        ``precision`` decimals (default: 6 in degrees, 2 in metres); ``self`` when nothing changes.

        The returned encoder shares the index and the column readers; only CRS84 at the default
        precision keeps the encoded geometries of the whole layer (the others encode each page).
        """
        cs = parse_crs(None) if cs is None else cs
        decimals = cs.default_precision if precision is None else int(precision)
        if cs.uri == self._cs.uri and decimals == self._precision:
            return self
        twin = copy.copy(self)
        twin._cs, twin._precision = cs, decimals
        return twin

    @property
    def crs(self) -> CoordinateSystem:
        """The CRS coordinates are written in."""
        return self._cs

    def values(self, name: str, positions: np.ndarray) -> list[Any]:
        """Python values of column ``name`` at ``positions`` (None for missing)."""
        return self._values.values(name, positions)

    def geometries(self, positions: np.ndarray) -> list[Any]:
        """GeoJSON geometry objects (dicts or fragments) at ``positions``; null where there is none
        (or where the output CRS cannot place it, ``geo.crs``)."""
        index = self.index
        if index.points:
            first, second = project_xy(index.x[positions], index.y[positions], self._cs, self._precision)
            finite = (np.isfinite(first) & np.isfinite(second)).tolist()
            return [
                {"type": "Point", "coordinates": [a, b]} if ok else None
                for a, b, ok in zip(first.tolist(), second.tolist(), finite, strict=True)
            ]
        if self._cs.is_crs84 and self._precision == DEGREES_PRECISION:
            encoded = self._root._default_geojson()
            return [encoded[i] for i in positions.tolist()]
        geoms = np.asarray(index.frame.geometry.array)[np.asarray(positions, dtype=np.int64)]
        return _fragments(project_geometries(split_antimeridian(geoms), self._cs, self._precision))

    def _default_geojson(self) -> list[orjson.Fragment | None]:
        """Every geometry of the index in CRS84 at the default precision, encoded once."""
        if self._geojson is None:
            geoms = np.asarray(self.index.frame.geometry.array)
            rounded = project_geometries(split_antimeridian(geoms), parse_crs(None), DEGREES_PRECISION)
            self._geojson = _fragments(rounded)
        return self._geojson

    def features(self, positions: np.ndarray) -> list[dict[str, Any]]:
        """GeoJSON features (dicts) of the rows at ``positions``."""
        positions = np.asarray(positions, dtype=np.int64)
        columns = [self.values(name, positions) for name in self.fields]
        geometries = self.geometries(positions)
        names = self.fields
        rows = zip(*columns, strict=True) if columns else ([()] * len(positions))
        if not self.with_ids:
            return [
                {"type": "Feature", "geometry": geom, "properties": dict(zip(names, row, strict=True))}
                for geom, row in zip(geometries, rows, strict=True)
            ]
        ids = self.values(self.id_field, positions) if self.id_field else positions.tolist()
        return [
            {
                "type": "Feature",
                "id": fid,
                "geometry": geom,
                "properties": dict(zip(names, row, strict=True)),
            }
            for fid, geom, row in zip(ids, geometries, rows, strict=True)
        ]

    def has_synthetic(self, positions: np.ndarray | None = None) -> bool:
        """True when any row at ``positions`` (default: all) is synthetic demo data."""
        if "source_dataset" not in self.index.frame.columns:
            return False
        codes, uniques = self.index.codes("source_dataset")
        if self._synthetic_code is None:
            self._synthetic_code = int(
                uniques.get_indexer(pd.Index([SYNTHETIC], dtype="string"))[0]
            )
        if self._synthetic_code < 0:
            return False
        subset = codes if positions is None else codes[positions]
        return bool((subset == self._synthetic_code).any())

    def stream(self, positions: np.ndarray, members: Mapping[str, Any]) -> Iterator[bytes]:
        """A FeatureCollection as byte chunks: ``members`` first, then features ``CHUNK`` at a time.

        Memory stays bounded by one chunk whatever the number of features.
        """
        return stream_pages([(self, positions)], members)


def _fragments(geoms: np.ndarray) -> list[orjson.Fragment | None]:
    encoded = shapely.to_geojson(np.asarray(geoms, dtype=object))
    return [None if text is None else orjson.Fragment(text) for text in encoded.tolist()]


def stream_pages(
    pages: Iterable[tuple[FeatureEncoder, np.ndarray]], members: Mapping[str, Any]
) -> Iterator[bytes]:
    """``FeatureEncoder.stream`` over several (encoder, positions) parts, one FeatureCollection:
    the parts of a selection read from the store a chunk at a time."""
    head = orjson.dumps({"type": "FeatureCollection", **members})
    yield head[:-1] + b',"features":['
    first = True
    for encoder, positions in pages:
        for start in range(0, len(positions), CHUNK):
            body = orjson.dumps(encoder.features(positions[start : start + CHUNK]))[1:-1]
            yield body if first else b"," + body
            first = False
    yield b"]}\n"


def feature_collection(
    frame: gpd.GeoDataFrame, columns: Sequence[str], precision: int = DEGREES_PRECISION
) -> dict[str, Any]:
    """A small frame as a GeoJSON FeatureCollection dict, with the ``FeatureEncoder`` rules.

    Parameters
    ----------
    frame : the features in EPSG:4326 (polygons come out oriented as RFC 7946 asks)
    columns : the properties, in order; every one must be a column of ``frame``
    precision : decimals of the coordinates (``Settings.geojson_precision``)

    Returns
    -------
    dict with ``type`` and ``features`` (no feature ``id``); dates and date-times as
    ``YYYY-MM-DD``, missing values as null. Non-point geometries are ``orjson.Fragment`` text,
    to be written with ``orjson.dumps``.

    Examples
    --------
    >>> feature_collection(countries, ["iso3", "name"])["features"][0]["properties"]  # doctest: +SKIP
    {'iso3': 'AGO', 'name': 'Angola'}
    """
    _check_columns(frame, columns)
    encoder = FeatureEncoder(LayerIndex(frame, None), columns, None, _date_types(frame, columns))
    encoder = encoder.output(None, precision)
    return {"type": "FeatureCollection", "features": encoder.features(np.arange(len(frame)))}


def records(frame: pd.DataFrame, columns: Sequence[str] | None = None) -> list[dict[str, Any]]:
    """Rows of ``frame`` as dicts of plain JSON values, with the ``FeatureEncoder`` value rules.

    ``columns`` defaults to every column; dates and date-times come out as ``YYYY-MM-DD``,
    missing values as None.

    Examples
    --------
    >>> records(pd.DataFrame({"n": [1, None], "day": pd.to_datetime(["2024-03-05", None])}))
    [{'n': 1.0, 'day': '2024-03-05'}, {'n': None, 'day': None}]
    """
    names = list(frame.columns if columns is None else columns)
    _check_columns(frame, names)
    reader = ColumnValues(frame, _date_types(frame, names))
    positions = np.arange(len(frame), dtype=np.int64)
    values = [reader.values(name, positions) for name in names]
    if not names:
        return [{} for _ in range(len(frame))]
    return [dict(zip(names, row, strict=True)) for row in zip(*values, strict=True)]


def _date_types(frame: pd.DataFrame, columns: Sequence[str]) -> dict[str, str]:
    return {name: "date" for name in columns if pd.api.types.is_datetime64_any_dtype(frame[name])}


def _check_columns(frame: pd.DataFrame, columns: Sequence[str]) -> None:
    missing = [name for name in columns if name not in frame.columns]
    if missing:
        raise KeyError(f"columns={missing!r}: not columns of the frame ({list(frame.columns)})")
