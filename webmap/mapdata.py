"""The data behind the map pages: light, view-sized JSON fetched by the page's scripts.

Heavy layers never go into the page HTML: the scripts fetch them here by bbox, zoom, period and
event type; events are aggregated server-side (``geo.analytics.grid``) so a response stays bounded.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

import geopandas as gpd
import numpy as np
import orjson
import pandas as pd
import shapely
from flask import Blueprint, Response, current_app, request

from geo.analytics.counts import active_mask
from geo.analytics.grid import grid_view
from geo.analytics.prepared import Codes, period_slice, prepared_events, select_events
from geo.analytics.provinces import name_summary_layer
from geo.boundaries.countries import load_countries
from geo.boundaries.spatialindex import ready_sindex
from geo.errors import InvalidParameter
from geo.events import events_frame
from geo.i18n import pick_language, strings
from geo.query import Query, apply_query, parse_bbox, parse_datetime, parse_query
from geo.render.cartography import light_geometry, parse_metric
from geo.render.choropleth import (
    COUNTRY_COLUMNS,
    PROVINCE_COLUMNS,
    country_choropleth,
    country_provinces,
    province_figures,
)
from geo.types import Period
from webmap.chart import monthly_chart_svg
from webmap.context import catalogue, settings, store
from webmap.errors import NotFound
from webmap.responses import cached_body, init_response_cache

bp = Blueprint("mapdata", __name__, url_prefix="/map-data")
bp.record_once(lambda state: init_response_cache(state.app))

EVENT_FILTERS = ("event_type", "source_dataset")
LABEL_COLUMNS = ["iso3", "name", "name_fr", "label_x", "label_y", "min_label", "area"]
DENSITY_RAMP = "viridis"
"""The map's density overlay ramp: dark where events are few, bright yellow at hotspots, apart from
the choropleth's pale (when the raster is on) yellow-orange-red, so the two read together."""


def _json(payload: Any) -> Response:
    return Response(_dumps(payload), mimetype="application/json")


def _dumps(payload: Any) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY)


def _cached_json(compute: Any) -> Response:
    """The JSON body of ``compute()`` for this request and caller view, cached (``responses``)."""
    return Response(cached_body(lambda: _dumps(compute())), mimetype="application/json")


def _records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Rows as dicts of plain JSON values (dates as ISO text, missing as null)."""
    out = pd.DataFrame(index=frame.index)
    for name in frame.columns:
        column = frame[name]
        if pd.api.types.is_datetime64_any_dtype(column):
            column = column.dt.strftime("%Y-%m-%d")
        out[name] = column.astype(object).where(column.notna(), None)
    return out.to_dict("records")


def _geojson(frame: gpd.GeoDataFrame, columns: list[str]) -> dict[str, Any]:
    geoms = shapely.to_geojson(frame.geometry.values)
    props = _records(pd.DataFrame(frame[columns]))
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "geometry": orjson.loads(g), "properties": p}
            for g, p in zip(geoms, props, strict=True)
        ],
    }


def light_countries(detail: str) -> gpd.GeoDataFrame:
    """The simplified admin-0 polygons snapped to a grid, cached per app."""
    cache = current_app.extensions.setdefault("coopmap.light_countries", {})
    if detail not in cache:
        grid = 0.02 if detail == "countries_z2" else 0.005
        light = light_geometry(load_countries(settings().boundaries_dir, detail), grid)
        # area in square degrees: only to rank labels (bigger countries keep theirs)
        frame = light.assign(area=shapely.area(light.geometry.values).round(2))
        # Build the spatial index before the frame is shared: the lazy first query of a GEOS
        # STRtree is not thread-safe (concurrent first queries of one tree may crash).
        ready_sindex(frame)
        cache[detail] = frame
    return cache[detail]


def read_or_empty(layer_id: str) -> gpd.GeoDataFrame | None:
    return store().read(layer_id) if store().has(layer_id) else None


def event_selection(params: Mapping[str, str], iso3: str | None = None) -> gpd.GeoDataFrame:
    """Events of the period and types in ``params`` (bbox ignored), of one country when given."""
    events = read_or_empty("conflict-events")
    if events is None:
        return events_frame({}, [], [])
    query = parse_query(params, EVENT_FILTERS)
    filters = query.filters + ((("country_iso3", (iso3,)),) if iso3 else ())
    return apply_query(events, Query(None, query.period, filters), "event_date")


def events_in_view(
    params: Mapping[str, str], bbox: tuple[float, float, float, float], iso3: str | None = None
) -> gpd.GeoDataFrame:
    """The rows of ``event_selection`` inside ``bbox``, found on the prepared event arrays
    (``geo.analytics.prepared``, cached per data version) instead of filtering the whole frame."""
    events = read_or_empty("conflict-events")
    if events is None:
        return events_frame({}, [], [])
    query = parse_query(params, EVENT_FILTERS)
    arrays = prepared_events(store())
    part = period_slice(arrays, query.period)
    positions = np.flatnonzero(select_events(arrays, query, query.period)[part]) + part.start
    lon, lat = arrays.lon[positions], arrays.lat[positions]
    minx, miny, maxx, maxy = bbox
    keep = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
    if iso3:
        keep &= Codes(arrays.country.codes[positions], arrays.country.labels).isin((iso3,))
    return events.iloc[np.sort(arrays.order[positions[keep]])]


def country_or_404(iso3: str) -> pd.Series:
    countries = store().read("countries")
    match = countries[countries["iso3"] == iso3.upper()]
    if not len(match):
        raise NotFound(f"unknown country iso3={iso3!r}: not in the boundaries")
    return match.iloc[0]


@bp.get("/basemap")
def basemap() -> Response:
    """Land polygons with label points: ``detail=z2`` (world) or ``z4`` (needs ``bbox``)."""
    detail = request.args.get("detail", "z2")
    if detail not in ("z2", "z4"):
        raise InvalidParameter("detail", detail, "use z2 or z4")
    frame = light_countries(f"countries_{detail}")
    if detail == "z4":
        if not request.args.get("bbox"):
            raise InvalidParameter("bbox", "", "detail=z4 needs a bbox")
        hits = ready_sindex(frame).query(
            shapely.box(*parse_bbox(request.args["bbox"])), predicate="intersects"
        )
        frame = frame.iloc[sorted(hits)]
    return _cached_json(lambda: _geojson(frame, LABEL_COLUMNS))


@bp.get("/choropleth")
def choropleth() -> Response:
    """The overview's countries coloured by ``metric`` for ``datetime`` and ``event_type``."""
    metric = parse_metric(request.args.get("metric"))
    lang = pick_language(request.args, request.accept_languages)
    return _cached_json(lambda: _choropleth(metric, lang))


