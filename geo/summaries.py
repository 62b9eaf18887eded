"""Country and province summaries: conflict, projects and schools on the same boundaries.

``country_summary`` is the pure function; ``country_summary_layer`` adapts it to the
catalogue's ``ComputedSource`` slot (``(store, params) -> GeoDataFrame``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd

from geo.query import Query, apply_query, parse_query, period_mask
from geo.store import Store
from geo.types import Period

SUMMARY_FILTERS = ("event_type", "sub_event_type", "source_dataset")


def previous_period(period: Period) -> Period | None:
    """The period of the same length just before ``period`` (None when an end is open).

    Examples
    --------
    >>> str(previous_period(Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))))
    '2023-01-01/2023-12-31'
    """
    if period.start is None or period.end is None:
        return None
    if (period.start.month, period.start.day, period.end.month, period.end.day) == (1, 1, 12, 31):
        years = period.end.year - period.start.year + 1
        return Period(dt.date(period.start.year - years, 1, 1), dt.date(period.end.year - years, 12, 31))
    length = period.end - period.start + dt.timedelta(days=1)
    return Period(period.start - length, period.end - length)


def country_summary(
    events: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    query: Query,
    projects: gpd.GeoDataFrame | None = None,
    envr: gpd.GeoDataFrame | None = None,
) -> gpd.GeoDataFrame:
    """Per country: events, fatalities, change vs the previous period, rate, projects, schools.

    Parameters
    ----------
    events : the ``conflict-events`` layer (``country_iso3`` already assigned)
    countries : the ``countries`` layer (population in ``pop_est``)
    query : period and filters (``event_type``, ``sub_event_type``, ``source_dataset``); bbox ignored
    projects, envr : the registries, counted per country when given

    Returns
    -------
    GeoDataFrame with one row per country (countries without events have 0)

    Examples
    --------
    >>> summary = country_summary(events, countries, parse_query({"datetime": "2024"}, SUMMARY_FILTERS))  # doctest: +SKIP
    """
    selected = apply_query(events, Query(None, None, query.filters), None)
    current = _in_period(selected, query.period)
    out = countries[["iso3", "name", "pop_est", "geometry"]].copy()
    counts = current.groupby("country_iso3", observed=True).agg(
        events=("event_id", "size"), fatalities=("fatalities", "sum"))
    out = out.join(counts, on="iso3")
    previous = previous_period(query.period) if query.period else None
    if previous is not None:
        before = _in_period(selected, previous).groupby("country_iso3", observed=True).size()
        out["events_previous"] = out["iso3"].map(before).fillna(0).astype("int64")
    else:
        out["events_previous"] = pd.NA
    out[["events", "fatalities"]] = out[["events", "fatalities"]].fillna(0).astype("int64")
    prev = out["events_previous"].astype("Float64")
    out["change_pct"] = ((out["events"] - prev) / prev * 100).where(prev > 0).round(1)
    pop = out["pop_est"].where(out["pop_est"] > 0)
    out["events_per_100k"] = (out["events"] / pop * 100_000).round(3)
    out["events_by_type"] = out["iso3"].map(_by_type(current)).astype("string").fillna("{}")
    out = _add_registries(out, projects, envr, query.period)
    return out.drop(columns=["pop_est"]).reset_index(drop=True)


def _in_period(events: gpd.GeoDataFrame, period: Period | None) -> gpd.GeoDataFrame:
    if period is None:
        return events
    return events[period_mask(events["event_date"], period)]


def _by_type(events: pd.DataFrame) -> pd.Series:
    table = events.groupby(["country_iso3", "event_type"], observed=True).size()
    out = {}
    for iso3, group in table.groupby(level=0):
        out[iso3] = orjson.dumps({k[1]: int(v) for k, v in group.items()}, option=orjson.OPT_SORT_KEYS).decode()
    return pd.Series(out, dtype="string")


def _add_registries(out: pd.DataFrame, projects: gpd.GeoDataFrame | None, envr: gpd.GeoDataFrame | None,
                    period: Period | None) -> pd.DataFrame:
    out["projects_active"] = 0
    out["projects_budget_eur"] = 0.0
    out["project_acronyms"] = ""
    out["envr_count"] = 0
    out["envr_acronyms"] = ""
    if projects is not None and len(projects):
        active = projects[_active(projects, period)]
        per_country = (active.assign(iso3=active["countries"].astype("string").str.split(";"))
                       .explode("iso3").drop_duplicates(["acronym", "iso3"]))
        grouped = per_country.groupby("iso3")
        out["projects_active"] = out["iso3"].map(grouped["acronym"].nunique()).fillna(0).astype("int64")
        out["projects_budget_eur"] = out["iso3"].map(grouped["budget_eur"].sum(min_count=1)).fillna(0.0)
        out["project_acronyms"] = out["iso3"].map(grouped["acronym"].agg(lambda s: ", ".join(sorted(set(s))))).fillna("")
    if envr is not None and len(envr):
        grouped = envr.groupby("country_iso3")
        out["envr_count"] = out["iso3"].map(grouped.size()).fillna(0).astype("int64")
        out["envr_acronyms"] = out["iso3"].map(grouped["acronym"].agg(lambda s: ", ".join(sorted(s)))).fillna("")
    return out


def _active(projects: pd.DataFrame, period: Period | None) -> np.ndarray:
    """Projects whose [start, end] overlaps the period (open dates count as unbounded)."""
    if period is None:
        return np.ones(len(projects), dtype=bool)
    start = pd.to_datetime(projects["start"])
    end = pd.to_datetime(projects["end"])
    mask = np.ones(len(projects), dtype=bool)
    if period.end is not None:
        mask &= (start.isna() | (start <= pd.Timestamp(period.end))).to_numpy()
    if period.start is not None:
        mask &= (end.isna() | (end >= pd.Timestamp(period.start))).to_numpy()
    return mask


def country_summary_layer(store: Store, params: Mapping[str, str]) -> gpd.GeoDataFrame:
    """The ``country-summary`` layer for request or CLI parameters."""
    query = parse_query(params, SUMMARY_FILTERS)
    optional = {name: store.read(name) if store.has(name) else None for name in ("projects", "envr")}
    events = store.read("conflict-events") if store.has("conflict-events") else None
    countries = store.read("countries")
    if events is None:
        from geo.events import events_frame

        events = events_frame({}, [], [])
    return country_summary(events, countries, query, optional["projects"], optional["envr"])


def province_summary_layer(store: Store, params: Mapping[str, str]) -> gpd.GeoDataFrame:
    """The ``province-summary`` layer (filled by the joins issue)."""
    raise NotImplementedError("province summaries are not built yet")
