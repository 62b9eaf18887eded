"""Re-assigning stored events to countries and provinces after new boundaries are imported.

The same assignment as ingest (``geo.ingest.assign.assign_events``): the export's own country
and ``admin1`` are read back from each event's ``original`` source row. The layer is rewritten
through ``Store.write_batches`` (atomic; the data version changes), batch by batch.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import shapely

from geo.config import Settings
from geo.events import SYNTHETIC, events_schema
from geo.ingest import acled, ucdp
from geo.ingest.assign import Boundaries, assign_events
from geo.ingest.load import LAYER, conform
from geo.storage.store import Store

ACLED_DATASETS = ("acled", SYNTHETIC)
UCDP_DATASETS = ("ucdp-ged",)


@dataclass
class ReassignSummary:
    """What a re-assignment changed."""

    events: int = 0
    country_changed: int = 0
    province_changed: int = 0
    assigned: dict[str, int] = field(default_factory=dict)
    moves: list[tuple[str, str, int]] = field(default_factory=list)
    """``(old country, new country, events)``, most frequent first ("" for none)."""


def reassign_events(store: Store, settings: Settings, tolerance_km: float | None = None) -> ReassignSummary:
    """Assign the stored ``conflict-events`` again to the stored countries and provinces.

    Parameters
    ----------
    store : the workspace store (``countries``; ``provinces`` when imported)
    settings : the grid cache and the default border tolerance
    tolerance_km : border tolerance (default ``settings.border_tolerance_km``)

    Returns
    -------
    ReassignSummary: how many events changed country or province, and the assignment counts.

    Examples
    --------
    >>> reassign_events(store, Settings()).province_changed  # doctest: +SKIP
    1204
    """
    summary = ReassignSummary()
    if not store.has(LAYER):
        return summary
    boundaries = Boundaries(
        store.read("countries"),
        store.read("provinces") if store.has("provinces") else None,
        settings.border_tolerance_km if tolerance_km is None else tolerance_km,
        settings.cache_dir,
    )
    sources = store.manifest().layers[LAYER].sources
    schema = events_schema()
    assigned: Counter[str] = Counter()
    moves: Counter[tuple[str, str]] = Counter()
    with store.write_batches(LAYER, schema, ["Point"]) as out:
        for stored in store.scan(LAYER):
            table = conform(stored, schema)
            found = _assign(table, boundaries)
            summary.events += table.num_rows
            old, new = table.column("country_iso3").combine_chunks(), found["country_iso3"]
            moved = _changed(old, new)
            summary.country_changed += int(moved.sum())
            if moved.any():
                pairs = zip(
                    pc.fill_null(old.filter(pa.array(moved)), "").to_pylist(),
                    pc.fill_null(new.filter(pa.array(moved)), "").to_pylist(),
                    strict=True,
                )
                moves.update(pairs)
            summary.province_changed += int(
                _changed(table.column("province").combine_chunks(), found["province"]).sum()
            )
            for how in pc.value_counts(found["assigned_by"]).to_pylist():
                assigned[how["values"]] += how["counts"]
            for name, values in found.items():
                i = table.schema.get_field_index(name)
                table = table.set_column(i, schema.field(name), pc.cast(values, schema.field(name).type))
            out.write(table)
        out.sources = list(sources)
    summary.assigned = dict(assigned.most_common())
    summary.moves = [(a, b, n) for (a, b), n in moves.most_common()]
    return summary


def _assign(table: pa.Table, boundaries: Boundaries) -> dict[str, pa.Array]:
    points = shapely.from_wkb(table.column("geometry").to_numpy(zero_copy_only=False))
    found = assign_events(
        shapely.get_x(points),
        shapely.get_y(points),
        boundaries,
        source_iso3(table),
        table.column("event_date").to_numpy(),
        table.column("admin1").combine_chunks(),
    )
    if "province" not in found:  # no provinces imported (or all removed)
        found["province"] = pa.nulls(table.num_rows, pa.string())
    return found


def source_iso3(table: pa.Table) -> pa.Array:
    """The export's own country of stored events, read back from their ``original`` row."""
    original = pc.cast(table.column("original").combine_chunks(), pa.string())
    dataset = pc.cast(table.column("source_dataset").combine_chunks(), pa.string())
    from_acled = acled.source_iso3(_field(original, "iso"), _field(original, "country"))
    from_ucdp = ucdp.source_iso3(_field(original, "country"), _field(original, "country_id"))
    is_acled = pc.is_in(dataset, pa.array(ACLED_DATASETS))
    is_ucdp = pc.is_in(dataset, pa.array(UCDP_DATASETS))
    none = pa.nulls(table.num_rows, pa.string())
    return pc.if_else(is_acled, from_acled, pc.if_else(is_ucdp, from_ucdp, none))


def _field(original: pa.Array, name: str) -> pa.Array:
    """The text of ``"name":"..."`` in each JSON row (null when absent or empty)."""
    found = pc.extract_regex(original, rf'"{name}":"(?P<value>[^"\\]*)"')
    value = pc.struct_field(found, "value")
    return pc.if_else(pc.equal(value, ""), pa.scalar(None, pa.string()), value)


def _changed(old: pa.Array, new: pa.Array) -> np.ndarray:
    old, new = pc.cast(old, pa.string()), pc.cast(new, pa.string())
    return pc.not_equal(pc.fill_null(old, "\x00"), pc.fill_null(new, "\x00")).to_numpy(
        zero_copy_only=False
    )