def _choropleth(metric: str, lang: str) -> dict[str, Any]:
    params = {k: v for k, v in request.args.items() if k in ("datetime", "event_type")}
    summary = catalogue().get("country-summary").source.frame(store(), params)
    result = country_choropleth(light_countries("countries_z2"), summary, metric, lang)
    return {**_geojson(result.frame, COUNTRY_COLUMNS), "legend": result.legend}


@bp.get("/sites")
def sites() -> Response:
    """ENVR schools, project sites and footprints (of one country with ``iso3``).

    With ``datetime``, only the projects active in that period (their start..end overlaps it, a
    missing date being unbounded: ``geo.summaries.active_mask``, the rule of the summaries).
    The frames come from the caller's secured store: restricted fields are already dropped and,
    for the public, project points already generalised (``layers/access.py``).
    """
    iso3 = request.args.get("iso3")
    period = parse_datetime(request.args["datetime"]) if request.args.get("datetime") else None
    return _cached_json(lambda: _sites(iso3, period))


def _sites(iso3: str | None, period: Period | None) -> dict[str, Any]:
    out: dict[str, Any] = {"envr": [], "projects": [], "footprints": None}
    envr = read_or_empty("envr")
    if envr is not None:
        envr = envr[envr["country_iso3"] == iso3] if iso3 else envr
        out["envr"] = _points(envr, catalogue().get("envr").field_names)
    projects = read_or_empty("projects")
    if projects is not None:
        projects = projects[active_mask(projects, period)]
        if iso3:
            projects = projects[
                projects["countries"]
                .astype("string")
                .str.split(";")
                .apply(lambda codes: iso3 in codes if isinstance(codes, list) else False)
            ]
        names = [*catalogue().get("projects").field_names, "generalised"]
        out["projects"] = _points(projects, names)
    footprints = read_or_empty("project-countries")
    if footprints is not None:
        footprints = footprints[active_mask(footprints, period)]
        if iso3:
            footprints = footprints[
                footprints["countries"].astype("string").str.contains(iso3, regex=False)
            ]
        names = catalogue().get("project-countries").field_names
        out["footprints"] = _geojson(
            light_geometry(footprints, 0.005), [n for n in names if n in footprints]
        )
    return out


def _points(frame: gpd.GeoDataFrame, names: list[str]) -> list[dict[str, Any]]:
    """Point rows with the ``names`` columns the frame has; withheld (null) geometries skipped."""
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    columns = [n for n in names if n in frame.columns]
    table = pd.DataFrame(frame[columns]).assign(
        lon=frame.geometry.x.round(5), lat=frame.geometry.y.round(5)
    )
    return _records(table)


