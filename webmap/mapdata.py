"""The data behind the map pages: light, view-sized JSON fetched by the page's scripts.

Heavy layers never go into the page HTML: the scripts fetch them here by bbox, zoom, period and
event type; events are aggregated server-side (``geo.analytics.grid``) so a response stays bounded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import geopandas as gpd
import orjson
import pandas as pd
from flask import Blueprint, Response, request

from geo.analytics.coverage import figures_note
from geo.analytics.prepared import FILTER_FIELDS, prepared_events
from geo.analytics.provinces import name_summary_layer
from geo.errors import InvalidParameter
from geo.features.geojson import feature_collection, records
from geo.i18n import pick_language, strings
from geo.query import parse_bbox, parse_datetime, parse_query
from geo.render import mapview
from geo.render.cartography import light_geometry, parse_metric
from geo.render.choropleth import (
    COUNTRY_COLUMNS,
    PROVINCE_COLUMNS,
    country_choropleth,
    country_provinces,
    province_figures,
)
from geo.types import BBox, Period
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


def light_countries(detail: str) -> gpd.GeoDataFrame:
    """The simplified admin-0 polygons snapped to a grid (``geo.render.mapview``, cached)."""
    return mapview.light_countries(store(), detail)


def read_or_empty(layer_id: str) -> gpd.GeoDataFrame | None:
    return store().read(layer_id) if store().has(layer_id) else None


def country_or_404(iso3: str) -> pd.Series:
    row = mapview.find_country(store().read("countries"), iso3)
    if row is None:
        raise NotFound(f"unknown country iso3={iso3!r}: not in the boundaries")
    return row


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
        frame = mapview.countries_in_bbox(frame, parse_bbox(request.args["bbox"]))
    return _cached_json(lambda: _features(frame, LABEL_COLUMNS))


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
    legend = {**result.legend, "note": _note(params, metric, lang)}
    return {**_features(result.frame, COUNTRY_COLUMNS), "legend": legend}


def _note(params: dict[str, str], metric: str, lang: str) -> str | None:
    """What the figures of ``params`` lack: the period (or the previous one) outside the data."""
    return figures_note(prepared_events(store()), parse_query(params, FILTER_FIELDS), metric, lang)


NOT_MAPPED_COLUMNS = ("acronym", "title", "region", "start", "end", "status", "dates_unknown")
"""What the map's panel says of a project it cannot draw."""


@bp.get("/sites")
def sites() -> Response:
    """ENVR schools, project sites and footprints (of one country with ``iso3``).

    With ``datetime``, only what exists in that period (``geo.registries.periods``, the rule of
    every datetime selection): projects whose start..end overlaps it, schools founded by its end.
    ``not_mapped`` lists the period's projects without geometry (countries not named).
    The frames come from the caller's secured store: restricted fields are already dropped and,
    for the public, project points already generalised (``layers/access.py``).
    """
    iso3 = request.args.get("iso3")
    period = parse_datetime(request.args["datetime"]) if request.args.get("datetime") else None
    return _cached_json(lambda: _sites(iso3, period))


def _sites(iso3: str | None, period: Period | None) -> dict[str, Any]:
    chosen = mapview.select_sites(
        read_or_empty("envr"),
        read_or_empty("projects"),
        read_or_empty("project-countries"),
        iso3=iso3,
        period=period,
    )
    out: dict[str, Any] = {"envr": [], "projects": [], "footprints": None, "not_mapped": []}
    if chosen.envr is not None:
        out["envr"] = records(mapview.site_points(chosen.envr, catalogue().get("envr").field_names))
    if chosen.projects is not None:
        names = [*catalogue().get("projects").field_names, "generalised"]
        out["projects"] = records(mapview.site_points(chosen.projects, names))
    if chosen.not_mapped is not None:
        out["not_mapped"] = records(chosen.not_mapped, [n for n in NOT_MAPPED_COLUMNS if n in chosen.not_mapped])
    if chosen.footprints is not None:
        names = catalogue().get("project-countries").field_names
        out["footprints"] = _features(chosen.footprints, [n for n in names if n in chosen.footprints])
    return out


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


