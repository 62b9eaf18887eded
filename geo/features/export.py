"""Writing layers to the download formats: GeoJSON, GeoPackage, CSV, GeoParquet, FlatGeobuf.

Every format carries the data version, the licence and the attribution, and says
"synthetic demo data" when synthetic rows are included:

- GeoJSON: foreign members ``coopmap`` (the metadata) and ``notice`` on the FeatureCollection;
- GeoPackage: layer metadata (``gpkg_metadata``) read back by ``pyogrio.read_info``;
- GeoParquet: a ``coopmap`` key (JSON) in the Parquet schema metadata;
- FlatGeobuf: the layer title and description (``key: value; ...``);
- CSV: a sidecar ``<file>.metadata.json`` (files) or the ``.metadata.json`` download and the
  ``X-Coopmap-Notice`` header (web), so the CSV itself stays plain for spreadsheets.

CSV text cells that a spreadsheet would run as a formula (starting with ``= + - @``, tab or
carriage return) get a leading single quote (:func:`csv_safe`): a source note reading
``=HYPERLINK(...)`` is shown as text, never evaluated. Numbers (negative longitudes) are left alone.
"""

from __future__ import annotations

import contextlib
import csv
import io
import itertools
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import shapely
from geopandas.io.arrow import _geopandas_to_arrow
from pyogrio.raw import write_arrow

from geo.crs import DEGREES_PRECISION
from geo.errors import InvalidParameter
from geo.events import SYNTHETIC
from geo.features.geojson import SYNTHETIC_NOTICE, FeatureEncoder
from geo.features.index import LayerIndex
from geo.storage.geoparquet import Spill, distributed_writer, geometry_type_names
from geo.storage.io import atomic_path, write_bytes_atomic
from geo.types import WGS84

FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv", "parquet": ".parquet", "fgb": ".fgb"}
DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG", "fgb": "FlatGeobuf"}


def format_of(path: Path) -> str:
    """The export format named by a file suffix."""
    suffix = Path(path).suffix.lower()
    for name, ext in FORMATS.items():
        if suffix == ext:
            return name
    raise InvalidParameter("output", str(path), f"unknown suffix; use one of {sorted(FORMATS.values())}")


def with_notice(frame: gpd.GeoDataFrame, metadata: Mapping[str, str]) -> dict[str, str]:
    """``metadata`` plus a ``notice`` when ``frame`` holds synthetic demo rows."""
    out = {str(k): str(v) for k, v in metadata.items()}
    if "source_dataset" in frame.columns and (frame["source_dataset"] == SYNTHETIC).fillna(False).any():
        out["notice"] = SYNTHETIC_NOTICE
    return out


def write_frame(
    frame: gpd.GeoDataFrame, path: Path, layer_name: str, metadata: Mapping[str, str],
    precision: int = DEGREES_PRECISION, spatial: bool = True,
) -> None:
    """Write ``frame`` to ``path`` (format from the suffix) atomically, with ``metadata``.

    Parameters
    ----------
    frame : features in EPSG:4326
    path : the target file; ``.geojson .gpkg .csv .parquet .fgb``
    layer_name : the layer name inside GeoPackage / FlatGeobuf files
    metadata : data version, licence, attribution (a synthetic-data notice is added when due)
    precision : decimals of GeoJSON coordinates (``Settings.geojson_precision``)
    spatial : GeoParquet rows in spatial order (False: in the frame's order, e.g. an explicit sort)

    GeoParquet files are GeoParquet 1.1 with a bbox covering, row groups of ~100,000 rows and
    rows in spatial order (``geo.storage.geoparquet``); FlatGeobuf files carry their packed
    Hilbert R-tree (unless some feature has no geometry: the format's index cannot hold one),
    GeoPackage files their R-tree (``rtree_<layer>_geom``).

    CSV carries ``longitude``/``latitude`` for points and ``wkt`` for other geometries (empty
    for a feature without geometry), and its metadata goes to ``<path>.metadata.json``.
    """
    fmt = format_of(path)
    meta = with_notice(frame, metadata)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            _write_parquet([frame], tmp, meta, spatial)
        elif fmt == "csv":
            _csv_frame(frame).to_csv(tmp, index=False, lineterminator=CSV_LINE_END)
        elif fmt == "geojson":
            encoder = FeatureEncoder(LayerIndex(frame, None), [c for c in frame.columns if c != frame.geometry.name],
                                     "", {}).output(None, precision)
            members = {"name": layer_name, "coopmap": meta, **({"notice": meta["notice"]} if "notice" in meta else {})}
            with open(tmp, "wb") as fh:
                for chunk in encoder.stream(np.arange(len(frame)), members):
                    fh.write(chunk)
        else:
            tmp.unlink()
            if fmt == "gpkg":
                options = {"layer": layer_name, "metadata": meta, "layer_options": GPKG_OPTIONS}
            else:
                options = {"layer_options": _fgb_options(layer_name, meta, bool(frame.geometry.isna().any()))}
            frame.to_file(tmp, driver=DRIVERS[fmt], engine="pyogrio", **options)
    if fmt == "csv":
        write_bytes_atomic(Path(f"{path}.metadata.json"), orjson.dumps(meta, option=orjson.OPT_INDENT_2))