@bp.get("/events")
def events() -> Response:
    """Events of the view: points when sparse, grid cells when dense (needs ``bbox``, ``zoom``)."""
    if not request.args.get("bbox"):
        raise InvalidParameter("bbox", "", "the events of the map need the view's bbox")
    bbox = parse_bbox(request.args["bbox"])
    try:
        zoom = int(request.args.get("zoom", ""))
    except ValueError:
        raise InvalidParameter(
            "zoom", request.args.get("zoom"), "expected an integer from 0 to 22"
        ) from None
    return _cached_json(lambda: _events(bbox, zoom))


def _events(bbox: tuple[float, float, float, float], zoom: int) -> dict[str, Any]:
    selected = events_in_view(request.args, bbox, request.args.get("iso3"))
    view = grid_view(selected, bbox, zoom)
    return {
        "mode": view.mode,
        "total": view.total,
        "synthetic": view.synthetic,
        "cell_size": view.cell_size,
        "points": _records(view.points),
        "cells": _records(view.cells),
    }


@bp.get("/country/<iso3>")
def country(iso3: str) -> Response:
    """The country's outline and its province figures for ``metric``, ``datetime``, ``event_type``.

    ``provinces`` is the province choropleth when province polygons are imported; otherwise it
    is null and ``ranking`` lists the provinces named in the events (``basis`` says which).
    """
    row = country_or_404(iso3)
    metric = parse_metric(request.args.get("metric"))
    lang = pick_language(request.args, request.accept_languages)
    params = {k: v for k, v in request.args.items() if k in ("datetime", "event_type")}
    secured = store()
    summary = catalogue().get("province-summary").source.frame(secured, params)
    rows = country_provinces(
        str(row["iso3"]), summary, lambda: name_summary_layer(secured, params)
    )
    outline = gpd.GeoDataFrame([row], geometry="geometry", crs="EPSG:4326")
    out: dict[str, Any] = {
        "country": _geojson(light_geometry(outline, 0.002), ["iso3", "name"]),
        **province_figures(rows, metric, lang),
    }
    if out["provinces"] is not None:
        out["provinces"] = _geojson(out["provinces"], PROVINCE_COLUMNS)
    return _json(out)


@bp.get("/chart/<iso3>.svg")
def chart(iso3: str) -> Response:
    """Monthly events and fatalities by event type for the country, as SVG."""
    row = country_or_404(iso3)
    lang = pick_language(request.args, request.accept_languages)
    name = row["name_fr"] if lang == "fr" and isinstance(row["name_fr"], str) else row["name"]

    def render() -> bytes:
        selected = event_selection(request.args, row["iso3"])
        svg = monthly_chart_svg(selected, strings(lang), str(name))
        return svg.encode() if isinstance(svg, str) else svg

    return Response(
        cached_body(render),
        mimetype="image/svg+xml",
        headers={"Content-Security-Policy": "default-src 'none'"},
    )


def _density_params(args: Mapping[str, str]) -> dict[str, str]:
    """The raster vocabulary of ``geo.analytics.raster`` from the map's parameters and its zoom."""
    from geo.analytics.raster import FILTER_FIELDS

    try:
        zoom = int(args.get("zoom", "3"))
    except ValueError:
        raise InvalidParameter(
            "zoom", args.get("zoom"), "expected an integer from 0 to 22"
        ) from None
    resolution = "0.5" if zoom <= 4 else "0.2" if zoom <= 6 else "0.05"
    keep = ("bbox", "datetime", *FILTER_FIELDS)
    return {**{k: v for k, v in args.items() if k in keep and v}, "resolution": resolution}


@bp.get("/density")
def density() -> Response:
    """Where the density overlay of the view is and how to fetch it: ``{url, bounds, maximum}``."""
    from geo.analytics.raster import overlay_for

    params = _density_params(request.args)
    overlay = overlay_for(store(), params, DENSITY_RAMP)
    query = urlencode(sorted(params.items()))
    return _json(
        {
            "url": f"{request.script_root}/map-data/density.png?{query}",
            "bounds": overlay.bounds,
            "maximum": overlay.maximum,
        }
    )


@bp.get("/density.png")
def density_png() -> Response:
    """The colourised density PNG (``geo.analytics.raster``, Web Mercator rows, transparent where empty)."""
    from geo.analytics.raster import overlay_for

    overlay = overlay_for(store(), {k: v for k, v in request.args.items()}, DENSITY_RAMP)
    return Response(overlay.png, mimetype="image/png", headers={"Cache-Control": "max-age=300"})
