"""GeoParquet 1.1 files laid out as the specification's distribution practices ask.

Every GeoParquet file coopmap writes (the embedded store's layers, the ``.parquet`` downloads, the
committed boundaries) goes through ``distributed_writer``:

- a ``bbox`` covering column (struct ``xmin, ymin, xmax, ymax``, float64), declared in the ``geo``
  metadata's ``covering``, whose Parquet statistics give every row group its bounding box;
- rows in spatial order (Hilbert distance of each bounding box's centre over the whole world, so the
  key of a row does not depend on the others; rows without geometry last), so that the row groups
  are compact and a reader with a bbox filter (geopandas ``read_parquet(bbox=...)``, GDAL, DuckDB,
  a pyarrow dataset filter on ``bbox``) skips the groups outside its window;
- row groups of ``ROW_GROUP_ROWS`` rows (the practices' ceiling is 150,000).

A layer's own row order (what ``Store.scan`` and ``Store.read`` give, and what the API pages by
default) is not the file's: the store keeps it in an ``fid`` column (1, 2, ... in the order written,
as the PostGIS store's ``fid``), and reads put the rows back in that order (``logical_tables``).

Sorting needs every row: the tables given are spilled uncompressed to a temporary Arrow file beside
the target and taken back in order from it (``in_rank_order``), a row group at a time. Memory holds the
row group being written plus 36 bytes per row (sort key and bounding box), not the layer.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pyproj
import shapely

from geo.types import WGS84

ROW_GROUP_ROWS = 100_000
"""Rows per row group: small enough for a bbox read to skip most of a large file, large enough
for good compression (the distribution practices advise at most 150,000)."""

COMPRESSION = "zstd"
"""Compression of every column (zstd at its default level: small files, fast enough)."""

COVERING = "bbox"
"""The bounding-box covering column."""

ORDER_COLUMN = "fid"
"""The column keeping a stored layer's own row order (1, 2, ... as written)."""

WORLD = (-180.0, -90.0, 180.0, 90.0)
"""The extent the Hilbert curve spans: fixed, so each row's key is known as soon as it is read."""

HILBERT_LEVEL = 16
"""Cells per side of the curve: 2**16, about 600 m at the equator."""

_TYPE_NAMES = {0: "Point", 1: "LineString", 3: "Polygon", 4: "MultiPoint", 5: "MultiLineString",
               6: "MultiPolygon", 7: "GeometryCollection"}


def spatial_keys(geometries: np.ndarray, world: tuple[float, float, float, float] = WORLD) -> np.ndarray:
    """The Hilbert distance (``GeoSeries.hilbert_distance`` over ``world``) of each geometry's
    bounding box centre; a missing or empty geometry gets the largest key (sorted last)."""
    keys = np.full(len(geometries), np.iinfo(np.uint32).max, dtype=np.uint32)
    present = ~(shapely.is_missing(geometries) | shapely.is_empty(geometries))
    if present.any():
        series = gpd.GeoSeries(geometries[present])
        keys[present] = series.hilbert_distance(total_bounds=world, level=HILBERT_LEVEL).to_numpy()
    return keys


BOX = pa.struct([pa.field(name, pa.float32()) for name in ("xmin", "ymin", "xmax", "ymax")])
"""The covering's type: float32 (as GDAL writes it; half the size of float64), each box rounded
outwards so that it still contains its geometry."""


def covering_column(bounds: np.ndarray) -> pa.StructArray:
    """The ``bbox`` covering column of rows whose bounds (``shapely.bounds``: n x 4) are given, in
    float32 rounded outwards; null where a row has no geometry."""
    missing = np.isnan(bounds).any(axis=1)
    low = bounds[:, :2].astype(np.float32)
    low = np.where(low > bounds[:, :2], np.nextafter(low, np.float32(-np.inf)), low)
    high = bounds[:, 2:].astype(np.float32)
    high = np.where(high < bounds[:, 2:], np.nextafter(high, np.float32(np.inf)), high)
    fields = [pa.array(column, pa.float32(), mask=missing) for column in (*low.T, *high.T)]
    return pa.StructArray.from_arrays(fields, fields=list(BOX), mask=pa.array(missing))


