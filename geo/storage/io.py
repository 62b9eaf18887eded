"""File input/output: atomic writes and reading the vector formats analysts bring."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import tempfile
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import geopandas as gpd
import orjson
import pyarrow as pa
import pyogrio
import pyproj

from geo.errors import InputFileError
from geo.storage.geoparquet import distributed_writer
from geo.types import WGS84

VECTOR_SUFFIXES = {".geojson", ".json", ".gpkg", ".shp", ".zip", ".parquet", ".geoparquet", ".fgb"}


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str], mode: int | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` on success.

    If the block raises (or the process dies), ``target`` keeps its old content and the
    temporary file is removed. ``mode`` (e.g. ``0o600`` for secrets) is set before anything is
    written; by default the umask decides. A private ``mode`` (no group/other bits) makes the
    parent directories this call creates private too (``0o700``).

    Examples
    --------
    >>> with atomic_path("out.parquet") as tmp:  # doctest: +SKIP
    ...     frame.to_parquet(tmp)
    """
    target = Path(target)
    make_parents(target, mode)
    # The temp file keeps the suffix: GDAL drivers check it (GPKG warns on anything else).
    fd, name = tempfile.mkstemp(prefix=f".tmp-{target.stem}-", suffix=target.suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(name)
    os.chmod(tmp, 0o666 & ~_umask() if mode is None else mode)
    try:
        yield tmp
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def make_parents(target: str | os.PathLike[str], mode: int | None = None) -> None:
    """Create the missing parent directories of ``target``: ``0o700`` when ``mode`` (the file's)
    grants nothing to group and others, else as the umask decides. Existing ones are left alone."""
    parent = Path(target).parent
    if parent.is_dir():
        return
    private = mode is not None and not mode & 0o077
    missing = [d for d in (parent, *parent.parents) if not d.exists()]
    for folder in reversed(missing):
        try:
            folder.mkdir(mode=0o700 if private else 0o777)
        except FileExistsError:  # another process made it meanwhile
            continue
        if private:
            os.chmod(folder, 0o700)  # mkdir's mode passes through the umask


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomic(target: str | os.PathLike[str], data: bytes, mode: int | None = None) -> None:
    """Write ``data`` to ``target`` atomically (``mode``: file permissions, default from the umask)."""
    with atomic_path(target, mode) as tmp:
        tmp.write_bytes(data)


def create_bytes_once(target: str | os.PathLike[str], data: bytes, mode: int | None = None) -> bytes:
    """Write ``data`` to ``target`` only if it does not exist yet; return the content in place.

    Safe when several processes race to create the same file (gunicorn workers creating a secret
    key): the file appears complete or not at all, and every caller gets the winner's content.
    """
    target = Path(target)
    if target.exists():
        return target.read_bytes()
    make_parents(target, mode)
    fd, name = tempfile.mkstemp(prefix=f".tmp-{target.stem}-", dir=target.parent)
    tmp = Path(name)
    try:
        os.fchmod(fd, 0o666 & ~_umask() if mode is None else mode)
        os.write(fd, data)
        os.fsync(fd)
        os.close(fd)
        fd = -1
        try:
            os.link(tmp, target)  # fails if another process created it first: theirs wins
        except FileExistsError:
            pass
    finally:
        if fd >= 0:
            os.close(fd)
        tmp.unlink(missing_ok=True)
    return target.read_bytes()


@contextlib.contextmanager
def file_lock(path: str | os.PathLike[str]) -> Iterator[None]:
    """Hold an exclusive lock on the file ``path`` (created 0600) for the ``with`` block.

    Other processes (and threads) asking for the same lock wait until it is released; the kernel
    releases it when the holder dies, so a killed process never leaves a stale lock behind.

    Examples
    --------
    >>> with file_lock(home / ".init.lock"):  # doctest: +SKIP
    ...     build_defaults()
    """
    make_parents(path, 0o600)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


def write_parquet_atomic(frame: gpd.GeoDataFrame, target: str | os.PathLike[str]) -> None:
    """Write a GeoDataFrame as GeoParquet 1.1 atomically (``geo.storage.geoparquet``: bbox
    covering, spatial order, row groups of ``ROW_GROUP_ROWS``)."""
    table = frame_to_arrow(frame)
    with atomic_path(target) as tmp, distributed_writer(tmp, table.schema, crs=frame.crs or WGS84) as append:
        append(table)


def with_geo_metadata(schema: pa.Schema, geometry_types: Sequence[str], crs: object = "EPSG:4326") -> pa.Schema:
    """``schema`` with the GeoParquet ``geo`` metadata of its WKB ``geometry`` column (encoding,
    geometry types, CRS as PROJJSON), as every store writes and reads layers. A schema that has
    its ``geo`` metadata already (a frame's, from ``frame_to_arrow``) keeps it."""
    if b"geo" in (schema.metadata or {}):
        return schema
    geo = {
        "version": "1.0.0",
        "primary_column": "geometry",
        "columns": {
            "geometry": {
                "encoding": "WKB",
                "geometry_types": list(geometry_types),
                "crs": pyproj.CRS.from_user_input(crs).to_json_dict(),
            }
        },
    }
    return schema.with_metadata(dict(schema.metadata or {}) | {b"geo": orjson.dumps(geo)})


def frame_to_arrow(frame: gpd.GeoDataFrame) -> pa.Table:
    """``frame`` as the Arrow table GeoParquet holds (WKB geometry, pandas and ``geo`` metadata, as
    ``GeoDataFrame.to_parquet`` writes it): what every store's ``write`` stores and hashes."""
    sink = io.BytesIO()
    frame.to_feather(sink, compression="uncompressed", index=False)
    return pa.ipc.open_file(pa.py_buffer(sink.getvalue())).read_all()


def arrow_to_frame(table: pa.Table) -> gpd.GeoDataFrame:
    """The GeoDataFrame ``gpd.read_parquet`` gives for a file holding ``table`` (the inverse of
    ``frame_to_arrow``)."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)
    return gpd.read_feather(pa.BufferReader(sink.getvalue()))


@contextlib.contextmanager
def geoparquet_writer(
    target: str | os.PathLike[str],
    schema: pa.Schema,
    crs: str = WGS84,
    geometry_types: Sequence[str] = (),
    order_column: bool = False,
) -> Iterator[Callable[[pa.Table], None]]:
    """Write a GeoParquet 1.1 file atomically from Arrow tables (``geo.storage.geoparquet``:
    bbox covering, rows in spatial order, row groups of ``ROW_GROUP_ROWS``).

    ``schema`` has a WKB ``geometry`` column (binary); the GeoParquet metadata (encoding, CRS,
    geometry types found in the data, covering) is added here. ``order_column``: keep the order
    the rows were given in an ``fid`` column (a store's layer). Memory is bounded by a row group,
    not the file (the rows are spilled to a temporary file to be sorted). Yields the function that
    appends a table; if the block raises, ``target`` is unchanged.

    Examples
    --------
    >>> with geoparquet_writer("out.parquet", schema) as write:  # doctest: +SKIP
    ...     for table in tables:
    ...         write(table)
    """
    schema = with_geo_metadata(schema, geometry_types, crs)
    with atomic_path(target) as tmp, distributed_writer(tmp, schema, crs=crs, order_column=order_column) as append:
        yield append


def read_vector(path: str | os.PathLike[str], layer: str | None = None) -> gpd.GeoDataFrame:
    """Read a GeoJSON, GeoPackage, Shapefile, zipped Shapefile, FlatGeobuf or GeoParquet file.

    The result is in EPSG:4326. A file without a CRS is taken as EPSG:4326 only when its
    coordinates fit in degrees; otherwise it is an error, never a silent guess.

    Parameters
    ----------
    path : path to the file
    layer : layer name inside a multi-layer source (GeoPackage), default the first

    Returns
    -------
    GeoDataFrame in EPSG:4326
    """
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file not found")
    suffix = path.suffix.lower()
    if suffix not in VECTOR_SUFFIXES:
        raise InputFileError(path, f"unsupported format {suffix!r}; use one of {sorted(VECTOR_SUFFIXES)}")
    try:
        if suffix in {".parquet", ".geoparquet"}:
            frame = gpd.read_parquet(path)
        else:
            source = f"zip://{path}" if suffix == ".zip" else str(path)
            frame = gpd.read_file(source, layer=layer, engine="pyogrio")
    except (pyogrio.errors.DataSourceError, pyogrio.errors.DataLayerError, ValueError, OSError) as exc:
        raise InputFileError(path, f"cannot read as vector data: {exc}") from exc
    return _to_wgs84(frame, path)


def _to_wgs84(frame: gpd.GeoDataFrame, path: Path) -> gpd.GeoDataFrame:
    if frame.crs is None:
        minx, miny, maxx, maxy = frame.total_bounds
        if min(minx, miny) < -180 or maxx > 180 or maxy > 90:
            raise InputFileError(path, "no CRS and coordinates are not longitude/latitude degrees")
        return frame.set_crs(WGS84)
    if frame.crs.to_epsg() != 4326:
        return frame.to_crs(WGS84)
    return frame
