"""Country and province summaries: conflict, projects and schools on the same boundaries.

``country_summary`` and ``province_summary`` are pure functions of frames; the ``*_layer``
adapters fill the catalogue's ``ComputedSource`` slot (``(store, params) -> GeoDataFrame``) and
cache their results by (data version, params).

Decisions
---------
- Default period: the last 12 months of data, ending on the latest event (``geo.analytics.prepared``).
- Change: events in the period vs the previous period (``geo.query.previous_period``: a calendar
  month, quarter or year vs the previous one, any other interval vs the same number of days
  before); null, with ``change_note``, when the previous period has no events or no event data,
  or the period is open-ended.
- Outside the coverage of the event data (``geo.analytics.coverage``) events, fatalities and
  change are null with ``coverage_note``, never 0.
- Projects active in the period: their [start, end] overlaps it (no end: ongoing); a project
  without a start date is never active but counted apart (``projects_dates_unknown``). The rule
  is ``geo.registries.periods``, the one every ``datetime`` selection follows.
  A project counts once per country it names (``countries``, else ``country_iso3``), with its
  whole budget once however many sites it has there, so budgets summed over countries
  double-count multi-country projects.
- Budgets: null when withheld from the caller (``projects_budget_status`` ``withheld``) or when
  no active project's budget is known (``unknown``); with some unknown, the sum of the known ones,
  ``partial`` and ``projects_budget_unknown`` = how many are missing.
- ENVR schools: those founded by the end of the period and not planned; an unknown founding year
  is counted apart (``envr_dates_unknown``).
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
import pandas as pd

from geo.analytics.counts import envr_pairs, event_counts, registry_columns, states
from geo.analytics.prepared import (
    FILTER_FIELDS,
    EventArrays,
    prepare_events,
    prepared_events,
    read_events,
    read_optional,
    resolve_period,
)
from geo.cache import RESULTS
from geo.query import Query, parse_query
from geo.registries.periods import PROJECT_SPAN
from geo.schema import SUMMARY_FIELDS
from geo.storage.store import Store
from geo.types import Period

SUMMARY_FILTERS = FILTER_FIELDS


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
    GeoDataFrame with one row per country (countries without events have 0 where the data
        cover the period, null outside the coverage)

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


def _project_country_pairs(
    projects: gpd.GeoDataFrame | None, period: Period | None
) -> pd.DataFrame:
    """(key, acronym, state[, budget_eur]) per project and country it names; no ``budget_eur``
    when the access policy withheld budgets from the caller."""
    if projects is None or not len(projects):
        return pd.DataFrame({"key": [], "acronym": [], "state": [], "budget_eur": []})
    state = states(projects, PROJECT_SPAN, period)
    counted = projects[state != ""]
    listed = counted["countries"].astype("string").fillna("").str.strip()
    codes = listed.where(listed != "", counted["country_iso3"].astype("string"))
    columns = {
        "key": codes.fillna("").str.upper().str.split(";"),
        "acronym": counted["acronym"].astype("string"),
        "state": state[state != ""],
    }
    if "budget_eur" in counted:
        columns["budget_eur"] = pd.to_numeric(counted["budget_eur"], errors="coerce")
    pairs = pd.DataFrame(columns).explode("key")
    pairs["key"] = pairs["key"].str.strip()
    return pairs[pairs["key"] != ""]


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
