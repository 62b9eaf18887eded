"""Construction of the Folium maps of the pages: the overview and the country focus.

The page carries only the map skeleton and its options; every data layer is fetched by the page's
scripts from ``/map-data`` (see ``webmap.mapdata``), so the HTML size does not grow with the data.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, field
from typing import Any

import folium
from flask import url_for

from geo.query import parse_datetime
from geo.render.cartography import METRICS, OVERVIEW_BBOX, STATUS_COLORS
from geo.render.style import drawing_order
from geo.types import BBox, Period
from layers import Catalogue
from webmap import elements as el
from webmap.context import catalogue
from webmap.features import limits

SEA = "#c6dbe9"
LAND = "#f4f1ea"
DIM_LAND = "#e4e0d8"
"""Land outside the focus country on a country map."""
BORDER = "#a39e93"
DETAIL_ZOOM = 5
SNAPSHOT_URL = "/snapshot.png"
"""The snapshot service (same parameter names as the page URL)."""
MAP_OVERLAYS = ("exposure", "density")
"""The map's own overlays (exposure rings, conflict density): no catalogue layer, no snapshot."""
ITEMS_LIMIT = 2000
"""Features a catalogue layer without a renderer of its own fetches per view from the OGC API
(at most the API's own maximum)."""
PROVINCE_METRICS = ("events", "fatalities", "change_pct")
"""Metrics of the province choropleth (province populations are unknown: no rate)."""
PANEL_WIDTH = 270
"""Pixels the control panel covers on the left: a country is fitted beside it, not under it."""
EXPOSURE_RADIUS_KM = 50
"""Radius of the exposure rings drawn around project sites on a country map."""


@dataclass
class MapRequest:
    """What a page shows: language, parameters kept in the URL and facts about the data."""

    lang: str
    strings: dict[str, str]
    params: dict[str, str]
    bbox: BBox | None
    layers: list[str] | None
    months: list[str]
    event_types: list[str]
    synthetic: bool
    exact_sites: bool
    extra: dict[str, Any] = field(default_factory=dict)
    can_edit: bool = False
    """The caller may add and edit registry records: the panel's add buttons, the popups' Edit link."""


@dataclass(frozen=True)
class SliderPeriod:
    """Where the period slider stands for the page's ``datetime``, and what it cannot show."""

    start: str
    """First month on the slider (``YYYY-MM``), or "" without months."""
    end: str
    """Last month on the slider, or ""."""
    note: str | None
    """The period in words when the slider cannot show it exactly (days, or beyond the months
    with events), else None."""


def slider_period(text: str, months: list[str], strings: dict[str, str]) -> SliderPeriod:
    """The slider's months for an OGC ``datetime`` (any form ``geo.query.parse_datetime`` takes).

    Parameters
    ----------
    text : the page's ``datetime`` (year, month, day, interval, open interval), or ""
    months : the slider's months (``YYYY-MM``), first to last month with events
    strings : the page's words (``geo.i18n.strings``)

    Returns
    -------
    SliderPeriod: an open end stands at the first or last month; a period reaching beyond the
    months with events is clamped to them and said in words, as is a period of days that are
    not whole months.

    Examples
    --------
    >>> slider_period("2024", ["2023-12", "2024-01", "2024-12"], {})
    SliderPeriod(start='2024-01', end='2024-12', note=None)
    >>> slider_period("../2024-01", ["2023-12", "2024-01", "2024-12"], {}).start
    '2023-12'
    """
    if not months or not text:
        return SliderPeriod(months[0] if months else "", months[-1] if months else "", None)
    period = parse_datetime(text)
    first, last = months[0], months[-1]
    start = period.start.isoformat()[:7] if period.start else first
    end = period.end.isoformat()[:7] if period.end else last
    shown = SliderPeriod(min(max(start, first), last), max(min(end, last), first), None)
    if start < first or end > last:
        key = "period_outside"
    elif not _whole_months(period):
        key = "period_days"
    else:
        return shown
    words = strings.get(key, key).format(
        start=period.start.isoformat() if period.start else "…",
        end=period.end.isoformat() if period.end else "…",
        first=first,
        last=last,
    )
    return SliderPeriod(shown.start, shown.end, words)


def _whole_months(period: Period) -> bool:
    """True when the period starts on a first and ends on a last day of a month (open ends too)."""
    starts = period.start is None or period.start.day == 1
    ends = period.end is None or (period.end + dt.timedelta(days=1)).day == 1
    return starts and ends


