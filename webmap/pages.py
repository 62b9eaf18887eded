"""Map pages for planners: the overview (``/``) and a country focus (``/map/<iso3>``).

A page is a Folium map skeleton with its options; the layers are fetched by the page from
``/map-data`` so the HTML stays small whatever the data size.
"""

from __future__ import annotations

from flask import Blueprint, Response, request

from geo.i18n import pick_language, strings
from geo.query import parse_bbox, parse_datetime
from geo.render.cartography import padded_bbox, parse_metric
from geo.render.mapview import page_facts
from layers import CATALOGUE
from layers.access import may_edit, sees_exact_geometry
from webmap.auth import current_role
from webmap.context import catalogue, settings, store
from webmap.mapbuild import MapRequest, country_map, known_layers, overview_map
from webmap.mapdata import country_or_404
from webmap.security import add_nonce

bp = Blueprint("pages", __name__)

DEFAULT_MONTHS = 12
"""The default period: the last twelve months of data."""


def _facts() -> tuple[list[str], list[str], bool]:
    """Months, event types and whether synthetic demo rows exist (``geo.render.mapview``)."""
    facts = page_facts(store())
    return facts.months, facts.event_types, facts.synthetic


def _map_request() -> MapRequest:
    args = request.args
    lang = pick_language(args, request.accept_languages)
    months, types, synthetic = _facts()
    params = {"lang": lang, "metric": parse_metric(args.get("metric"))}
    if args.get("datetime"):
        parse_datetime(args["datetime"])
        params["datetime"] = args["datetime"]
    elif months:
        params["datetime"] = f"{months[max(0, len(months) - DEFAULT_MONTHS)]}/{months[-1]}"
    if args.get("event_type"):
        params["event_type"] = args["event_type"]
    layers = None
    if "layers" in args:
        layers = [name for name in args["layers"].split(",") if name]
        known = known_layers(catalogue())
        unknown = sorted(set(layers) - set(known))
        if unknown:
            from geo.errors import InvalidParameter

            raise InvalidParameter("layers", args["layers"], f"unknown layer {unknown[0]!r}; use {known}")
    bbox = parse_bbox(args["bbox"]) if args.get("bbox") else None
    return MapRequest(
        lang, strings(lang), params, bbox, layers, months, types, synthetic, exact_sites(),
        can_edit=may_edit(current_role(), "create"),
    )


def exact_sites() -> bool:
    """True when the caller sees exact project sites (and so their exposure rings)."""
    return sees_exact_geometry(CATALOGUE.get("projects"), current_role())


def _html(fmap) -> Response:
    html = add_nonce(fmap.get_root().render())
    response = Response(html, mimetype="text/html")
    response.headers["Content-Language"] = request.args.get("lang") or "en"
    response.vary.add("Accept-Language")
    return response


@bp.get("/")
def index() -> Response:
    """The overview map of Africa and the Middle East."""
    req = _map_request()
    response = _html(overview_map(req, settings().tiles_url))
    response.headers["Content-Language"] = req.lang
    return response


@bp.get("/map/<iso3>")
def country_map_page(iso3: str) -> Response:
    """A country focus map with the monthly chart beside it; unknown ``iso3`` is a 404."""
    row = country_or_404(iso3)
    req = _map_request()
    name = row["name_fr"] if req.lang == "fr" and isinstance(row["name_fr"], str) else row["name"]
    fmap = country_map(
        req, str(row["iso3"]), str(name), padded_bbox(row.geometry), settings().tiles_url
    )
    response = _html(fmap)
    response.headers["Content-Language"] = req.lang
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """No icon: an empty answer, so browsers log no failed request."""
    return Response(status=204)
