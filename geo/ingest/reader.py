"""Streaming CSV reading with the physical line number of every record.

The file is read in blocks of raw bytes; record boundaries are found with numpy (a newline
ends a record when the number of quote characters before it is even, so quoted newlines and
doubled quotes are handled), each block of whole records is parsed by pyarrow, and every record
keeps the line on which it starts. ``.csv.gz`` files are decompressed on the fly.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, TypeVar

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from geo.errors import InputFileError

BLOCK_BYTES = 32 << 20
"""Raw bytes read per block (the memory bound of the reader)."""

T = TypeVar("T")

Progress = Callable[[int, int], None]
"""``(bytes_done, bytes_total)`` of the file on disk (compressed size for .gz)."""


@dataclass
class Block:
    """Whole records of one block: string columns, their start lines, and unparseable records."""

    table: pa.Table
    lines: np.ndarray
    broken: list[tuple[int, str, dict[str, str]]]
    """(line, reason, row) of records with the wrong number of fields."""


def read_header(path: Path) -> list[str]:
    """The column names of a CSV or CSV.gz file (BOM removed)."""
    with _open(path) as fh:
        first = fh.readline()
    text = first.decode("utf-8-sig", errors="replace").rstrip("\r\n")
    if not text.strip():
        raise InputFileError(path, "empty file: no header line")
    return [name.strip() for name in next(csv.reader([text]))]


def iter_blocks(
    path: Path, progress: Progress | None = None, block_bytes: int = BLOCK_BYTES
) -> Iterator[Block]:
    """Yield the records of ``path`` block by block, all values as strings.

    Parameters
    ----------
    path : CSV file, optionally gzip-compressed (``.gz``)
    progress : called after each block with bytes read and file size
    block_bytes : raw bytes per block

    Yields
    ------
    Block with ``table`` (one string column per header name), ``lines`` (1-based physical line
    of each record; the header is line 1) and ``broken`` records.
    """
    path = Path(path)
    header = read_header(path)
    return prefetch(_blocks(path, header, progress, block_bytes))


def _blocks(
    path: Path, header: list[str], progress: Progress | None, block_bytes: int
) -> Iterator[Block]:
    total = path.stat().st_size
    with open(path, "rb") as raw:
        stream: BinaryIO = gzip.GzipFile(fileobj=raw) if _is_gzip(path) else raw  # type: ignore[assignment]
        head = stream.readline()
        line = 1 + head.count(b"\n")
        carry = b""
        while True:
            chunk = stream.read(block_bytes)
            data = carry + chunk
            if not data:
                break
            at_end = not chunk
            cut = len(data) if at_end else _last_record_end(data) + 1
            if cut == 0:
                carry = data
                continue
            body, carry = data[:cut], data[cut:]
            block, line = _parse(body, line, header)
            if len(block.lines) or block.broken:
                yield block
            if progress is not None:
                progress(raw.tell(), total)
            if at_end:
                break


def prefetch(items: Iterator[T]) -> Iterator[T]:
    """Yield from ``items``, computing the next item in a worker thread while the caller
    works on this one (pyarrow and numpy release the GIL, so the two overlap on two cores)."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="prefetch") as pool:
        pending = pool.submit(next, items, _END)
        while True:
            item = pending.result()
            if item is _END:
                return
            pending = pool.submit(next, items, _END)
            yield item  # type: ignore[misc]


_END = object()


def _last_record_end(data: bytes) -> int:
    """Offset of the last newline of ``data`` that ends a record (outside quotes), -1 if none.

    ``data`` starts at a record start, so a newline ends a record when the number of quote
    characters before it is even (doubled quotes inside a field keep the parity).
    """
    end = data.rfind(b"\n")
    if end < 0:
        return -1
    quotes = data.count(b'"', 0, end)
    while quotes % 2:
        previous = data.rfind(b"\n", 0, end)
        if previous < 0:
            return -1
        quotes -= data.count(b'"', previous, end)
        end = previous
    return end


def _is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def _open(path: Path) -> BinaryIO:
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file not found")
    return gzip.open(path, "rb") if _is_gzip(path) else open(path, "rb")  # type: ignore[return-value]


