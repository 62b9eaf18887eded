"""The choropleths of the interactive maps: countries of the overview, provinces of a country.

Pure functions over the summary frames (``geo.analytics.summaries``, ``geo.analytics.provinces``):
they join, classify (``geo.render.classes``, the palette of the snapshots too) and label, and
return frames and plain dicts that the web views serialise.

A country map shows its provinces as a choropleth when province polygons are imported there
(basis ``polygon``); without polygons the events are grouped by the admin1 names written in the
data (basis ``name``), which have no boundary to fill: they are ranked beside the map instead.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import pandas as pd

from geo.i18n import number, text
from geo.render.cartography import light_geometry, overview_countries
from geo.render.classes import NO_DATA, Classes, classify

COUNTRY_COLUMNS = [
    "iso3",
    "label",
    "value",
    "value_text",
    "color",
    "events",
    "fatalities",
    "change_pct",
    "events_per_100k",
    "projects_active",
    "envr_count",
    "projects_dates_unknown",
    "envr_dates_unknown",
]
"""Properties of a country of the overview choropleth."""
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
    "projects_dates_unknown",
    "envr_dates_unknown",
]
"""Properties of a province of the country choropleth."""
RANKING_LIMIT = 40
"""At most this many provinces are listed beside the map (the rest are counted)."""


@dataclass(frozen=True)
class Choropleth:
    """Polygons with their value, colour and labels, and the legend ``{title, classes}``."""

    frame: gpd.GeoDataFrame
    legend: dict[str, Any]


def country_choropleth(countries: gpd.GeoDataFrame, summary: pd.DataFrame, metric: str, lang: str) -> Choropleth:
    """The overview's countries (``overview_countries``) coloured by ``metric`` of ``summary``.

    Parameters
    ----------
    countries : admin-0 polygons with ``iso3``, ``name``, ``name_fr``, ``continent``, ``subregion``
    summary : the ``country-summary`` layer (one row per ``iso3``); a country absent from it has
        no data
    metric : the summary column to show (``geo.render.cartography.METRICS``)
    lang : language of the labels

    Returns
    -------
    Choropleth whose frame has ``COUNTRY_COLUMNS`` and the geometry of ``countries``.
    """
    shown = countries[overview_countries(countries)]
    frame = shown[["iso3", "name", "name_fr", "geometry"]].merge(
        pd.DataFrame(summary.drop(columns=["geometry", "name"])), on="iso3", how="left"
    )
    classes = classify(frame[metric], metric, lang)
    frame["value"] = frame[metric]
    frame["color"] = classes.colors
    frame["label"] = frame["name_fr"].fillna(frame["name"]) if lang == "fr" else frame["name"]
    frame["value_text"] = [value_text(v, metric, lang) for v in frame[metric]]
    out = gpd.GeoDataFrame(frame[[*COUNTRY_COLUMNS, "geometry"]], geometry="geometry")
    return Choropleth(out, legend(classes, metric, lang))


def country_provinces(iso3: str, summary: pd.DataFrame, by_name: Callable[[], pd.DataFrame]) -> pd.DataFrame:
    """The rows of ``summary`` (the ``province-summary`` layer) in ``iso3``.

    When the summary is on imported polygons but none lies in ``iso3``, the country falls back to
    its admin1 names: the rows of ``by_name()`` (``geo.analytics.provinces.name_summary_layer``),
    called only then.
    """
    mine = summary[summary["iso3"] == iso3]
    if len(mine) or not len(summary) or summary["admin1_basis"].iloc[0] == "name":
        return mine
    names = by_name()
    return names[names["iso3"] == iso3]


def province_figures(rows: pd.DataFrame, metric: str, lang: str) -> dict[str, Any]:
    """``{basis, provinces, legend, ranking}`` for the country map, from its province ``rows``.

    Parameters
    ----------
    rows : the province summary rows of one country (``country_provinces``)
    metric : the summary column to show
    lang : language of the labels

    Returns
    -------
    On the ``polygon`` basis, ``provinces`` is a light GeoDataFrame of ``PROVINCE_COLUMNS`` and
    ``legend`` its legend; ``ranking`` is None. On the ``name`` basis, ``provinces`` and
    ``legend`` are None, ``ranking`` lists the provinces with events (now or in the previous
    period), highest ``metric`` first, at most ``RANKING_LIMIT``, with ``ranking_more`` the
    number left out, ``metric`` and ``metric_title`` the id and title of the metric.
    """
    basis = str(rows["admin1_basis"].iloc[0]) if len(rows) else "name"
    out: dict[str, Any] = {"basis": basis, "provinces": None, "legend": None, "ranking": None}
    if basis == "polygon":
        frame = rows.copy()
        classes = classify(frame[metric], metric, lang)
        frame["name"], frame["code"] = frame["province"], frame["province_id"]
        frame["value"] = frame[metric]
        frame["color"] = classes.colors
        frame["value_text"] = [value_text(v, metric, lang) for v in frame[metric]]
        out["provinces"] = light_geometry(frame, 0.002)[[*PROVINCE_COLUMNS, "geometry"]]
        out["legend"] = legend(classes, metric, lang)
        return out
    out.update(_ranking(rows, metric, lang))
    return out


def _ranking(rows: pd.DataFrame, metric: str, lang: str) -> dict[str, Any]:
    ranked = pd.DataFrame(rows.drop(columns="geometry"))
    ranked = ranked[(ranked["events"].fillna(0) > 0) | (ranked["events_previous"].fillna(0) > 0)]
    classes = classify(ranked[metric], metric, lang)
    ranked = ranked.assign(color=classes.colors, value=ranked[metric])
    ranked = ranked.sort_values(["value", "events", "province"], ascending=[False, False, True], na_position="last")
    shown = ranked.head(RANKING_LIMIT)
    return {
        "ranking": [
            {
                "province": str(r.province),
                "value_text": value_text(r.value, metric, lang),
                "color": r.color if r.color != NO_DATA else None,
                "events": int(r.events),
                "fatalities": int(r.fatalities),
            }
            for r in shown.itertuples()
        ],
        "ranking_more": int(len(ranked) - len(shown)),
        "metric": metric,
        "metric_title": text(lang, f"metric_{metric}"),
    }


def legend(classes: Classes, metric: str, lang: str) -> dict[str, Any]:
    """The legend of a map choropleth: ``{title, classes: [{color, label, hatched}]}``."""
    return {
        "title": text(lang, f"metric_{metric}"),
        "classes": [{"color": row.color, "label": row.label, "hatched": row.hatched} for row in classes.legend],
    }


def value_text(value: object, metric: str, lang: str) -> str:
    """``value`` of ``metric`` as the map's tooltips show it; missing is the no-data text.

    Examples
    --------
    >>> value_text(12.34, "change_pct", "en"), value_text(1234, "events", "fr")
    ('+12.3 %', '1\u202f234')
    """
    if value is None or pd.isna(value):
        return text(lang, "no_data")
    if metric == "change_pct":
        return f"{number(lang, float(value), 1, sign=True, thousands=False)} %"
    if metric == "events_per_100k":
        return number(lang, float(value), 2)
    return number(lang, int(value))  # type: ignore[call-overload]
