"""Rejected input rows: reported with their line and reason, and kept in the store as a report.

An ingest keeps its rejects (and other row-by-row reports, such as the country disagreements)
with ``Store.save_report``: a table whose first columns are ``line`` and ``reason``, then the
original columns of the rejected rows. The embedded store keeps each report as a CSV file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import pyarrow as pa


@dataclass(frozen=True)
class Reject:
    """One input row that could not be loaded.

    ``line`` is the 1-based line number of the row in its file (the header is line 1), or the
    1-based feature number for vector files.
    """

    line: int
    reason: str
    row: Mapping[str, object]


def rejects_table(rejects: Iterable[Reject]) -> pa.Table:
    """The rejects as a report table: ``line`` (int64), ``reason``, then the original columns
    as text (a missing value is null), in the order they first appear.

    Examples
    --------
    >>> rejects_table([Reject(3, "bad date", {"event_date": "2024-13-01"})]).to_pylist()
    [{'line': 3, 'reason': 'bad date', 'event_date': '2024-13-01'}]
    """
    rejects = list(rejects)
    columns: list[str] = []
    for r in rejects:
        for key in r.row:
            if str(key) not in columns and key not in ("line", "reason"):
                columns.append(str(key))
    data: dict[str, pa.Array] = {
        "line": pa.array([r.line for r in rejects], pa.int64()),
        "reason": pa.array([r.reason for r in rejects], pa.string()),
    }
    for c in columns:
        values = [r.row.get(c) for r in rejects]
        data[c] = pa.array([None if v is None else str(v) for v in values], pa.string())
    return pa.table(data)


def rejects_of(table: pa.Table) -> list[Reject]:
    """The rejects of a report table (``Store.read_report``): its ``line`` and ``reason``
    columns, the other columns as each row's original values."""
    rows = table.to_pylist()
    return [
        Reject(int(row.pop("line")), str(row.pop("reason")), row) for row in rows
    ]


def report_csv(table: pa.Table) -> bytes:
    """A report table as CSV text (UTF-8, a header row; null as an empty field)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(table.column_names)
    for row in table.to_pylist():
        writer.writerow(["" if v is None else v for v in row.values()])
    return buffer.getvalue().encode("utf-8")


def report_from_csv(raw: bytes) -> pa.Table:
    """A report table read back from ``report_csv`` text: ``line`` as an integer, other
    columns as text (an empty field is null)."""
    reader = csv.reader(io.StringIO(raw.decode("utf-8"), newline=""))
    header = next(reader, [])
    rows = list(reader)
    data: dict[str, pa.Array] = {}
    for i, name in enumerate(header):
        values = [row[i] if i < len(row) and row[i] != "" else None for row in rows]
        if name == "line":
            data[name] = pa.array([None if v is None else int(v) for v in values], pa.int64())
        else:
            data[name] = pa.array(values, pa.string())
    return pa.table(data)
