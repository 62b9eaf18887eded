"""Arrow tables to and from PostgreSQL's binary ``COPY`` format, column by column in Arrow and NumPy.

The binary format (PostgreSQL manual, "COPY … Binary Format") is a header, then per row a
big-endian int16 field count and per field a big-endian int32 byte length (-1 for NULL) followed
by the value in the type's binary ("send") representation, then an int16 -1 trailer.

Writing (``rows``): each column becomes one Arrow binary array of length-prefixed fields; one
element-wise join of those arrays is the rows, whose buffer is sent as it is. The server parses no
text: numbers and timestamps arrive in their stored form, geometries as EWKB (PostGIS' binary input).

Reading (``copy_out``, ``read_rows``): the server sends one message per row, so the row starts are
known; each field is then located in all rows at once, and text and WKB are cut out of the buffer
by Arrow.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import psycopg
import pyarrow as pa
import pyarrow.compute as pc
from psycopg import pq

from geo.storage.pgcopy import ewkb

HEADER = b"PGCOPY\n\xff\r\n\x00" + b"\x00" * 8
"""Signature, flags (no OIDs) and header-extension length of a binary COPY stream."""
TRAILER = b"\xff\xff"
_EPOCH_2000_US = 946_684_800_000_000
"""PostgreSQL's timestamps count microseconds from 2000-01-01, dates days from it."""
_EPOCH_2000_DAYS = 10_957
_NULL = np.frombuffer(np.array([-1], ">i4").tobytes(), np.uint8)
_UNIT_US = {"s": 1_000_000, "ms": 1_000, "us": 1, "ns": None}


def rows(table: pa.Table) -> pa.Buffer:
    """The rows of ``table`` in binary COPY format (without header and trailer).

    The ``geometry`` column must be WKB; the other columns' types are those ``pg_type`` maps.

    Examples
    --------
    >>> rows(pa.table({"n": pa.array([1], pa.int16())})).to_pybytes().hex()
    '0001000000020001'
    """
    if table.num_rows == 0:
        return pa.py_buffer(b"")
    count = np.frombuffer(np.array([table.num_columns], ">i2").tobytes(), np.uint8)
    parts = [_fixed(np.broadcast_to(count, (table.num_rows, 2)), None)]
    for name, column in zip(table.column_names, table.columns, strict=True):
        array = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
        parts.append(_field(ewkb(array) if name == "geometry" else array))
    joined = pc.binary_join_element_wise(*parts, pa.scalar(b"", pa.large_binary()))
    offsets = np.frombuffer(joined.buffers()[1], dtype=np.int64)[joined.offset : joined.offset + len(joined) + 1]
    return joined.buffers()[2][offsets[0] : offsets[-1]]


def _fixed(values: np.ndarray, valid: np.ndarray | None) -> pa.Array:
    """A binary array of the (n, width) uint8 rows ``values``; where ``valid`` is False, the NULL field."""
    n, width = values.shape
    if valid is None or valid.all():
        data = np.ascontiguousarray(values).reshape(-1)
        offsets = np.arange(n + 1, dtype=np.int64) * width
    else:
        sizes = np.where(valid, width, 4).astype(np.int64)
        offsets = np.zeros(n + 1, np.int64)
        np.cumsum(sizes, out=offsets[1:])
        data = np.empty(offsets[-1], np.uint8)
        columns = offsets[:-1, None] + np.arange(width)
        data[columns[valid].reshape(-1)] = values[valid].reshape(-1)
        data[(offsets[:-1, None] + np.arange(4))[~valid].reshape(-1)] = np.tile(_NULL, int((~valid).sum()))
    return pa.Array.from_buffers(pa.large_binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(data)])


def _numbers(array: pa.Array, dtype: str) -> pa.Array:
    """Length-prefixed big-endian fields of a numeric array (nulls as NULL fields)."""
    valid = np.asarray(array.is_valid()) if array.null_count else None
    values = np.asarray(array.fill_null(0) if array.null_count else array, dtype=dtype)
    width = values.dtype.itemsize
    out = np.empty((len(values), 4 + width), np.uint8)
    out[:, :4] = np.frombuffer(np.array([width], ">i4").tobytes(), np.uint8)
    out[:, 4:] = values.view(np.uint8).reshape(-1, width)
    return _fixed(out, valid)