def known_layers(layers: Catalogue) -> list[str]:
    """Ids the page's ``layers=`` accepts: the catalogue's layers on the map, and the overlays."""
    return [layer.id for layer in layers if layer.on_map] + list(MAP_OVERLAYS)


def snapshot_layers(layers: Catalogue) -> list[str]:
    """Ids a snapshot draws, bottom to top (the map's overlays stay out of the snapshot link)."""
    return [layer.id for layer in drawing_order(layers.map_layers().values())]


def layer_options(layers: Catalogue, lang: str) -> list[dict[str, Any]]:
    """The catalogue's layers on the map as the page's scripts take them: id, title, kind, look,
    whether on by default, and the OGC API items URL a layer without a renderer of its own reads."""
    return [
        {
            "id": layer.id,
            "title": layer.title_fr if lang == "fr" else layer.title,
            "kind": layer.style.kind,
            "style": asdict(layer.style),
            "visible": layer.map_default,
            "id_field": layer.id_field,
            "items_url": url_for("features.items", collection_id=layer.id),
        }
        for layer in layers
        if layer.on_map
    ]


def assets() -> dict[str, str]:
    """Local URLs of every script and stylesheet the pages load."""
    return {
        "leaflet_js": url_for("assets.asset", package="leaflet", filename="leaflet.js"),
        "leaflet_css": url_for("assets.asset", package="leaflet", filename="leaflet.css"),
        "markercluster_js": url_for(
            "assets.asset", package="markercluster", filename="leaflet.markercluster.js"
        ),
        "markercluster_css": url_for(
            "assets.asset", package="markercluster", filename="MarkerCluster.css"
        ),
        "markercluster_default_css": url_for(
            "assets.asset", package="markercluster", filename="MarkerCluster.Default.css"
        ),
        "coopmap_js": url_for("static", filename="coopmap.js"),
        "basemap_js": url_for("static", filename="basemap.js"),
        "layers_js": url_for("static", filename="layers.js"),
        "controls_js": url_for("static", filename="controls.js"),
        "coopmap_css": url_for("static", filename="coopmap.css"),
    }


def _base(
    req: MapRequest,
    bbox: BBox,
    title: str,
    tiles: str | None,
    width: str = "100%",
    land: str = LAND,
    pad_left: int = 0,
) -> tuple[folium.Map, dict[str, str]]:
    urls = assets()
    minx, miny, maxx, maxy = bbox
    fmap = el.OfflineMap(
        urls,
        lang=req.lang,
        location=[(miny + maxy) / 2, (minx + maxx) / 2],
        zoom_start=3,
        width=width,
        control_scale=True,
        min_zoom=2,
        max_zoom=12,
        world_copy_jump=False,
    )
    fig = fmap.get_root()
    fig.title = title
    t = req.strings
    state = {
        "params": req.params,
        "strings": t,
        "sea": SEA,
        "bbox": list(req.bbox or bbox),
        "layers": req.layers,
        "pad_left": 0 if req.bbox else pad_left,
    }
    fmap.add_child(el.MapState(urls, state))
    fmap.add_child(
        el.BoundaryBasemap(
            urls,
            {
                "url": url_for("mapdata.basemap"),
                "land": land,
                "border": BORDER,
                "detail_zoom": DETAIL_ZOOM,
                "tiles": tiles,
            },
        )
    )
    fmap.add_child(
        el.Attribution(urls, {"lines": [t["attribution_boundaries"], t["attribution_events"]]})
    )
    fmap.add_child(el.FullscreenControl(urls, {"title": t["fullscreen"]}))
    return fmap, urls


def _controls(
    req: MapRequest,
    urls: dict[str, str],
    title: str,
    metrics: tuple[str, ...],
    extra: dict[str, str],
    home: bool,
) -> el.Controls:
    t = req.strings
    slider = slider_period(req.params.get("datetime", ""), req.months, t)
    return el.Controls(
        urls,
        {
            "title": title,
            "subtitle": t["subtitle"],
            "months": req.months,
            "start": slider.start,
            "end": slider.end,
            "period_note": slider.note,
            "event_types": req.event_types,
            "metrics": [[m, t[f"metric_{m}"]] for m in metrics] if metrics else None,
            "snapshot_url": SNAPSHOT_URL,
            "snapshot_layers": snapshot_layers(catalogue()),
            "snapshot_extra": extra,
            "brief_url": url_for("briefs.page", iso3=extra["iso3"]) if extra.get("iso3") else None,
            "home_url": url_for("pages.index") if home else None,
            "notice": t["synthetic_notice"] if req.synthetic else None,
            "add_links": _add_links(req),
        },
    )


