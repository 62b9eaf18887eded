"""Rejected input rows: reported with their line and reason, and kept in a rejects file."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from geo.storage.io import write_bytes_atomic


@dataclass(frozen=True)
class Reject:
    """One input row that could not be loaded.

    ``line`` is the 1-based line number of the row in its file (the header is line 1), or the
    1-based feature number for vector files.
    """

    line: int
    reason: str
    row: Mapping[str, object]


def write_rejects(path: Path, rejects: Iterable[Reject]) -> int:
    """Write rejects as CSV (``line``, ``reason``, then the original columns); return the count.

    The file is written atomically; with no rejects nothing is written.
    """
    rejects = list(rejects)
    if not rejects:
        return 0
    columns: list[str] = []
    for r in rejects:
        for key in r.row:
            if key not in columns and key not in ("line", "reason"):
                columns.append(str(key))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["line", "reason", *columns])
    for r in rejects:
        writer.writerow([r.line, r.reason, *("" if r.row.get(c) is None else r.row.get(c) for c in columns)])
    write_bytes_atomic(path, buffer.getvalue().encode("utf-8"))
    return len(rejects)
