"""Counting events, projects and schools into the rows of a summary (countries or provinces).

Shared by ``geo.analytics.summaries`` (countries) and ``geo.analytics.provinces`` (provinces):
a summary is a set of rows, each event falls in one row (or none), and these functions count.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd

from geo.analytics.coverage import NONE, Coverage, period_coverage, previous_coverage
from geo.analytics.prepared import (
    SYNTHETIC_NOTE,
    EventArrays,
    filter_mask,
    period_slice,
    resolve_period,
)
from geo.i18n import text
from geo.query import Query
from geo.registries.periods import ENVR_SPAN, PROJECT_SPAN, TimeSpan, dates_unknown, period_mask, span_days
from geo.types import Period

ACTIVE = "active"
DATES_UNKNOWN = "dates unknown"
BUDGET_WITHHELD = "withheld"


def event_counts(arrays: EventArrays, rows_all: np.ndarray, n: int, query: Query) -> pd.DataFrame:
    """Count the events of ``query`` into ``n`` rows (``rows[i]`` is event i's row, -1 for none).

    ``rows_all`` is aligned on ``arrays`` (date order). Returns a frame of ``n`` rows: events,
    fatalities, events_previous, change_pct, events_by_type, period, previous_period, data_note,
    coverage, coverage_note, change_note.

    Outside the coverage of the event data (``geo.analytics.coverage``) the counts are null, not
    0, and ``coverage_note`` says why; a previous period outside it leaves ``events_previous`` and
    ``change_pct`` null, and ``change_note`` says why (as it does for every null ``change_pct``).
    """
    period = resolve_period(query, arrays)
    coverage = period_coverage(arrays, period, query)
    rows, fatalities, types, synthetic = _part(arrays, rows_all, query, period)
    shifted = rows + 1  # row -1 (no unit) goes to bin 0, dropped below
    known = coverage.state != NONE
    out = pd.DataFrame(
        {
            "events": _known(np.bincount(shifted, minlength=n + 1)[1:], known),
            "fatalities": _known(np.bincount(shifted, weights=fatalities, minlength=n + 1)[1:], known),
        }
    )
    previous, before, change_note = previous_coverage(arrays, period, query)
    out["events_previous"], out["change_pct"], out["change_note"] = _change(
        arrays, rows_all, query, previous, before, change_note, out["events"], coverage
    )
    out["events_by_type"] = pd.array(
        _by_type(arrays, shifted, types, n) if known else [None] * n, dtype="string"
    )
    out["period"] = str(period) if period is not None else "../.."
    out["previous_period"] = str(previous) if previous is not None else None
    out["previous_period"] = out["previous_period"].astype("string")
    out["data_note"] = SYNTHETIC_NOTE if synthetic.any() else ""
    out["coverage"] = coverage.state
    out["coverage_note"] = coverage.note()
    return out


def _known(counts: np.ndarray, known: bool) -> pd.arrays.IntegerArray:
    """Counts as nullable integers: all null when the period has no data."""
    values = counts.astype("int64")
    return pd.array(values if known else [pd.NA] * len(values), dtype="Int64")


def _change(
    arrays: EventArrays,
    rows_all: np.ndarray,
    query: Query,
    previous: Period | None,
    before: Coverage | None,
    note: str,
    events: pd.Series,
    coverage: Coverage,
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """events_previous, change_pct and change_note (why change_pct is null, or what it compares)."""
    n = len(events)
    nothing = pd.array([pd.NA] * n, dtype="Int64")
    if coverage.state == NONE:
        note = coverage.note()
    if coverage.state == NONE or previous is None or before is None or before.state == NONE:
        return nothing, nothing.astype("Float64"), pd.Series([note] * n, dtype="string")
    before_rows = _part(arrays, rows_all, query, previous)[0]
    counts = pd.Series(pd.array(np.bincount(before_rows + 1, minlength=n + 1)[1:], dtype="Int64"))
    prev = counts.astype("Float64")
    change = ((events.astype("Float64") - prev) / prev.where(prev > 0) * 100).round(1)
    notes = pd.Series([note] * n, dtype="string").where(
        counts > 0, text("en", "change_no_events_before", previous=str(previous))
    )
    return counts, change, notes


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
    """Projects and schools per key, from (key, acronym, state[, budget_eur]) pairs.

    ``state`` is ``active`` (counted) or ``dates unknown`` (counted apart, never as active); a
    project or school is counted once per key. Budgets: the sum of the active projects' budgets,
    each project once; null with ``projects_budget_status`` ``withheld`` when the pairs carry no
    ``budget_eur`` column (the caller may not see budgets), null with ``unknown`` when no active
    project's budget is known, the sum of the known ones with ``partial`` and
    ``projects_budget_unknown`` saying how many are missing, ``complete`` otherwise (0.0 for no
    active project).
    """
    out = pd.DataFrame(index=range(len(keys)))
    per_key = pd.Series(keys, index=range(len(keys)))
    p = projects[projects["key"].isin(keys)].drop_duplicates(["key", "acronym"])
    active = p[p["state"] == ACTIVE]
    grouped = active.groupby("key")
    out["projects_active"] = _count(per_key, grouped.size())
    out["projects_dates_unknown"] = _count(per_key, p[p["state"] == DATES_UNKNOWN].groupby("key").size())
    out = pd.concat([out, _budgets(per_key, active, out["projects_active"])], axis=1)
    out["project_acronyms"] = per_key.map(grouped["acronym"].agg(_join)).astype("string").fillna("")
    e = envr[envr["key"].isin(keys)].drop_duplicates(["key", "acronym"])
    grouped = e[e["state"] == ACTIVE].groupby("key")
    out["envr_count"] = _count(per_key, grouped.size())
    out["envr_dates_unknown"] = _count(per_key, e[e["state"] == DATES_UNKNOWN].groupby("key").size())
    out["envr_acronyms"] = per_key.map(grouped["acronym"].agg(_join)).astype("string").fillna("")
    return out


def _count(per_key: pd.Series, sizes: pd.Series) -> pd.Series:
    return per_key.map(sizes).fillna(0).astype("int64")


def _budgets(per_key: pd.Series, active: pd.DataFrame, n_active: pd.Series) -> pd.DataFrame:
    """``projects_budget_eur``, ``projects_budget_status`` and ``projects_budget_unknown``."""
    n = len(per_key)
    if "budget_eur" not in active.columns:
        return pd.DataFrame(
            {
                "projects_budget_eur": pd.array([pd.NA] * n, dtype="Float64"),
                "projects_budget_status": pd.array([BUDGET_WITHHELD] * n, dtype="string"),
                "projects_budget_unknown": pd.array([pd.NA] * n, dtype="Int64"),
            }
        )
    budgets = pd.to_numeric(active["budget_eur"], errors="coerce")
    known = per_key.map(budgets.groupby(active["key"]).sum(min_count=1)).astype("Float64")
    unknown = _count(per_key, budgets.isna().groupby(active["key"]).sum())
    none_active = n_active == 0
    status = np.where(unknown == 0, "complete", np.where(unknown < n_active, "partial", "unknown"))
    return pd.DataFrame(
        {
            "projects_budget_eur": known.mask(none_active, 0.0),
            "projects_budget_status": pd.array(status, dtype="string"),
            "projects_budget_unknown": pd.array(unknown, dtype="Int64"),
        }
    )


def _join(values: pd.Series) -> str:
    return ", ".join(sorted(set(map(str, values))))


def envr_pairs(envr: gpd.GeoDataFrame | None, period: Period | None, key: str) -> pd.DataFrame:
    """(key, acronym, state) of the schools existing in ``period`` (founded by its end, not
    planned: ``geo.registries.periods.ENVR_SPAN``) and of those whose founding year is unknown."""
    if envr is None or not len(envr):
        return pd.DataFrame({"key": [], "acronym": [], "state": []})
    state = states(envr, ENVR_SPAN, period)
    keep = state != ""
    return pd.DataFrame(
        {
            "key": envr[key].astype("string").to_numpy()[keep],
            "acronym": envr["acronym"].astype("string").to_numpy()[keep],
            "state": state[keep],
        }
    )


def active_mask(projects: pd.DataFrame, period: Period | None) -> np.ndarray:
    """Projects whose [start, end] overlaps the period, no end being ongoing and an unknown start
    matching no period (``geo.registries.periods``, the rule of every datetime selection)."""
    return period_mask(projects, PROJECT_SPAN, period)


def states(frame: pd.DataFrame, span: TimeSpan, period: Period | None) -> np.ndarray:
    """Per row: ``active`` in ``period``, ``dates unknown`` (counted apart), else ``""``.

    Without a period every row that exists is active (not a planned school).

    Examples
    --------
    >>> frame = pd.DataFrame({"start": pd.to_datetime(["2023-03-01", None]), "end": pd.NaT})
    >>> states(frame, PROJECT_SPAN, Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))).tolist()
    ['active', 'dates unknown']
    """
    out = np.full(len(frame), "", dtype=object)
    if period is None:
        out[span_days(frame, span)[2]] = ACTIVE
        return out
    out[period_mask(frame, span, period)] = ACTIVE
    out[dates_unknown(frame, span)] = DATES_UNKNOWN
    return out