def _add_links(req: MapRequest) -> list[list[str]]:
    """[text, url] of the panel's "Add project" and "Add school" buttons (none for who may not edit)."""
    if not req.can_edit:
        return []
    return [[req.strings[key], url_for("registry_pages.new", layer_id=layer_id, lang=req.lang)]
            for key, layer_id in (("add_project", "projects"), ("add_school", "envr"))]


def _edit_url(req: MapRequest) -> str | None:
    """The edit form's URL with ``LAYER`` and ``ID`` for the popups to fill in (None: no Edit link)."""
    if not req.can_edit:
        return None
    return url_for("registry_pages.edit", layer_id="LAYER", item_id="ID", lang=req.lang)


def _catalogue_layers(req: MapRequest, urls: dict[str, str]) -> el.CatalogueLayers:
    """The caller's catalogue layers; the page draws those no renderer of its own draws."""
    return el.CatalogueLayers(
        urls, {"layers": layer_options(catalogue(), req.lang), "limit": min(ITEMS_LIMIT, limits()[1])}
    )


def overview_map(req: MapRequest, tiles: str | None) -> folium.Map:
    """The overview: country choropleth, footprints, sites, schools and events."""
    t = req.strings
    fmap, urls = _base(req, OVERVIEW_BBOX, t["overview_title"], tiles)
    fmap.add_child(
        el.Choropleth(
            urls,
            {
                "url": url_for("mapdata.choropleth"),
                "title": t["metric"],
                "metric_titles": {m: t[f"metric_{m}"] for m in METRICS},
                "country_url": url_for("pages.country_map_page", iso3="ISO3"),
            },
        )
    )
    fmap.add_child(
        el.Sites(
            urls,
            {
                "url": url_for("mapdata.sites"),
                "status_colors": STATUS_COLORS,
                "footprints": True,
                "rings_km": None,
                "edit_url": _edit_url(req),
            },
        )
    )
    fmap.add_child(el.Events(urls, {"url": url_for("mapdata.events"), "title": t["events_layer"]}))
    fmap.add_child(
        el.Density(urls, {"url": url_for("mapdata.density"), "title": t["density_layer"]})
    )
    fmap.add_child(_catalogue_layers(req, urls))
    fmap.add_child(_controls(req, urls, t["overview_title"], METRICS, {}, home=False))
    return fmap


def country_map(req: MapRequest, iso3: str, name: str, bbox: BBox, tiles: str | None) -> folium.Map:
    """A country focus: outline and provinces, its sites with exposure rings, schools and events."""
    t = req.strings
    title = t["country_title"].format(name=name)
    fmap, urls = _base(req, bbox, title, tiles, width="64%", land=DIM_LAND, pad_left=PANEL_WIDTH)
    fmap.add_child(
        el.Provinces(
            urls,
            {
                "url": url_for("mapdata.country", iso3=iso3),
                "title": t["provinces"],
                "fill": LAND,
                "panel_id": "cm-provinces",
            },
        )
    )
    rings = EXPOSURE_RADIUS_KM if req.exact_sites else None
    fmap.add_child(
        el.Sites(
            urls,
            {
                "url": url_for("mapdata.sites"),
                "status_colors": STATUS_COLORS,
                "footprints": False,
                "rings_km": rings,
                "extra": {"iso3": iso3},
                "edit_url": _edit_url(req),
            },
        )
    )
    fmap.add_child(
        el.Events(
            urls,
            {"url": url_for("mapdata.events"), "title": t["events_layer"], "extra": {"iso3": iso3}},
        )
    )
    fmap.add_child(_catalogue_layers(req, urls))
    fmap.add_child(_controls(req, urls, title, PROVINCE_METRICS, {"iso3": iso3}, home=True))
    fmap.add_child(
        el.Chart(urls, {"url": url_for("mapdata.chart", iso3=iso3), "img_id": "cm-chart"})
    )
    fmap.add_child(
        el.SidePanel(
            t["chart_title"],
            t["chart_note"],
            url_for(
                "mapdata.chart",
                iso3=iso3,
                lang=req.lang,
                **{k: v for k, v in req.params.items() if k != "lang"},
            ),
            "cm-chart",
            req.lang,
            "cm-provinces",
        )
    )
    return fmap
