"""Arrow tables to and from PostgreSQL's COPY formats, for ``PostgisStore``: the column types, geometries
as EWKB for writing (the rows themselves: ``geo.storage.pgbinary``), and CSV for reading back.

Both directions run in Arrow and NumPy, never row by row in Python. Reads get geometries as hex
WKB and properties as CSV text; NULL is an unquoted empty field, an empty string a quoted one, so
both survive the trip.
"""

from __future__ import annotations

import io

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import shapely

SRID_HEX = "E6100000"
"""4326 as a little-endian uint32, in hex: the SRID EWKB carries after the geometry type."""
_UNHEX = np.zeros(256, dtype=np.uint8)
_UNHEX[np.frombuffer(b"0123456789abcdef", dtype=np.uint8)] = np.arange(16)
_UNHEX[np.frombuffer(b"ABCDEF", dtype=np.uint8)] = np.arange(10, 16)


def pg_type(arrow_type: pa.DataType) -> str:
    """The PostgreSQL column type that holds ``arrow_type`` without loss.

    Examples
    --------
    >>> pg_type(pa.int8()), pg_type(pa.large_string()), pg_type(pa.timestamp("ms", tz="UTC"))
    ('smallint', 'text', 'timestamptz')
    """
    t = arrow_type
    if pa.types.is_dictionary(t):
        return pg_type(t.value_type)
    if pa.types.is_string(t) or pa.types.is_large_string(t):
        return "text"
    if pa.types.is_boolean(t):
        return "boolean"
    if pa.types.is_int8(t) or pa.types.is_int16(t) or pa.types.is_uint8(t):
        return "smallint"
    if pa.types.is_int32(t) or pa.types.is_uint16(t):
        return "integer"
    if pa.types.is_int64(t) or pa.types.is_uint32(t):
        return "bigint"
    if pa.types.is_uint64(t):
        return "numeric(20)"
    if pa.types.is_float16(t) or pa.types.is_float32(t):
        return "real"
    if pa.types.is_float64(t):
        return "double precision"
    if pa.types.is_timestamp(t):
        return "timestamptz" if t.tz else "timestamp"
    if pa.types.is_date(t):
        return "date"
    raise TypeError(f"column type {t} has no PostGIS store column type")


def ewkb(wkb: pa.Array | pa.ChunkedArray) -> pa.Array:
    """EWKB (little-endian, SRID 4326) of WKB geometries, as binary: what PostGIS' binary input reads.

    Examples
    --------
    >>> ewkb(pa.array([shapely.to_wkb(shapely.Point(1, 2))])).to_pylist()[0][:9].hex()
    '0101000020e6100000'
    """
    if isinstance(wkb, pa.ChunkedArray):
        wkb = wkb.combine_chunks() if wkb.num_chunks else pa.array([], pa.large_binary())
    wkb = wkb.cast(pa.large_binary())
    offsets = np.frombuffer(wkb.buffers()[1], dtype=np.int64)[wkb.offset : wkb.offset + len(wkb) + 1]
    raw = np.frombuffer(wkb.buffers()[2], dtype=np.uint8) if wkb.buffers()[2] is not None else np.zeros(0, np.uint8)
    starts = offsets[:-1]
    valid = np.asarray(wkb.is_valid()) & (offsets[1:] > starts)
    if valid.any() and not (raw[starts[valid]] == 1).all():  # big-endian WKB: rewrite as little-endian
        geoms = shapely.from_wkb(np.asarray(wkb.to_numpy(zero_copy_only=False)))
        return ewkb(pa.array(shapely.to_wkb(geoms, byte_order=1), pa.large_binary()))
    data = raw[offsets[0] : offsets[-1]].copy()
    data[starts[valid] - offsets[0] + 4] |= 0x20  # the EWKB "has SRID" flag, high byte of the type
    flagged = pa.Array.from_buffers(
        pa.large_binary(), len(wkb), [_validity(wkb), pa.py_buffer(offsets - offsets[0]), pa.py_buffer(data)],
        wkb.null_count,
    )
    return pc.binary_join_element_wise(
        pc.binary_slice(flagged, 0, 5), pa.scalar(bytes.fromhex(SRID_HEX), pa.large_binary()),
        pc.binary_slice(flagged, 5, int(np.diff(offsets).max(initial=0)) + 1),  # (stop=None fails on 1 MB values)
        pa.scalar(b"", pa.large_binary()),
    )


def unhex(hexed: pa.Array | pa.ChunkedArray) -> pa.Array:
    """WKB (binary) of hex text, as ``encode(ST_AsBinary(geom), 'hex')`` gives it (nulls stay null)."""
    if isinstance(hexed, pa.ChunkedArray):
        hexed = hexed.combine_chunks() if hexed.num_chunks else pa.array([], pa.large_string())
    hexed = hexed.cast(pa.large_string())
    n = len(hexed)
    offsets = np.frombuffer(hexed.buffers()[1], dtype=np.int64)[hexed.offset : hexed.offset + n + 1]
    raw = np.frombuffer(hexed.buffers()[2], dtype=np.uint8) if hexed.buffers()[2] is not None else np.zeros(0, np.uint8)
    text = raw[offsets[0] : offsets[-1]]
    data = (_UNHEX[text[0::2]] << 4) | _UNHEX[text[1::2]]
    return pa.Array.from_buffers(
        pa.large_binary(),
        n,
        [_validity(hexed), pa.py_buffer((offsets - offsets[0]) // 2), pa.py_buffer(data)],
        hexed.null_count,
    )


def _validity(array: pa.Array) -> pa.Buffer | None:
    """The validity bitmap of ``array`` re-based to offset 0 (None when it has no null)."""
    return None if array.null_count == 0 else pa.array(np.asarray(array.is_valid())).buffers()[1]


def from_csv(raw: bytes, schema: pa.Schema) -> pa.Table:
    """The rows of COPY CSV ``raw`` (columns in ``schema`` order) as a table of ``schema``.

    ``geometry``, if in ``schema``, arrives as hex WKB and leaves as WKB; timestamps with a time
    zone arrive as UTC wall-clock times (the query converts them).
    """
    types = {}
    for f in schema:
        t = f.type.value_type if pa.types.is_dictionary(f.type) else f.type
        if f.name == "geometry" or pa.types.is_string(t) or pa.types.is_large_string(t):
            types[f.name] = pa.large_string()
        elif pa.types.is_timestamp(t):
            types[f.name] = pa.timestamp(t.unit)
        elif pa.types.is_uint64(t):
            types[f.name] = pa.uint64()
        elif pa.types.is_float16(t):  # Arrow's CSV reader has no half floats
            types[f.name] = pa.float32()
        else:
            types[f.name] = t
    if not raw:
        return schema.empty_table()
    table = pacsv.read_csv(
        io.BytesIO(raw),
        read_options=pacsv.ReadOptions(column_names=schema.names, block_size=1 << 26),
        parse_options=pacsv.ParseOptions(newlines_in_values=True),
        convert_options=pacsv.ConvertOptions(
            column_types=types, null_values=[""], strings_can_be_null=True, quoted_strings_can_be_null=False,
            true_values=["t"], false_values=["f"],
        ),
    )
    arrays = []
    for f in schema:
        column = table.column(f.name)
        if f.name == "geometry":
            column = unhex(column)
        elif pa.types.is_timestamp(f.type) and f.type.tz:
            column = pc.assume_timezone(column, "UTC")
        arrays.append(column.cast(f.type))
    return pa.Table.from_arrays(arrays, schema=schema)