def _record_ends(data: bytes) -> np.ndarray:
    """Byte offsets of the newlines that end a record (outside quotes)."""
    arr = np.frombuffer(data, dtype=np.uint8)
    marks = np.flatnonzero((arr == 10) | (arr == 34))
    is_quote = arr[marks] == 34
    if not is_quote.any():
        return marks
    inside = np.cumsum(is_quote) % 2 == 1
    return marks[~is_quote & ~inside]


def _parse(body: bytes, first_line: int, header: list[str]) -> tuple[Block, int]:
    """Parse the whole records of ``body``; return the block and the line after it.

    When every record is one line (no quoted newline, no blank line) the start lines are
    consecutive; otherwise they are found from the record-ending newlines.
    """
    newlines = body.count(b"\n")
    if b"\x00" in body:  # a NUL byte is not text (a database cannot hold it): reject its record
        return _parse_lines(body, first_line, header, None), first_line + newlines
    records = newlines + (0 if body.endswith(b"\n") else 1)
    table = _arrow_parse(body, header)
    if table is not None and table.num_rows == records:
        return Block(table, np.arange(first_line, first_line + records), []), first_line + newlines
    return _parse_lines(body, first_line, header, table), first_line + newlines


def _arrow_parse(body: bytes, header: list[str]) -> pa.Table | None:
    """All values as strings; None when pyarrow finds a malformed record."""
    options = pacsv.ReadOptions(column_names=header, use_threads=True, block_size=1 << 24)
    convert = pacsv.ConvertOptions(
        column_types={name: pa.string() for name in header},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    parse = pacsv.ParseOptions(newlines_in_values=True)
    try:
        return pacsv.read_csv(
            pa.BufferReader(body),
            read_options=options,
            parse_options=parse,
            convert_options=convert,
        )
    except pa.ArrowInvalid:
        return None


def _parse_lines(body: bytes, first_line: int, header: list[str], table: pa.Table | None) -> Block:
    """The block with each record's start line found exactly (records spanning lines, blank
    lines, malformed records)."""
    ends = _record_ends(body)
    arr = np.frombuffer(body, dtype=np.uint8)
    newlines = np.flatnonzero(arr == 10)
    starts = np.concatenate(([0], ends + 1))
    stops = np.concatenate((ends, [len(body)]))
    if len(stops) and stops[-1] == starts[-1]:  # body ends with a newline: no trailing record
        starts, stops = starts[:-1], stops[:-1]
    lines = first_line + np.searchsorted(newlines, starts)
    length = stops - starts
    last_byte = arr[np.maximum(stops - 1, 0)] if len(stops) else np.array([], np.uint8)
    blank = (length == 0) | ((length == 1) & (last_byte == 13))
    keep_lines = lines[~blank]
    if table is not None and table.num_rows == len(keep_lines):
        return Block(table, keep_lines, [])
    return _parse_slowly(body, starts[~blank], stops[~blank], keep_lines, header)


def _parse_slowly(
    body: bytes, starts: np.ndarray, stops: np.ndarray, lines: np.ndarray, header: list[str]
) -> Block:
    """Record by record with the csv module, for blocks with malformed records."""
    good: list[list[str]] = []
    good_lines: list[int] = []
    broken: list[tuple[int, str, dict[str, str]]] = []
    for start, stop, line in zip(starts, stops, lines, strict=True):
        text = body[start:stop].decode("utf-8", errors="replace").rstrip("\r")
        fields = next(csv.reader(io.StringIO(text.replace("\x00", "\ufffd"))), [])
        if "\x00" in text:
            row = {name: value for name, value in zip(header, fields, strict=False)}
            broken.append((int(line), "contains a NUL byte (\\x00), which is not text", row))
            continue
        if len(fields) != len(header):
            row = {name: value for name, value in zip(header, fields, strict=False)}
            if len(fields) > len(header):
                row["extra_fields"] = "|".join(fields[len(header) :])
            broken.append((int(line), f"expected {len(header)} fields, found {len(fields)}", row))
            continue
        good.append(fields)
        good_lines.append(int(line))
    columns = {name: pa.array([r[i] for r in good], pa.string()) for i, name in enumerate(header)}
    return Block(pa.table(columns), np.asarray(good_lines, dtype=np.int64), broken)