def write_frames(
    frames: Iterable[gpd.GeoDataFrame],
    path: Path,
    layer_name: str,
    metadata: Mapping[str, str],
    synthetic: bool,
    spatial: bool = True,
) -> None:
    """``write_frame`` for features read a part at a time (a selection read from the store in chunks).

    A GeoPackage is written part by part (the first creates the layer with the metadata and the
    R-tree, the others are appended and indexed as they go), a GeoParquet file from the parts
    spilled and sorted a row group at a time, so memory is bounded by a part; the other formats
    are written from the parts joined into one frame. ``synthetic``: some part holds synthetic
    demo rows (the notice must be in the metadata before the first part is written).
    """
    parts = iter(frames)
    first = next(parts)
    fmt = format_of(path)
    meta = with_notice(first, metadata)
    if synthetic:
        meta["notice"] = SYNTHETIC_NOTICE
    if fmt == "parquet":
        with atomic_path(path) as tmp:
            _write_parquet(itertools.chain([first], parts), tmp, meta, spatial)
        return
    if fmt == "fgb":
        with atomic_path(path) as tmp:
            _write_fgb(itertools.chain([first], parts), tmp, layer_name, meta)
        return
    if fmt != "gpkg":
        rest = list(parts)
        whole = pd.concat([first, *rest], ignore_index=True) if rest else first
        write_frame(gpd.GeoDataFrame(whole, geometry=first.geometry.name, crs=first.crs), path, layer_name, meta,
                    spatial=spatial)
        return
    with atomic_path(path) as tmp:
        tmp.unlink()
        first.to_file(tmp, driver=DRIVERS["gpkg"], engine="pyogrio", layer=layer_name, metadata=meta,
                      layer_options=GPKG_OPTIONS)
        for part in parts:
            if len(part):
                part.to_file(tmp, driver=DRIVERS["gpkg"], engine="pyogrio", layer=layer_name, append=True)


GPKG_OPTIONS = {"SPATIAL_INDEX": "YES"}
"""GeoPackage layer creation options: the R-tree (``rtree_<layer>_geom``), kept up to date by
its triggers when parts are appended."""


def _fgb_options(layer_name: str, meta: Mapping[str, str], has_null_geometry: bool) -> dict[str, str]:
    """FlatGeobuf layer creation options: title, description and the packed Hilbert R-tree,
    which cannot hold a feature without geometry (GDAL refuses the file then)."""
    return {"TITLE": layer_name, "DESCRIPTION": _describe(meta), "SPATIAL_INDEX": "NO" if has_null_geometry else "YES"}


def _write_fgb(frames: Iterable[gpd.GeoDataFrame], tmp: Path, layer_name: str, meta: Mapping[str, str]) -> None:
    """The FlatGeobuf file ``tmp`` from ``frames``, a part at a time: the parts are spilled to a
    temporary Arrow file (to learn the geometry types, and whether some feature has none, which
    the spatial index cannot hold) and GDAL reads them back from it as a stream."""
    tmp.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix=".spill-fgb-", dir=tmp.parent) as folder:
        spill: Spill | None = None
        kinds: set[str] = set()
        nulls = False
        crs = None
        for frame in frames:
            table = _geopandas_to_arrow(frame, index=False)
            if spill is None:
                spill, crs = Spill(Path(folder) / "rows.arrow", table.schema), frame.crs
            geometries = np.asarray(frame.geometry.array)
            kinds |= geometry_type_names(geometries)
            nulls = nulls or bool(shapely.is_missing(geometries).any())
            spill.append(table)
        assert spill is not None  # write_frames gives at least one frame
        stream = pa.RecordBatchReader.from_batches(spill.schema, spill.batches())
        kind = kinds.pop() if len(kinds) == 1 else "Unknown"
        write_arrow(stream, str(tmp), layer=layer_name, driver=DRIVERS["fgb"], geometry_name="geometry",
                    geometry_type=kind, crs=crs.to_string() if crs is not None else WGS84,
                    layer_options=_fgb_options(layer_name, meta, nulls))


