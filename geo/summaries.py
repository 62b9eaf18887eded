"""Country and province summaries: conflict, projects and schools on the same boundaries.

``country_summary`` and ``province_summary`` are pure functions of frames; the ``*_layer``
adapters fill the catalogue's ``ComputedSource`` slot (``(store, params) -> GeoDataFrame``) and
cache their results by (data version, params).

Decisions
---------
- Default period: the last 12 months of data, ending on the latest event (``geo.prepared``).
- Change: events in the period vs the previous period of the same length (whole years compare
  with whole years, so 2024 vs 2023); null when the previous period has no events or the period
  is open-ended.
- Projects active in the period: their [start, end] overlaps it (a missing date is unbounded).
  A project counts, with its whole budget, in each of its countries (``countries``, else
  ``country_iso3``), so budgets summed over countries double-count multi-country projects.
- ENVR schools: those founded by the end of the period (unknown founding year counts).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd

from geo.cache import PREPARED, RESULTS
from geo.events import events_frame
from geo.prepared import (
    FILTER_FIELDS,
    SYNTHETIC_NOTE,
    EventArrays,
    filter_mask,
    period_slice,
    prepare_events,
    resolve_period,
)
from geo.query import Query, parse_query
from geo.store import Store
from geo.types import Period
from layers.catalogue import SUMMARY_FIELDS

SUMMARY_FILTERS = FILTER_FIELDS


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


def country_summary(
    events: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    query: Query,
    projects: gpd.GeoDataFrame | None = None,
    envr: gpd.GeoDataFrame | None = None,
    *,
    prepared: EventArrays | None = None,
) -> gpd.GeoDataFrame:
    """Per country: events, fatalities, change vs the previous period, rate, projects, schools.

    Parameters
    ----------
    events : the ``conflict-events`` layer (``country_iso3`` already assigned)
    countries : the ``countries`` layer (population in ``pop_est``)
    query : period and filters (``event_type``, ``sub_event_type``, ``source_dataset``); bbox
        ignored; without a period, the last 12 months of data
    projects, envr : the registries, counted per country when given
    prepared : ``prepare_events(events)`` when the caller already has it (cached per data version)

    Returns
    -------
    GeoDataFrame with one row per country (countries without events have 0)

    Examples
    --------
    >>> query = parse_query({"datetime": "2024"}, SUMMARY_FILTERS)
    >>> summary = country_summary(events, countries, query)  # doctest: +SKIP
    >>> summary.set_index("iso3").loc["MLI", ["events", "change_pct"]]  # doctest: +SKIP
    """
    arrays = prepared if prepared is not None else prepare_events(events)
    keys = pd.Index(countries["iso3"].astype(str))
    counts = event_counts(arrays, arrays.country.rows_in(keys), len(keys), query)
    out = countries[["iso3", "name"]].reset_index(drop=True)
    out = pd.concat([out, counts], axis=1)
    pop = countries["pop_est"].reset_index(drop=True).astype("Float64")
    out["events_per_100k"] = (out["events"] / pop.where(pop > 0) * 100_000).round(3)
    period = resolve_period(query, arrays)
    project_pairs = _project_country_pairs(projects, period)
    school_pairs = envr_pairs(envr, period, "country_iso3")
    out = pd.concat([out, registry_columns(keys, project_pairs, school_pairs)], axis=1)
    columns = [f.name for f in SUMMARY_FIELDS]
    geometry = countries.geometry.reset_index(drop=True).values
    return gpd.GeoDataFrame(out[columns], geometry=geometry, crs=countries.crs)


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


def _project_country_pairs(
    projects: gpd.GeoDataFrame | None, period: Period | None
) -> pd.DataFrame:
    if projects is None or not len(projects):
        return pd.DataFrame({"key": [], "acronym": [], "budget_eur": []})
    active = projects[active_mask(projects, period)]
    listed = active["countries"].astype("string").fillna("").str.strip()
    codes = listed.where(listed != "", active["country_iso3"].astype("string"))
    pairs = pd.DataFrame(
        {
            "key": codes.fillna("").str.upper().str.split(";"),
            "acronym": active["acronym"].astype("string"),
            "budget_eur": pd.to_numeric(active["budget_eur"], errors="coerce"),
        }
    ).explode("key")
    pairs["key"] = pairs["key"].str.strip()
    return pairs[pairs["key"] != ""]


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


def read_optional(store: Store, layer_id: str) -> gpd.GeoDataFrame | None:
    """The stored layer, or None when the workspace has none."""
    return store.read(layer_id) if store.has(layer_id) else None


def read_events(store: Store) -> gpd.GeoDataFrame:
    """The stored events, or an empty event frame."""
    events = read_optional(store, "conflict-events")
    return events if events is not None else events_frame({}, [], [])


def prepared_events(store: Store) -> EventArrays:
    """``prepare_events`` of the stored events, cached by data version."""
    return PREPARED.get_or_compute(
        (store.data_version, "event-arrays"), lambda: prepare_events(read_events(store))
    )


def country_summary_layer(store: Store, params: Mapping[str, str]) -> gpd.GeoDataFrame:
    """The ``country-summary`` layer for request or CLI parameters (cached by data version)."""
    query = parse_query(params, SUMMARY_FILTERS)
    key = (store.data_version, "country-summary", query.key())

    def compute() -> gpd.GeoDataFrame:
        return country_summary(
            read_events(store),
            store.read("countries"),
            query,
            read_optional(store, "projects"),
            read_optional(store, "envr"),
            prepared=prepared_events(store),
        )

    return RESULTS.get_or_compute(key, compute).copy(deep=False)


def province_summary_layer(store: Store, params: Mapping[str, str]) -> gpd.GeoDataFrame:
    """The ``province-summary`` layer: imported polygons when present, else admin1 names."""
    from geo.provinces_summary import (  # imports this module
        name_units,
        polygon_units,
        province_summary,
    )

    query = parse_query(params, SUMMARY_FILTERS)
    version = store.data_version
    key = (version, "province-summary", query.key())

    def units() -> object:
        events, provinces = read_events(store), read_optional(store, "provinces")
        return (
            polygon_units(events, provinces)
            if provinces is not None and len(provinces)
            else name_units(events)
        )

    def compute() -> gpd.GeoDataFrame:
        return province_summary(
            read_events(store),
            store.read("countries"),
            query,
            read_optional(store, "provinces"),
            read_optional(store, "projects"),
            read_optional(store, "envr"),
            prepared=prepared_events(store),
            units=PREPARED.get_or_compute((version, "province-units"), units),
        )

    return RESULTS.get_or_compute(key, compute).copy(deep=False)