def _field(array: pa.Array) -> pa.Array:
    """The length-prefixed binary COPY fields of one column."""
    t = array.type
    if pa.types.is_dictionary(t):
        return _field(array.dictionary_decode())
    if pa.types.is_string(t) or pa.types.is_large_string(t) or pa.types.is_binary(t) or pa.types.is_large_binary(t):
        array = array.cast(pa.large_binary())
        sizes = pc.binary_length(array).fill_null(-1).to_numpy().astype(">i4")
        prefix = _fixed(sizes.view(np.uint8).reshape(-1, 4), None)
        return pc.binary_join_element_wise(prefix, array, pa.scalar(b"", pa.large_binary()),
                                           null_handling="replace", null_replacement=b"")
    if pa.types.is_boolean(t):
        return _numbers(array.cast(pa.uint8()), ">u1")
    if pa.types.is_int8(t) or pa.types.is_int16(t) or pa.types.is_uint8(t):
        return _numbers(array, ">i2")
    if pa.types.is_int32(t) or pa.types.is_uint16(t):
        return _numbers(array, ">i4")
    if pa.types.is_int64(t) or pa.types.is_uint32(t):
        return _numbers(array, ">i8")
    if pa.types.is_uint64(t):
        return _numeric(array)
    if pa.types.is_float16(t) or pa.types.is_float32(t):
        return _numbers(array.cast(pa.float32()), ">f4")
    if pa.types.is_float64(t):
        return _numbers(array, ">f8")
    if pa.types.is_timestamp(t):
        scale = _UNIT_US[t.unit]
        ticks = array.cast(pa.int64())
        us = pc.divide(ticks, 1000) if scale is None else pc.multiply(ticks, scale)
        return _numbers(pc.subtract(us, _EPOCH_2000_US), ">i8")
    if pa.types.is_date(t):
        days = array.cast(pa.date32()).cast(pa.int32())
        return _numbers(pc.subtract(days, _EPOCH_2000_DAYS), ">i4")
    raise TypeError(f"column type {t} has no binary COPY encoding")


