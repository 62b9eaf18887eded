"""Counting events, projects and schools into the rows of a summary (countries or provinces).

Shared by ``geo.analytics.summaries`` (countries) and ``geo.analytics.provinces`` (provinces):
a summary is a set of rows, each event falls in one row (or none), and these functions count.
"""

from __future__ import annotations

import datetime as dt

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd

from geo.analytics.prepared import (
    SYNTHETIC_NOTE,
    EventArrays,
    filter_mask,
    period_slice,
    resolve_period,
)
from geo.query import Query
from geo.types import Period


def previous_period(period: Period) -> Period | None:
    """The period of the same length just before ``period`` (None when an end is open).

    Examples
    --------
    >>> str(previous_period(Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))))
    '2023-01-01/2023-12-31'
    >>> str(previous_period(Period(dt.date(2024, 3, 1), dt.date(2024, 3, 31))))
    '2024-01-30/2024-02-29'
    """
    if period.start is None or period.end is None:
        return None
    if (period.start.month, period.start.day, period.end.month, period.end.day) == (1, 1, 12, 31):
        years = period.end.year - period.start.year + 1
        return Period(
            dt.date(period.start.year - years, 1, 1), dt.date(period.end.year - years, 12, 31)
        )
    length = period.end - period.start + dt.timedelta(days=1)
    return Period(period.start - length, period.end - length)


def event_counts(arrays: EventArrays, rows_all: np.ndarray, n: int, query: Query) -> pd.DataFrame:
    """Count the events of ``query`` into ``n`` rows (``rows[i]`` is event i's row, -1 for none).

    ``rows_all`` is aligned on ``arrays`` (date order). Returns a frame of ``n`` rows: events,
    fatalities, events_previous, change_pct, events_by_type, period, previous_period, data_note.
    """
    period = resolve_period(query, arrays)
    rows, fatalities, types, synthetic = _part(arrays, rows_all, query, period)
    shifted = rows + 1  # row -1 (no unit) goes to bin 0, dropped below
    out = pd.DataFrame(
        {
            "events": np.bincount(shifted, minlength=n + 1)[1:].astype("int64"),
            "fatalities": np.bincount(shifted, weights=fatalities, minlength=n + 1)[1:].astype(
                "int64"
            ),
        }
    )
    previous = previous_period(period) if period is not None else None
    if previous is not None:
        before_rows = _part(arrays, rows_all, query, previous)[0]
        before = np.bincount(before_rows + 1, minlength=n + 1)[1:]
        out["events_previous"] = pd.array(before, dtype="Int64")
        prev = out["events_previous"].astype("Float64")
        out["change_pct"] = ((out["events"] - prev) / prev.where(prev > 0) * 100).round(1)
    else:
        out["events_previous"] = pd.array([pd.NA] * n, dtype="Int64")
        out["change_pct"] = pd.array([pd.NA] * n, dtype="Float64")
    out["events_by_type"] = _by_type(arrays, shifted, types, n)
    out["period"] = str(period) if period is not None else "../.."
    out["previous_period"] = str(previous) if previous is not None else None
    out["previous_period"] = out["previous_period"].astype("string")
    out["data_note"] = SYNTHETIC_NOTE if synthetic.any() else ""
    return out


def _part(
    arrays: EventArrays, rows: np.ndarray, query: Query, period: Period | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Rows, fatalities, type codes and synthetic flags of the events in the period and filters."""
    part = period_slice(arrays, period)
    columns = (
        rows[part],
        arrays.fatalities[part],
        arrays.event_type.codes[part],
        arrays.synthetic[part],
    )
    keep = filter_mask(arrays, query, part)
    if keep is not None:
        columns = tuple(column[keep] for column in columns)
    return columns


def _by_type(arrays: EventArrays, shifted: np.ndarray, types: np.ndarray, n: int) -> list[str]:
    labels = [*map(str, arrays.event_type.labels), "unknown"]
    k = len(labels)  # the last column holds events without a type
    codes = np.where(types < 0, k - 1, types)
    table = np.bincount(shifted * k + codes, minlength=(n + 1) * k).reshape(n + 1, k)[1:]
    out = []
    for line in table:
        present = {labels[j]: int(line[j]) for j in np.flatnonzero(line)}
        out.append(orjson.dumps(present, option=orjson.OPT_SORT_KEYS).decode())
    return out


def registry_columns(keys: pd.Index, projects: pd.DataFrame, envr: pd.DataFrame) -> pd.DataFrame:
    """Projects and schools per key, from (key, acronym[, budget_eur]) pairs."""
    out = pd.DataFrame(index=range(len(keys)))
    p = projects[projects["key"].isin(keys)].drop_duplicates(["key", "acronym"])
    grouped = p.groupby("key")
    per_key = pd.Series(keys, index=range(len(keys)))
    out["projects_active"] = per_key.map(grouped["acronym"].nunique()).fillna(0).astype("int64")
    out["projects_budget_eur"] = (
        per_key.map(grouped["budget_eur"].sum(min_count=1)).fillna(0.0).astype(float)
    )
    out["project_acronyms"] = per_key.map(grouped["acronym"].agg(_join)).astype("string").fillna("")
    e = envr[envr["key"].isin(keys)].drop_duplicates(["key", "acronym"])
    grouped = e.groupby("key")
    out["envr_count"] = per_key.map(grouped.size()).fillna(0).astype("int64")
    out["envr_acronyms"] = per_key.map(grouped["acronym"].agg(_join)).astype("string").fillna("")
    return out


def _join(values: pd.Series) -> str:
    return ", ".join(sorted(set(map(str, values))))


def envr_pairs(envr: gpd.GeoDataFrame | None, period: Period | None, key: str) -> pd.DataFrame:
    if envr is None or not len(envr):
        return pd.DataFrame({"key": [], "acronym": []})
    founded = pd.to_numeric(envr["founded"], errors="coerce") if "founded" in envr else None
    keep = np.ones(len(envr), dtype=bool)
    if founded is not None and period is not None and period.end is not None:
        keep = (founded.isna() | (founded <= period.end.year)).to_numpy()
    return pd.DataFrame(
        {
            "key": envr[key].astype("string").to_numpy()[keep],
            "acronym": envr["acronym"].astype("string").to_numpy()[keep],
        }
    )


def active_mask(projects: pd.DataFrame, period: Period | None) -> np.ndarray:
    """Projects whose [start, end] overlaps the period (open dates count as unbounded)."""
    if period is None:
        return np.ones(len(projects), dtype=bool)
    start = pd.to_datetime(projects["start"], errors="coerce")
    end = pd.to_datetime(projects["end"], errors="coerce")
    mask = np.ones(len(projects), dtype=bool)
    if period.end is not None:
        mask &= (start.isna() | (start <= pd.Timestamp(period.end))).to_numpy()
    if period.start is not None:
        mask &= (end.isna() | (end >= pd.Timestamp(period.start))).to_numpy()
    return mask
