"""Reading an export file into the normalised event frame, with rejects and line numbers."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.errors import InputFileError, InvalidParameter
from geo.events import EVENT_COLUMNS, events_frame
from geo.ingest import acled, ucdp
from geo.ingest.reader import Progress, iter_blocks, read_header
from geo.rejects import Reject

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
    tables, rejects, read = [], [], 0
    for block in iter_blocks(path, progress):
        read += block.table.num_rows + len(block.broken)
        rejects += [Reject(line, reason, row) for line, reason, row in block.broken]
        accepted, rejected = fmt.normalise(block.table, block.lines, dataset or fmt.dataset)
        tables.append(accepted)
        rejects += [Reject(line, reason, row) for line, reason, row in rejected]
    table = pa.concat_tables(tables) if tables else None
    if table is None or table.num_rows == 0:
        return ReadResult(
            events_frame({}, [], []).assign(line=[], export_iso3=[]), _sorted(rejects), read
        )
    table, duplicates = _drop_repeated_ids(table)
    return ReadResult(_to_frame(table), _sorted(rejects + duplicates), read)


def _sorted(rejects: list[Reject]) -> list[Reject]:
    return sorted(rejects, key=lambda r: r.line)


def _drop_repeated_ids(table: pa.Table) -> tuple[pa.Table, list[Reject]]:
    ids = table.column("event_id").to_pandas()
    repeated = ids.duplicated(keep="first").to_numpy()
    if not repeated.any():
        return table, []
    first_line = dict(zip(ids[~repeated], table.column("line").to_numpy()[~repeated], strict=True))
    import orjson

    rejects = [
        Reject(
            int(line),
            f"event id {eid} repeated (first at line {first_line[eid]})",
            orjson.loads(orig),
        )
        for eid, line, orig in zip(
            ids[repeated],
            table.column("line").to_numpy()[repeated],
            table.column("original").filter(pa.array(repeated)).to_pylist(),
            strict=True,
        )
    ]
    return table.filter(pa.array(~repeated)), rejects


def _to_frame(table: pa.Table) -> gpd.GeoDataFrame:
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


def count_unique(values: pa.Array) -> int:
    """Number of distinct values (helper for summaries)."""
    return len(pc.unique(values))