def _write_parquet(frames: Iterable[gpd.GeoDataFrame], tmp: Path, meta: Mapping[str, str], spatial: bool) -> None:
    """The GeoParquet 1.1 file ``tmp`` from ``frames`` (the first one's columns and types), with
    ``meta`` under the ``coopmap`` key."""
    writer = None
    with contextlib.ExitStack() as stack:
        for frame in frames:
            table = _geopandas_to_arrow(frame, index=False)
            if writer is None:
                coopmap = {b"coopmap": orjson.dumps(meta)}
                writer = stack.enter_context(
                    distributed_writer(tmp, table.schema, crs=frame.crs or WGS84, spatial=spatial, metadata=coopmap)
                )
            writer(table)


CSV_LINE_END = "\r\n"
"""RFC 4180 line end: with it, the csv writer quotes every cell holding a CR or LF, so a stray
carriage return in a note cannot split a row."""

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""First characters that make a spreadsheet read a cell as a formula."""


def csv_safe(value: object) -> object:
    """``value`` with a leading ``'`` when it is text a spreadsheet would run as a formula.

    Examples
    --------
    >>> csv_safe("=1+1"), csv_safe("-2 sites"), csv_safe(-2.5), csv_safe("Bunia")
    ("'=1+1", "'-2 sites", -2.5, 'Bunia')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv_safe_column(values: list[object]) -> list[object]:
    """:func:`csv_safe` over a column (inlined: it runs once per cell of every CSV download)."""
    return ["'" + v if v.__class__ is str and v.startswith(FORMULA_START) else v for v in values]  # type: ignore[attr-defined]


def _describe(meta: Mapping[str, str]) -> str:
    return "; ".join(f"{k}: {v}" for k, v in meta.items())


def _csv_frame(frame: gpd.GeoDataFrame):  # noqa: ANN202
    table = frame.drop(columns=frame.geometry.name).copy()
    for name in table.columns:
        if table[name].dtype == object or isinstance(table[name].dtype, pd.StringDtype):
            table[name] = table[name].map(csv_safe, na_action="ignore")
    present = frame.geometry.notna()
    if len(frame) and (frame.geom_type[present] == "Point").all():
        table["longitude"] = frame.geometry.x
        table["latitude"] = frame.geometry.y
    else:
        table["wkt"] = frame.geometry.to_wkt()
    return table


def csv_chunks(encoder: FeatureEncoder, positions: np.ndarray, chunk: int = 5000) -> Iterator[bytes]:
    """CSV of the rows at ``positions`` as UTF-8 byte chunks (constant memory).

    Columns are the encoder's fields, then ``longitude``/``latitude`` for point layers or
    ``wkt`` for the others (the same layout as ``write_frame``).
    """
    return csv_pages([(encoder, positions)], chunk)


def csv_pages(pages: Iterable[tuple[FeatureEncoder, np.ndarray]], chunk: int = 5000) -> Iterator[bytes]:
    """``csv_chunks`` over several (encoder, positions) parts, one CSV (the header from the first
    part): the parts of a selection read from the store a chunk at a time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=CSV_LINE_END)
    header = False
    for encoder, positions in pages:
        index = encoder.index
        if not header:
            geometry_columns = ["longitude", "latitude"] if index.points or not index.n else ["wkt"]
            writer.writerow([*encoder.fields, *geometry_columns])
            header = True
        for start in range(0, len(positions), chunk):
            part = np.asarray(positions[start:start + chunk], dtype=np.int64)
            columns = [_csv_safe_column(encoder.values(name, part)) for name in encoder.fields]
            if index.points:  # a feature without geometry (a project not mapped) has empty cells
                columns += [_cells(index.x[part]), _cells(index.y[part])]
            else:
                columns.append(shapely.to_wkt(np.asarray(index.frame.geometry.array)[part]).tolist())
            writer.writerows(zip(*columns, strict=True))
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode()


def _cells(values: np.ndarray) -> list[float | None]:
    return [None if v != v else v for v in values.tolist()]
