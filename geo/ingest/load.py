"""Loading an export into the store: read, assign to boundaries, upsert, report.

Events are keyed on ``(source_dataset, event_id)``. Re-ingesting a file replaces the rows whose
source row changed (``updated``), keeps the others (``unchanged``) and adds new ids. Loading real
data removes the synthetic demo rows, so real and synthetic events are never mixed by accident.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from geo.boundaries.joins import polygon_index
from geo.config import Settings
from geo.events import SYNTHETIC, events_schema, events_table
from geo.ingest.assign import Boundaries, assign_events
from geo.ingest.pipeline import iter_normalised
from geo.ingest.reader import Progress
from geo.ingest.upsert import Upsert
from geo.storage.rejects import Reject, rejects_table
from geo.storage.store import Store

LAYER = "conflict-events"


@dataclass
class IngestSummary:
    """What an ingest did; ``rejected > 0`` makes the CLI exit with status 1."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    removed_demo: int = 0
    assigned: dict[str, int] = field(default_factory=dict)
    disagreements: int = 0
    disagreement_pairs: list[tuple[str, str, int]] = field(default_factory=list)
    rejects_path: str | None = None
    """Where the store keeps the rejects report (``Store.save_report``), if any row was rejected."""
    disagreements_path: str | None = None


def ingest_file(
    path: Path,
    format_name: str,
    store: Store,
    settings: Settings,
    progress: Progress | None = None,
    tolerance_km: float | None = None,
) -> IngestSummary:
    """Ingest an ACLED or UCDP GED export into the ``conflict-events`` layer.

    The file streams through block by block (read, validate, assign, write a row group), so
    memory is bounded by a block plus the key index of the stored rows, not by the layer. The
    new layer holds the file's rows in file order, then the stored rows it did not replace.

    Parameters
    ----------
    path : the CSV or CSV.gz export
    format_name : ``"acled"`` or ``"ucdp"``
    store : the workspace store (needs ``countries``; ``provinces`` used when present)
    settings : the border tolerance and the boundary grids' disk cache (``settings.cache_dir``);
        the rejects and disagreement reports go to the store (``Store.save_report``)
    progress : ``(bytes_done, bytes_total)`` callback while reading
    tolerance_km : border tolerance of the source's own country (default
        ``settings.border_tolerance_km``; see ``geo.ingest.assign``)

    Returns
    -------
    IngestSummary with read / added / updated / unchanged / rejected counts.
    """
    path = Path(path)
    blocks = iter_normalised(path, format_name, progress=progress)  # checks the header
    countries = store.read("countries")
    provinces = store.read("provinces") if store.has("provinces") else None
    boundaries = Boundaries(
        countries,
        provinces,
        settings.border_tolerance_km if tolerance_km is None else tolerance_km,
        settings.cache_dir,
    )
    # Build the boundary index first, while memory is low (its build briefly takes ~250 MB).
    polygon_index(countries, settings.cache_dir)
    upsert = Upsert(store, LAYER)
    sources = store.manifest().layers[LAYER].sources if store.has(LAYER) else []
    summary = IngestSummary()
    rejects: list[Reject] = []
    reports: list[pa.Table] = []
    assigned: Counter[str] = Counter()
    schema = events_schema()
    with store.write_batches(LAYER, schema, ["Point"]) as out:
        for block in blocks:
            summary.read += block.read
            rejects += block.rejects
            table = block.table
            lon, lat = table.column("lon").to_numpy(), table.column("lat").to_numpy()
            found = assign_events(
                lon,
                lat,
                boundaries,
                table.column("export_iso3").combine_chunks(),
                table.column("event_date").to_numpy(),
                table.column("admin1").combine_chunks(),
            )
            for how in pc.value_counts(found["assigned_by"]).to_pylist():
                assigned[how["values"]] += how["counts"]
            reports.append(disagreements(table, found))
            upsert.classify(table)
            columns = {name: table.column(name) for name in table.column_names}
            out.write(events_table(columns | found, lon, lat))
        if upsert.kept().any():
            kept, start = upsert.kept(), 0
            for stored in store.scan(LAYER):
                keep = kept[start : start + stored.num_rows]
                start += stored.num_rows
                out.write(conform(stored.filter(pa.array(keep)), schema))
        summary.added, summary.updated, summary.unchanged, summary.removed_demo = upsert.counts()
        if summary.removed_demo:
            sources = [s for s in sources if SYNTHETIC not in s]
        out.sources = [*sources, str(path.resolve())]
    summary.rejected = len(rejects)
    summary.assigned = dict(assigned.most_common())
    _write_reports(path, store, summary, rejects, reports)
    return summary


def _write_reports(
    path: Path,
    store: Store,
    summary: IngestSummary,
    rejects: list[Reject],
    reports: list[pa.Table],
) -> None:
    stem = path.name.removesuffix(".gz").removesuffix(".csv")
    if rejects:
        table = rejects_table(sorted(rejects, key=lambda r: r.line))
        summary.rejects_path = store.save_report(f"{stem}.rejects", table)
    table = pa.concat_tables(reports) if reports else None
    summary.disagreements = 0 if table is None else table.num_rows
    if table is not None and table.num_rows:
        summary.disagreements_path = store.save_report(f"{stem}.country-disagreements", table)
        report = table.to_pandas()
        pairs = (
            report.groupby(["export_iso3", "country_iso3"], dropna=False)
            .size()
            .sort_values(ascending=False)
        )
        summary.disagreement_pairs = [(str(a), str(b), int(n)) for (a, b), n in pairs.items()]


def conform(table: pa.Table, schema: pa.Schema) -> pa.Table:
    """Stored rows in ``schema`` (a column an older layer lacks is filled with nulls)."""
    n = table.num_rows
    return pa.Table.from_arrays(
        [
            table.column(f.name).cast(f.type)
            if f.name in table.column_names
            else pa.nulls(n, f.type)
            for f in schema
        ],
        schema=schema,
    )


def disagreements(table: pa.Table, found: dict[str, pa.Array]) -> pa.Table:
    """Rows whose assigned country (``found``, from ``assign_points``) differs from the
    export's own country field (``export_iso3`` of normalised rows)."""
    theirs, ours = table.column("export_iso3"), found["country_iso3"]
    differ = pc.and_(
        pc.or_(pc.is_valid(theirs), pc.is_valid(ours)),
        pc.not_equal(pc.fill_null(theirs, ""), pc.fill_null(ours, "")),
    )
    report = pa.table(
        {
            "line": table.column("line"),
            "event_id": table.column("event_id"),
            "export_iso3": theirs,
            "country_iso3": ours,
            "assigned_by": found["assigned_by"],
            "location": table.column("location"),
            "longitude": pc.round(table.column("lon"), 6),
            "latitude": pc.round(table.column("lat"), 6),
        }
    )
    return report.filter(differ)
