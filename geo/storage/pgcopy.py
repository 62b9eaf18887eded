"""Arrow columns for PostgreSQL, for ``PostgisStore``: the column type of each Arrow type, and
geometries as the EWKB PostGIS reads (the COPY rows themselves: ``geo.storage.pgbinary``).

Runs in Arrow and NumPy, never row by row in Python.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

SRID_HEX = "E6100000"
"""4326 as a little-endian uint32, in hex: the SRID EWKB carries after the geometry type."""


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


def _validity(array: pa.Array) -> pa.Buffer | None:
    """The validity bitmap of ``array`` re-based to offset 0 (None when it has no null)."""
    return None if array.null_count == 0 else pa.array(np.asarray(array.is_valid())).buffers()[1]