def _events(bbox: BBox, zoom: int) -> dict[str, Any]:
    query = parse_query(request.args, EVENT_FILTERS)
    view = mapview.events_view(store(), query, bbox, zoom, request.args.get("iso3"))
    return {
        "mode": view.mode,
        "total": view.total,
        "synthetic": view.synthetic,
        "cell_size": view.cell_size,
        "points": records(view.points),
        "cells": records(view.cells),
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
        "country": _features(light_geometry(outline, 0.002), ["iso3", "name"]),
        **province_figures(rows, metric, lang),
        "note": _note(params, metric, lang),
    }
    if out["legend"] is not None:
        out["legend"]["note"] = out["note"]
    if out["provinces"] is not None:
        out["provinces"] = _features(out["provinces"], PROVINCE_COLUMNS)
    return _json(out)


@bp.get("/chart/<iso3>.svg")
def chart(iso3: str) -> Response:
    """Monthly events and fatalities by event type for the country, as SVG."""
    row = country_or_404(iso3)
    lang = pick_language(request.args, request.accept_languages)
    name = row["name_fr"] if lang == "fr" and isinstance(row["name_fr"], str) else row["name"]

    def render() -> bytes:
        query = parse_query(request.args, EVENT_FILTERS)
        selected = mapview.chart_events(store(), query, str(row["iso3"]))
        svg = monthly_chart_svg(selected, strings(lang), str(name))
        return svg.encode() if isinstance(svg, str) else svg

    # its CSP is security.SVG_POLICY, set for every SVG response
    return Response(cached_body(render), mimetype="image/svg+xml")


RESOLUTION_HEADER = "X-Coopmap-Resolution"
"""The cell size of a density overlay, in degrees: coarser than asked when the bbox at the asked
resolution would exceed ``geo.analytics.overlay.MAX_OVERLAY_PIXELS`` pixels."""


@bp.get("/density")
def density() -> Response:
    """Where the density overlay of the view is and how to fetch it.

    ``{url, bounds, maximum, resolution, requested_resolution}``: ``resolution`` is the cell size
    drawn (coarsened from ``requested_resolution`` when the view at that resolution would exceed
    ``MAX_OVERLAY_PIXELS``; the ``url`` asks for the coarsened one).
    """
    from geo.analytics.overlay import overlay_for

    params = mapview.density_params(request.args)
    overlay = overlay_for(store(), params, DENSITY_RAMP)
    requested = float(params["resolution"])
    params["resolution"] = str(overlay.resolution)
    query = urlencode(sorted(params.items()))
    response = _json(
        {
            "url": f"{request.script_root}/map-data/density.png?{query}",
            "bounds": overlay.bounds,
            "maximum": overlay.maximum,
            "resolution": overlay.resolution,
            "requested_resolution": requested,
        }
    )
    response.headers[RESOLUTION_HEADER] = str(overlay.resolution)
    return response


@bp.get("/density.png")
def density_png() -> Response:
    """The colourised density PNG (``geo.analytics.overlay``, Web Mercator rows, transparent where empty).

    The ``X-Coopmap-Resolution`` header gives the cell size drawn (coarser than ``resolution`` when
    the bbox at that resolution would exceed ``MAX_OVERLAY_PIXELS``).
    """
    from geo.analytics.overlay import overlay_for

    overlay = overlay_for(store(), {k: v for k, v in request.args.items()}, DENSITY_RAMP)
    headers = {"Cache-Control": "max-age=300", RESOLUTION_HEADER: str(overlay.resolution)}
    return Response(overlay.png, mimetype="image/png", headers=headers)


def _features(frame: gpd.GeoDataFrame, columns: list[str]) -> dict[str, Any]:
    """``feature_collection`` at the configured precision (``Settings.geojson_precision``)."""
    return feature_collection(frame, columns, settings().geojson_precision)
