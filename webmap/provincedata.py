"""The province figures of a country map: a choropleth on imported polygons, else a ranking.

``province-summary`` (``geo.analytics.summaries``) places events in imported province polygons when the
workspace has them (basis ``polygon``); without polygons it groups events by the admin1 names
written in the data (basis ``name``), which have no boundary to fill: the page lists them beside
the map instead, marked as name-based.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from geo.analytics.prepared import prepared_events, read_events
from geo.analytics.provinces import province_summary
from geo.analytics.summaries import SUMMARY_FILTERS
from geo.cache import RESULTS
from geo.query import parse_query
from geo.render.cartography import NO_DATA, classify, light_geometry
from webmap.context import catalogue, store

PROVINCE_COLUMNS = [
    "name",
    "code",
    "value",
    "value_text",
    "color",
    "events",
    "fatalities",
    "change_pct",
    "projects_active",
    "envr_count",
]
RANKING_LIMIT = 40
"""At most this many provinces are listed beside the map (the rest are counted)."""


def _summary(iso3: str, params: Mapping[str, str]) -> pd.DataFrame:
    """The province summary rows of ``iso3``; by admin1 names when no polygon is in that country."""
    summary = catalogue().get("province-summary").source.frame(store(), params)
    mine = summary[summary["iso3"] == iso3]
    if len(mine) or not len(summary) or summary["admin1_basis"].iloc[0] == "name":
        return mine
    # polygons exist, but for other countries: this country falls back to its admin1 names
    secured = store()
    query = parse_query(params, SUMMARY_FILTERS)
    key = (secured.data_version, "province-summary-names", query.key())

    def compute() -> pd.DataFrame:
        return province_summary(
            read_events(secured),
            secured.read("countries"),
            query,
            prepared=prepared_events(secured),
        )

    names = RESULTS.get_or_compute(key, compute)
    return names[names["iso3"] == iso3]


def province_payload(
    iso3: str,
    params: Mapping[str, str],
    metric: str,
    strings: Mapping[str, str],
    value_text: Callable[[object, str, str], str],
) -> dict[str, Any]:
    """``{basis, provinces, legend, ranking, ranking_more}`` for the country map of ``iso3``.

    ``provinces`` is a light GeoDataFrame of ``PROVINCE_COLUMNS`` (basis ``polygon``) or None;
    ``ranking`` lists the name-based provinces with events, highest ``metric`` first (basis
    ``name``). ``value_text(value, metric, no_data)`` formats a value as the country choropleth.
    """
    rows = _summary(iso3, params)
    basis = str(rows["admin1_basis"].iloc[0]) if len(rows) else "name"
    out: dict[str, Any] = {"basis": basis, "provinces": None, "legend": None, "ranking": None}
    no_data = strings["no_data"]
    if basis == "polygon":
        frame = rows.copy()
        classes = classify(frame[metric], metric, no_data_label=no_data)
        frame["name"], frame["code"] = frame["province"], frame["province_id"]
        frame["value"] = frame[metric]
        frame["color"] = classes.colors
        frame["value_text"] = [value_text(v, metric, no_data) for v in frame[metric]]
        out["provinces"] = light_geometry(frame, 0.002)[[*PROVINCE_COLUMNS, "geometry"]]
        out["legend"] = {
            "title": strings[f"metric_{metric}"],
            "classes": [{"color": c, "label": label} for c, label in classes.legend],
        }
        return out
    ranked = pd.DataFrame(rows.drop(columns="geometry"))
    ranked = ranked[(ranked["events"] > 0) | (ranked["events_previous"].fillna(0) > 0)]
    classes = classify(ranked[metric], metric, no_data_label=no_data)
    ranked = ranked.assign(color=classes.colors, value=ranked[metric])
    ranked = ranked.sort_values(
        ["value", "events", "province"], ascending=[False, False, True], na_position="last"
    )
    shown = ranked.head(RANKING_LIMIT)
    out["ranking"] = [
        {
            "province": str(r.province),
            "value_text": value_text(r.value, metric, no_data),
            "color": r.color if r.color != NO_DATA else None,
            "events": int(r.events),
            "fatalities": int(r.fatalities),
        }
        for r in shown.itertuples()
    ]
    out["ranking_more"] = int(len(ranked) - len(shown))
    out["metric_title"] = strings[f"metric_{metric}"]
    return out