def geo_metadata(
    geometry_types: list[str], crs: object, bbox: list[float] | None, base: Mapping | None = None
) -> dict:
    """The GeoParquet 1.1 ``geo`` metadata of a WKB ``geometry`` column with a ``bbox`` covering;
    ``base`` (an existing ``geo`` metadata, e.g. geopandas') gives the column's other members."""
    column = dict((base or {}).get("columns", {}).get("geometry", {}))
    column.pop("bbox", None)
    column |= {
        "encoding": "WKB",
        "geometry_types": sorted(geometry_types),
        "covering": {COVERING: {name: [COVERING, name] for name in ("xmin", "ymin", "xmax", "ymax")}},
    }
    if "crs" not in column:
        column["crs"] = pyproj.CRS.from_user_input(crs).to_json_dict()
    if bbox is not None:
        column["bbox"] = bbox
    return {"version": "1.1.0", "primary_column": "geometry", "columns": {"geometry": column}}


def _plain(schema: pa.Schema) -> pa.Schema:
    """``schema`` with dictionary columns as their values (an Arrow file holds one dictionary)."""
    return pa.schema([pa.field(f.name, f.type.value_type if pa.types.is_dictionary(f.type) else f.type)
                      for f in schema])


class Spill:
    """Arrow tables written to an uncompressed Arrow file, then taken back in any row order.

    Parameters
    ----------
    path : the temporary file (removed by the caller)
    schema : the tables' schema (dictionary columns are spilled as plain values)
    """

    def __init__(self, path: Path, schema: pa.Schema) -> None:
        self.path = path
        self.schema = _plain(schema)
        self.rows = 0
        self._writer: pa.ipc.RecordBatchFileWriter | None = pa.ipc.new_file(str(path), self.schema)

    def append(self, table: pa.Table) -> None:
        """Add the rows of ``table`` (numbered on from the last row added)."""
        assert self._writer is not None, "append after take"
        self._writer.write_table(table.select(self.schema.names).cast(self.schema))
        self.rows += table.num_rows

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The rows in the order they were added, as the batches added, each read into memory
        when asked for (a memory map would keep every page read resident until the end)."""
        self._close()
        with pa.OSFile(str(self.path)) as source:
            reader = pa.ipc.open_file(source)
            for i in range(reader.num_record_batches):
                yield reader.get_batch(i)

    def _close(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def take(self, order: np.ndarray, rows: int) -> Iterator[pa.Table]:
        """The rows in the order ``order`` (a permutation of the row numbers, from 0), ``rows`` per table."""
        rank = np.empty(self.rows, np.int64)
        rank[np.asarray(order, np.int64)] = np.arange(self.rows)

        def pieces() -> Iterator[tuple[pa.RecordBatch, np.ndarray]]:
            start = 0
            for batch in self.batches():
                yield batch, rank[start:start + batch.num_rows]
                start += batch.num_rows

        yield from in_rank_order(pieces(), self.rows, rows, self.path.with_suffix(""), self.schema)


_RANK = "__spill_rank"


def in_rank_order(
    pieces: Iterable[tuple[pa.RecordBatch | pa.Table, np.ndarray]], total: int, rows: int, stem: Path,
    schema: pa.Schema,
) -> Iterator[pa.Table]:
    """The rows of ``pieces`` (each a table and the rank of each of its rows: a permutation of
    0..``total``-1 over all pieces) in rank order, ``rows`` per table.

    One pass over the pieces sends each row to the file of the table it belongs to (``stem-<n>.arrow``);
    each file is then read whole and put in order in memory. Reads are sequential and the gathers
    in memory, which a random gather over one memory-mapped file is not; memory holds one table.
    """
    count = -(-total // rows)
    keyed = schema.append(pa.field(_RANK, pa.int64()))
    parts = [stem.with_name(f"{stem.name}-{n}.arrow") for n in range(count)]
    writers = [pa.ipc.new_file(str(part), keyed) for part in parts]
    try:
        for piece, ranks in pieces:
            dest = ranks // rows
            keyed_piece = piece.append_column(_RANK, pa.array(ranks, pa.int64()))
            for n in np.unique(dest):  # a filter per table reads the piece in order, as a gather does not
                writers[n].write(keyed_piece.filter(pa.array(dest == n)))
    finally:
        for writer in writers:
            writer.close()
    try:
        for part in parts:
            with pa.OSFile(str(part)) as source:  # read into memory: a gather over a mapped file faults page by page
                table = pa.ipc.open_file(source).read_all()
                in_order = np.argsort(table.column(_RANK).to_numpy(), kind="stable")
                yield table.drop_columns([_RANK]).take(pa.array(in_order))
            part.unlink()
    finally:
        for part in parts:
            part.unlink(missing_ok=True)


@contextlib.contextmanager
def distributed_writer(
    target: Path,
    schema: pa.Schema,
    *,
    crs: object = WGS84,
    spatial: bool = True,
    order_column: bool = False,
    metadata: Mapping[bytes, bytes] | None = None,
    row_group_rows: int = ROW_GROUP_ROWS,
) -> Iterator[Callable[[pa.Table], None]]:
    """Write the GeoParquet 1.1 file ``target`` (not atomically: give a temporary path) from Arrow
    tables appended one by one; the file is written when the block ends without an error.

    Parameters
    ----------
    target : the file to write
    schema : the tables' schema, with a WKB ``geometry`` column; its metadata is kept (pandas'),
        its ``geo`` metadata upgraded to 1.1 with the covering
    crs : the geometries' CRS, unless the ``geo`` metadata of ``schema`` names one
    spatial : rows in spatial order (False: in the order given, e.g. an explicit ``sortby``)
    order_column : add ``fid`` (each row's number in the order given, from 1)
    metadata : more Parquet key-value metadata (e.g. ``coopmap``)
    row_group_rows : rows per row group

    Examples
    --------
    >>> with distributed_writer(tmp, table.schema) as append:  # doctest: +SKIP
    ...     append(table)
    """
    clash = [name for name in (COVERING, ORDER_COLUMN if order_column else None) if name in schema.names]
    if clash:
        raise ValueError(f"a layer written as GeoParquet may not have a column named {clash[0]!r}")
    target = Path(target)
    with tempfile.TemporaryDirectory(prefix=f".spill-{target.stem}-", dir=target.parent) as folder:
        spill = Spill(Path(folder) / "rows.arrow", schema)
        keys: list[np.ndarray] = []
        bounds: list[np.ndarray] = []
        kinds: set[str] = set()
        world = world_of(crs)

        def append(table: pa.Table) -> None:
            if not table.num_rows:
                return
            geometries = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
            bounds.append(shapely.bounds(geometries))
            keys.append(spatial_keys(geometries, world) if spatial else np.zeros(len(geometries), np.uint32))
            kinds.update(geometry_type_names(geometries))
            spill.append(table)

        yield append
        every = np.concatenate(bounds) if bounds else np.empty((0, 4))
        order = np.argsort(np.concatenate(keys), kind="stable") if keys else np.empty(0, np.int64)
        base = orjson.loads((schema.metadata or {}).get(b"geo", b"{}"))
        geo = geo_metadata(sorted(kinds), crs, _extent(every), base)
        out = _output_schema(schema, order_column, geo, metadata or {})
        # fid and the boxes compress best split by byte (a third and a half of their zstd size
        # with dictionaries), which needs their dictionary encoding off
        split = [f"{COVERING}.{name}" for name in BOX.names] + ([ORDER_COLUMN] if order_column else [])
        dictionary = [name for name in schema.names if name != COVERING]
        with pq.ParquetWriter(target, out, compression=COMPRESSION, use_dictionary=dictionary,
                              use_byte_stream_split=split) as writer:
            for start, table in zip(range(0, len(order), row_group_rows), spill.take(order, row_group_rows),
                                    strict=True):
                rows = order[start:start + row_group_rows]
                if order_column:
                    table = table.append_column(ORDER_COLUMN, pa.array(rows + 1, pa.int64()))
                table = table.append_column(COVERING, covering_column(every[rows]))
                writer.write_table(table.cast(out), row_group_size=row_group_rows)


def world_of(crs: object) -> tuple[float, float, float, float]:
    """The extent of the Hilbert curve for geometries in ``crs``: ``WORLD`` in degrees, the area of
    use of a projected CRS in its own units (a download with ``crs=EPSG:3857``)."""
    cs = pyproj.CRS.from_user_input(crs)
    if cs.is_geographic or cs.area_of_use is None:
        return WORLD
    xmin, ymin, xmax, ymax = pyproj.Transformer.from_crs(WGS84, cs, always_xy=True).transform_bounds(
        *cs.area_of_use.bounds)
    return (xmin, ymin, xmax, ymax)


def geometry_type_names(geometries: np.ndarray) -> set[str]:
    """The GeoParquet (and OGR) names of the types of ``geometries`` (``"Point"``, ``"Polygon Z"``...)."""
    present = ~shapely.is_missing(geometries)
    types = shapely.get_type_id(geometries[present])
    with_z = shapely.has_z(geometries[present])
    return {_TYPE_NAMES[t] + (" Z" if z else "") for t, z in set(zip(types.tolist(), with_z.tolist(), strict=True))
            if t in _TYPE_NAMES}


def _extent(bounds: np.ndarray) -> list[float] | None:
    present = bounds[~np.isnan(bounds).any(axis=1)]
    if not len(present):
        return None
    return [float(present[:, 0].min()), float(present[:, 1].min()),
            float(present[:, 2].max()), float(present[:, 3].max())]


def _output_schema(schema: pa.Schema, order_column: bool, geo: dict, metadata: Mapping[bytes, bytes]) -> pa.Schema:
    fields = list(schema)
    if order_column:
        fields.append(pa.field(ORDER_COLUMN, pa.int64(), nullable=False))
    fields.append(pa.field(COVERING, BOX))
    meta = dict(schema.metadata or {}) | dict(metadata) | {b"geo": orjson.dumps(geo)}
    return pa.schema(fields, metadata=meta)


def layer_columns(path: str | os.PathLike[str]) -> list[str]:
    """The columns of a layer file that belong to the layer (not ``fid`` nor the covering)."""
    return [name for name in pq.read_schema(path).names if name not in (ORDER_COLUMN, COVERING)]


def logical_tables(
    path: str | os.PathLike[str], columns: list[str] | None, rows: int
) -> Iterator[pa.Table]:
    """The rows of the layer file ``path`` in the layer's own order (by ``fid``; a file without one,
    as written before the spatial layout, in file order), ``rows`` per table, ``columns`` only
    (None: every layer column)."""
    wanted = layer_columns(path) if columns is None else list(columns)
    with pq.ParquetFile(path) as source:
        names = source.schema_arrow.names
        if ORDER_COLUMN not in names:
            for batch in source.iter_batches(rows, columns=wanted):
                yield pa.Table.from_batches([batch])
            return
        fids = source.read(columns=[ORDER_COLUMN]).column(ORDER_COLUMN).to_numpy()
        if np.all(fids[1:] > fids[:-1]):  # already in order (written without spatial sort)
            for batch in source.iter_batches(rows, columns=wanted):
                yield pa.Table.from_batches([batch])
            return
        schema = pa.schema([source.schema_arrow.field(name) for name in wanted], metadata=source.schema_arrow.metadata)
        plain = _plain(schema)

        def pieces() -> Iterator[tuple[pa.Table, np.ndarray]]:
            start = 0
            for group in range(source.num_row_groups):
                table = source.read_row_group(group, columns=wanted).cast(plain)
                yield table, fids[start:start + table.num_rows] - 1
                start += table.num_rows

        with tempfile.TemporaryDirectory(prefix=".spill-scan-", dir=Path(path).parent) as folder:
            for table in in_rank_order(pieces(), len(fids), rows, Path(folder) / "rows", plain):
                yield table.cast(schema)


def logical_table(path: str | os.PathLike[str], columns: list[str]) -> pa.Table:
    """The ``columns`` of the layer file ``path`` in the layer's own order (by ``fid``; a file
    without one, as written before the spatial layout, in file order)."""
    if ORDER_COLUMN not in pq.read_schema(path).names:
        return pq.read_table(path, columns=columns)
    table = pq.read_table(path, columns=[*columns, ORDER_COLUMN])
    fids = table.column(ORDER_COLUMN).to_numpy()
    table = table.drop_columns([ORDER_COLUMN])
    if np.all(fids[1:] > fids[:-1]):
        return table
    return table.take(pa.array(np.argsort(fids, kind="stable")))
