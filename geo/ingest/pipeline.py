"""Reading an export file into the normalised event frame, with rejects and line numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.errors import InputFileError, InvalidParameter
from geo.events import EVENT_COLUMNS, events_frame
from geo.ingest import acled, ucdp
from geo.ingest.reader import Progress, iter_blocks, prefetch, read_header
from geo.storage.rejects import Reject

Normaliser = Callable[
    [pa.Table, np.ndarray, str], tuple[pa.Table, list[tuple[int, str, dict[str, str]]]]
]


_STRING = {pa.string(): pd.StringDtype("pyarrow")}


@dataclass(frozen=True)
class Format:
    """An export format: its dataset name, required columns and block normaliser."""

    dataset: str
    required: tuple[str, ...]
    normalise: Normaliser


FORMATS = {
    "acled": Format("acled", acled.REQUIRED, acled.normalise),
    "ucdp": Format("ucdp-ged", ucdp.REQUIRED, ucdp.normalise),
}
"""Format name (as typed on the command line) → ``Format``."""


@dataclass
class ReadResult:
    """Accepted events (with ``line`` and the export's own ``export_iso3``) and rejects."""

    events: gpd.GeoDataFrame
    rejects: list[Reject] = field(default_factory=list)
    read: int = 0


def read_export(
    path: Path, format_name: str, dataset: str | None = None, progress: Progress | None = None
) -> ReadResult:
    """Read an ACLED or UCDP GED CSV (or .csv.gz) into the normalised event frame.

    Parameters
    ----------
    path : the export file
    format_name : ``"acled"`` or ``"ucdp"``
    dataset : the ``source_dataset`` value (default the format's, e.g. ``"ucdp-ged"``)
    progress : ``(bytes_done, bytes_total)`` callback

    Returns
    -------
    ReadResult: the events (``event_id`` unique; a repeated id is rejected), their ``line`` and
    ``export_iso3`` columns, the rejects, and the number of records read.
    """
    tables, rejects, read = [], [], 0
    for block in iter_normalised(path, format_name, dataset, progress):
        tables.append(block.table)
        rejects += block.rejects
        read += block.read
    table = pa.concat_tables(tables) if tables else None
    if table is None or table.num_rows == 0:
        return ReadResult(
            events_frame({}, [], []).assign(line=[], export_iso3=[]), _sorted(rejects), read
        )
    return ReadResult(events_from_table(table), _sorted(rejects), read)


@dataclass
class NormalisedBlock:
    """One block of an export: accepted rows (event columns, ``original``, ``lon``, ``lat``,
    ``line``, ``export_iso3``), its rejects, and the number of records read."""

    table: pa.Table
    rejects: list[Reject]
    read: int


def iter_normalised(
    path: Path, format_name: str, dataset: str | None = None, progress: Progress | None = None
) -> Iterator[NormalisedBlock]:
    """The normalised rows of an export block by block (memory bounded by a block); the
    format and header are checked before this returns."""
    if format_name not in FORMATS:
        raise InvalidParameter("format", format_name, f"use one of {sorted(FORMATS)}")
    fmt = FORMATS[format_name]
    path = Path(path)
    if not path.exists():
        raise InputFileError(path, "file not found")
    header = read_header(path)
    missing = [c for c in fmt.required if c not in header]
    if missing:
        raise InputFileError(path, f"not a {format_name} export: missing columns {missing}")
    return prefetch(_normalised(path, fmt, dataset or fmt.dataset, progress))


def _normalised(
    path: Path, fmt: Format, dataset: str, progress: Progress | None
) -> Iterator[NormalisedBlock]:
    ids = RepeatedIds()
    for block in iter_blocks(path, progress):
        rejects = [Reject(line, reason, row) for line, reason, row in block.broken]
        accepted, rejected = fmt.normalise(block.table, block.lines, dataset)
        rejects += [Reject(line, reason, row) for line, reason, row in rejected]
        accepted, repeated = ids.drop_repeated(accepted)
        yield NormalisedBlock(
            accepted, rejects + repeated, block.table.num_rows + len(block.broken)
        )


def _sorted(rejects: list[Reject]) -> list[Reject]:
    return sorted(rejects, key=lambda r: r.line)


class RepeatedIds:
    """The event ids of one file seen so far; a repeated id is rejected, naming the line of
    its first row."""

    def __init__(self) -> None:
        self._seen: set[str] = set()
        self._ids: list[pa.Array] = []
        self._lines: list[np.ndarray] = []

    def drop_repeated(self, table: pa.Table) -> tuple[pa.Table, list[Reject]]:
        """``table`` without its rows whose ``event_id`` came earlier, and their rejects."""
        ids = table.column("event_id").to_numpy(zero_copy_only=False)
        lines = table.column("line").to_numpy()
        before = len(self._seen)
        self._seen.update(ids)
        if len(self._seen) - before == len(ids):  # the usual case: every id is new
            self._remember(table.column("event_id"), lines)
            return table, []
        earlier = set(self._first_lines(table.column("event_id")))  # ids of earlier blocks
        repeated = np.zeros(len(ids), dtype=bool)
        here: set[str] = set()
        for i, event_id in enumerate(ids):
            repeated[i] = event_id in earlier or event_id in here
            here.add(event_id)
        kept = table.filter(pa.array(~repeated))
        self._remember(kept.column("event_id"), lines[~repeated])
        dropped = table.filter(pa.array(repeated))
        first = self._first_lines(dropped.column("event_id"))
        rejects = [
            Reject(
                int(line),
                f"event id {eid} repeated (first at line {first[eid]})",
                orjson.loads(orig),
            )
            for eid, line, orig in zip(
                dropped.column("event_id").to_pylist(),
                dropped.column("line").to_pylist(),
                dropped.column("original").to_pylist(),
                strict=True,
            )
        ]
        return kept, rejects

    def _remember(self, ids: pa.ChunkedArray, lines: np.ndarray) -> None:
        self._ids.append(ids.combine_chunks())
        self._lines.append(lines)

    def _first_lines(self, wanted: pa.ChunkedArray) -> dict[str, int]:
        value_set = pc.unique(wanted.combine_chunks())
        first: dict[str, int] = {}
        for ids, lines in zip(self._ids, self._lines, strict=True):
            hit = pc.is_in(ids, value_set=value_set).to_numpy(zero_copy_only=False)
            for eid, line in zip(ids.filter(pa.array(hit)).to_pylist(), lines[hit], strict=True):
                first.setdefault(eid, int(line))
        return first


def events_from_table(table: pa.Table) -> gpd.GeoDataFrame:
    """The event frame (via ``events_frame``) of normalised arrow rows, with ``line`` and
    ``export_iso3`` kept for the reports."""
    columns = {
        name: table.column(name).to_pandas(types_mapper=_STRING.get)
        for name in [*EVENT_COLUMNS, "original"]
        if name in table.column_names
    }
    columns["event_date"] = table.column("event_date").to_numpy()
    frame = events_frame(columns, table.column("lon").to_numpy(), table.column("lat").to_numpy())
    frame["line"] = table.column("line").to_numpy()
    frame["export_iso3"] = table.column("export_iso3").to_pandas(types_mapper=_STRING.get)
    return frame