def _numeric(array: pa.Array) -> pa.Array:
    """uint64 as ``numeric``: five base-10000 digit groups, weight 4 (the server normalises them)."""
    valid = np.asarray(array.is_valid()) if array.null_count else None
    values = np.asarray(array.fill_null(0) if array.null_count else array, dtype=np.uint64)
    groups = np.stack([(values // np.uint64(10_000**k)) % np.uint64(10_000) for k in range(4, -1, -1)], axis=1)
    head = np.array([5 * 2 + 8, 5, 4, 0, 0], ">i4")[:1].view(np.uint8)  # byte length of the value
    fields = np.array([5, 4, 0, 0], ">i2").view(np.uint8)  # ndigits, weight, sign +, dscale
    out = np.concatenate(
        [np.broadcast_to(head, (len(values), 4)), np.broadcast_to(fields, (len(values), 8)),
         groups.astype(">i2").view(np.uint8).reshape(len(values), 10)], axis=1,
    )
    return _fixed(out, valid)


def read_rows(messages: Sequence[bytes | memoryview], schema: pa.Schema) -> pa.Table:
    """The table of ``schema`` that a binary ``COPY … TO STDOUT`` sent as ``messages`` holds.

    The server sends each row as one message (the header may share the first one's, the trailer
    has its own), so the row starts are known without parsing; then each field is located in all
    rows at once. Selected columns must be: ``geometry`` as WKB (bytea), ``uint64`` as text, the
    others as the columns ``pg_type`` makes for them.
    """
    sizes = np.fromiter(map(len, messages), np.int64, len(messages))
    data = np.frombuffer(b"".join([*messages, bytes(8)]), np.uint8)  # padding: fixed widths are gathered at NULLs
    total = int(sizes.sum())
    if total < len(HEADER) + len(TRAILER) or data[: len(HEADER) - 8].tobytes() != HEADER[:-8]:
        raise ValueError("not a binary COPY stream")
    bounds = np.cumsum(sizes) - sizes  # where each message starts, increasing
    starts = bounds[(bounds > len(HEADER)) & (bounds < total - len(TRAILER))]
    if total > len(HEADER) + len(TRAILER):  # the first row follows the header, in its message or the next
        starts = np.concatenate([[len(HEADER)], starts])
    if not len(starts):
        return schema.empty_table()
    buffer = pa.py_buffer(data)
    position = starts + 2  # after each row's field count
    columns = []
    for f in schema:
        length = _gather(data, position, 4).view(">i4").reshape(-1).astype(np.int64)
        valid = length >= 0
        begin = position + 4
        position = begin + np.maximum(length, 0)
        columns.append(_column(f.type, data, buffer, begin, np.maximum(length, 0), valid))
    return pa.Table.from_arrays(columns, schema=schema)


def _gather(data: np.ndarray, at: np.ndarray, width: int) -> np.ndarray:
    """The ``width`` bytes at each offset ``at``, as an (n, width) array."""
    return np.ascontiguousarray(data[at[:, None] + np.arange(width)])


def _column(
    t: pa.DataType, data: np.ndarray, buffer: pa.Buffer, begin: np.ndarray, length: np.ndarray, valid: np.ndarray
) -> pa.Array:
    """One column's values from its fields' offsets and lengths."""
    mask = None if valid.all() else ~valid  # True where NULL
    value = t.value_type if pa.types.is_dictionary(t) else t

    def number(dtype: str) -> np.ndarray:
        width = np.dtype(dtype).itemsize
        if (length[valid] != width).any():
            raise ValueError(f"a {t} column needs fields of {width} bytes, the server sent others")
        return _gather(data, begin, width).view(dtype).reshape(-1).astype(dtype[1:])

    if pa.types.is_string(value) or pa.types.is_large_string(value) or pa.types.is_binary(value) \
            or pa.types.is_large_binary(value) or pa.types.is_uint64(value):
        # Every field and every gap between two fields as one element of a binary array over the
        # whole buffer; taking the even elements keeps the fields.
        bounds = np.empty(2 * len(begin) + 1, np.int64)
        bounds[0:-1:2], bounds[1::2] = begin, begin + length
        bounds[-1] = bounds[-2]
        spans = pa.Array.from_buffers(pa.large_binary(), 2 * len(begin), [None, pa.py_buffer(bounds), buffer])
        fields = spans.take(pa.array(np.arange(0, 2 * len(begin), 2), mask=mask))
        if pa.types.is_binary(value) or pa.types.is_large_binary(value):
            return fields.cast(t)
        return fields.view(pa.large_string()).cast(t)
    if pa.types.is_boolean(value):
        array = pa.array(number(">u1").astype(bool), mask=mask)
    elif pa.types.is_int8(value) or pa.types.is_int16(value) or pa.types.is_uint8(value):
        array = pa.array(number(">i2"), mask=mask)
    elif pa.types.is_int32(value) or pa.types.is_uint16(value):
        array = pa.array(number(">i4"), mask=mask)
    elif pa.types.is_int64(value) or pa.types.is_uint32(value):
        array = pa.array(number(">i8"), mask=mask)
    elif pa.types.is_float16(value) or pa.types.is_float32(value):
        array = pa.array(number(">f4"), mask=mask)
    elif pa.types.is_float64(value):
        array = pa.array(number(">f8"), mask=mask)
    elif pa.types.is_timestamp(value):
        us = pa.array(number(">i8") + _EPOCH_2000_US, pa.int64(), mask=mask)
        array = us.view(pa.timestamp("us", tz=value.tz))
    elif pa.types.is_date(value):
        array = pa.array(number(">i4") + _EPOCH_2000_DAYS, pa.int32(), mask=mask).view(pa.date32())
    else:
        raise TypeError(f"column type {t} has no binary COPY decoding")
    return array.cast(t)


def copy_out(conn: psycopg.Connection, query: bytes) -> list[bytes | memoryview]:
    """The messages (one a row) ``COPY … TO STDOUT`` ``query`` sends, in the connection's open transaction.

    psycopg's ``Copy`` reads each row through its generic wait machinery (several µs a row, most
    of a read's time at 1M rows); here libpq's blocking calls on the connection's ``pgconn`` read
    them in one loop. A failed query raises psycopg's error for its SQLSTATE, as ``execute`` would.

    Parameters
    ----------
    conn : an open connection, in a transaction or not
    query : the ``COPY (…) TO STDOUT (FORMAT binary)`` statement, as bytes

    Returns
    -------
    list of bytes-like, the header and trailer included (``read_rows`` takes them).
    """
    pgconn = conn.pgconn
    pgconn.send_query(query)
    while pgconn.flush():  # the connection is non-blocking: push the whole query out
        pass
    result = pgconn.get_result()
    if result is None or result.status != pq.ExecStatus.COPY_OUT:
        _drain(pgconn)
        raise _error(pgconn, result)
    parts: list[bytes | memoryview] = []
    get = pgconn.get_copy_data
    while True:
        nbytes, data = get(0)  # blocks until a row (or the end, -1) arrives
        if nbytes < 0:
            break
        parts.append(data)
    result = pgconn.get_result()
    _drain(pgconn)
    if result is None or result.status != pq.ExecStatus.COMMAND_OK:
        raise _error(pgconn, result)
    return parts


def _drain(pgconn: pq.abc.PGconn) -> None:
    """Read the remaining results of the last query, so the connection is ready for the next."""
    while pgconn.get_result() is not None:
        pass


def _error(pgconn: pq.abc.PGconn, result: pq.abc.PGresult | None) -> psycopg.Error:
    if result is not None and result.status == pq.ExecStatus.FATAL_ERROR:
        return psycopg.errors.error_from_result(result)
    return psycopg.OperationalError((pgconn.error_message or b"COPY failed").decode("utf-8", "replace").strip())
