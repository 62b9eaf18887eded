"""Loading an export into the store: read, assign to boundaries, upsert, report.

Events are keyed on ``(source_dataset, event_id)``. Re-ingesting a file replaces the rows whose
source row changed (``updated``), keeps the others (``unchanged``) and adds new ids. Loading real
data removes the synthetic demo rows, so real and synthetic events are never mixed by accident.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.config import Settings
from geo.events import SYNTHETIC
from geo.ingest.pipeline import read_export
from geo.ingest.reader import Progress
from geo.io import write_bytes_atomic
from geo.joins import assign_countries
from geo.rejects import write_rejects
from geo.store import Store

LAYER = "conflict-events"
MAX_DISTANCE_KM = 25.0


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
    rejects_path: Path | None = None
    disagreements_path: Path | None = None


def ingest_file(
    path: Path, format_name: str, store: Store, settings: Settings, progress: Progress | None = None
) -> IngestSummary:
    """Ingest an ACLED or UCDP GED export into the ``conflict-events`` layer.

    Parameters
    ----------
    path : the CSV or CSV.gz export
    format_name : ``"acled"`` or ``"ucdp"``
    store : the workspace store (needs ``countries``; ``provinces`` used when present)
    settings : where the rejects and disagreement reports go (``settings.rejects_dir``)
    progress : ``(bytes_done, bytes_total)`` callback while reading

    Returns
    -------
    IngestSummary with read / added / updated / unchanged / rejected counts.
    """
    path = Path(path)
    result = read_export(path, format_name, progress=progress)
    events = assign(result.events, store, settings)
    summary = IngestSummary(read=result.read, rejected=len(result.rejects))
    summary.assigned = {k: int(v) for k, v in events["assigned_by"].value_counts().items()}
    stem = path.name.removesuffix(".gz").removesuffix(".csv")
    if result.rejects:
        summary.rejects_path = settings.rejects_dir / f"{stem}.rejects.csv"
        write_rejects(summary.rejects_path, result.rejects)
    report = disagreements(events)
    summary.disagreements = len(report)
    if len(report):
        summary.disagreements_path = settings.rejects_dir / f"{stem}.country-disagreements.csv"
        write_bytes_atomic(summary.disagreements_path, report.to_csv(index=False).encode("utf-8"))
        pairs = (
            report.groupby(["export_iso3", "country_iso3"], dropna=False)
            .size()
            .sort_values(ascending=False)
        )
        summary.disagreement_pairs = [(str(a), str(b), int(n)) for (a, b), n in pairs.items()]
    events = events.drop(columns=["line", "export_iso3"])
    existing = store.read(LAYER) if store.has(LAYER) else None
    sources = store.manifest().layers[LAYER].sources if existing is not None else []
    merged = upsert(existing, events, summary)
    if summary.removed_demo:
        sources = [s for s in sources if SYNTHETIC not in s]
    store.write(LAYER, merged, [*sources, str(path.resolve())])
    return summary


def assign(events: gpd.GeoDataFrame, store: Store, settings: Settings) -> gpd.GeoDataFrame:
    """Assign countries (and provinces when the store has them) to ``events``."""
    provinces = store.read("provinces") if store.has("provinces") else None
    return assign_countries(
        events, store.read("countries"), MAX_DISTANCE_KM, provinces, settings.cache_dir
    )


def disagreements(events: gpd.GeoDataFrame) -> pd.DataFrame:
    """Events whose assigned country differs from the export's own country field."""
    theirs = events["export_iso3"].astype(object)
    ours = events["country_iso3"].astype(object)
    differ = (theirs.notna() | ours.notna()) & (theirs.fillna("") != ours.fillna(""))
    report = events.loc[
        differ, ["line", "event_id", "export_iso3", "country_iso3", "assigned_by", "location"]
    ]
    geometry = events.geometry[differ]
    return report.assign(longitude=geometry.x.round(6), latitude=geometry.y.round(6)).reset_index(
        drop=True
    )


def upsert(
    existing: gpd.GeoDataFrame | None, incoming: gpd.GeoDataFrame, summary: IngestSummary
) -> gpd.GeoDataFrame:
    """Merge ``incoming`` into ``existing`` on ``(source_dataset, event_id)``; fill the counts."""
    if existing is None or not len(existing):
        summary.added = len(incoming)
        return incoming.reset_index(drop=True)
    real = not (incoming["source_dataset"] == SYNTHETIC).all()
    if real:
        demo = (existing["source_dataset"] == SYNTHETIC).to_numpy()
        summary.removed_demo = int(demo.sum())
        existing = existing[~demo]
    old_key = _key(existing)
    new_key = _key(incoming)
    before = pd.Series(existing["original"].to_numpy(), index=old_key)
    known = np.asarray(new_key.isin(old_key))
    same = np.zeros(len(incoming), dtype=bool)
    if known.any():
        previous = before.reindex(new_key[known]).to_numpy()
        same[known] = previous == incoming["original"].to_numpy()[known]
    summary.added = int((~known).sum())
    summary.unchanged = int(same.sum())
    summary.updated = int((known & ~same).sum())
    kept = existing[~np.asarray(old_key.isin(new_key))]
    merged = pd.concat([kept, incoming], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=incoming.crs)


def _key(frame: pd.DataFrame) -> pd.Index:
    return pd.Index(frame["source_dataset"].astype(str) + "\x1f" + frame["event_id"].astype(str))
