"""Rendering a snapshot to PNG, SVG or PDF bytes: deterministic, non-interactive (Agg).

Figures are built as ``matplotlib.figure.Figure`` objects (no pyplot state). Rendering holds one
lock and one ``rc_context`` (DejaVu Sans, no mathtext, fixed SVG hash salt): the same parameters
and data version give byte-identical files. SVG keeps its text as text (searchable, editable in
slides); PDF embeds the TrueType font.
"""

from __future__ import annotations

import dataclasses
import io
import threading
from collections.abc import Mapping

import geopandas as gpd
import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geo.analytics.coverage import figures_note
from geo.analytics.prepared import FILTER_FIELDS, prepared_events, resolve_period
from geo.boundaries.countries import SIMPLIFIED_VARIANTS
from geo.cache import LRUCache
from geo.config import Settings
from geo.errors import InvalidParameter
from geo.i18n import text
from geo.query import parse_query
from geo.registries.periods import period_mask
from geo.render import furniture, layers, placenames
from geo.render.canvas import Canvas
from geo.render.choropleth import country_choropleth, legend
from geo.render.classes import classify
from geo.render.mapview import light_countries
from geo.render.spec import SnapshotSpec
from geo.render.style import MapLayer, drawing_order
from geo.render.views import View, bbox_view, country_view, lonlat_window, map_extent, named_view
from geo.storage.store import Store
from geo.types import Period

RC = {
    "font.family": "DejaVu Sans",
    "font.size": 8.0,
    "text.parse_math": False,
    "text.usetex": False,
    "svg.hashsalt": "coopmap-snapshot",
    "svg.fonttype": "none",
    "pdf.fonttype": 42,
    "hatch.linewidth": 0.5,
    "path.simplify": True,
}
METADATA = {
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": "coopmap"},
    "pdf": {"CreationDate": None, "ModDate": None, "Producer": "coopmap", "Creator": "coopmap"},
}
OCEAN = "#dce8f0"
MAX_SIMPLIFY_PIXELS = 1.5
"""A simplified outline file is used when its tolerance is at most this many pixels."""
BASE = "countries"
"""The stored layer under every snapshot: the land, the borders and the views' countries."""
BASE_KEY = "iso3"
"""A choropleth whose features are keyed by this field (countries) is drawn on the base outlines."""
CLASSED_COUNTRIES = "countries_z2"
"""The countries whose values make the classes of a country choropleth: those of the interactive
map's overview (``webmap.mapdata``), so the snapshot's classes and legend are the map's."""

_LOCK = threading.Lock()
BASE_CACHE_SIZE = 16
_BASE_CACHE = LRUCache(BASE_CACHE_SIZE)
"""Projected base countries and their borders per (detail, data, window, centre)."""


class _QuietCanvas(FigureCanvasAgg):
    """Agg canvas that draws only when saving: geopandas' ``plot`` asks for a redraw after every
    layer (``draw_idle``), which would render the whole figure once per layer."""

    def draw_idle(self, *args: object, **kwargs: object) -> None:
        return None


def resolve_view(spec: SnapshotSpec, countries: gpd.GeoDataFrame) -> View:
    """The view of ``spec``: its bbox, else its country, else its named view (default Africa)."""
    if spec.query.bbox is not None:
        return bbox_view(spec.query.bbox)
    if spec.iso3:
        return country_view(spec.iso3, countries)
    return named_view(spec.view or "africa")


def check_snapshot(store: Store, spec: SnapshotSpec) -> View:
    """The view of ``spec`` on the stored boundaries (an unknown ``iso3`` is an error)."""
    return resolve_view(spec, store.read("countries"))


def dated(store: Store, spec: SnapshotSpec) -> SnapshotSpec:
    """``spec`` with the one period of every layer it draws: its own ``datetime``, else the
    default period of the data (the last 12 months of events, as the summaries count them); no
    period only when there are no dated events."""
    period = resolve_period(spec.query, prepared_events(store))
    if period == spec.query.period:
        return spec
    return _with_period(spec, period)


def _with_period(spec: SnapshotSpec, period: Period | None) -> SnapshotSpec:
    query = dataclasses.replace(spec.query, period=period)
    return dataclasses.replace(spec, query=query, datetime_text=str(period) if period else "")


def render_snapshot(
    store: Store, settings: Settings, spec: SnapshotSpec, fmt: str, layers: Mapping[str, MapLayer]
) -> bytes:
    """Render ``spec`` from the data in ``store`` as ``fmt`` (``png``, ``svg`` or ``pdf``).

    Parameters
    ----------
    store : the workspace store (layers drawn when present, skipped when absent)
    settings : the workspace settings (the boundaries, simplified too, come from ``store``)
    spec : validated parameters (``geo.render.spec.parse_snapshot``)
    fmt : output format
    layers : the drawable layers by id (the catalogue's ``map_layers()``)

    Returns
    -------
    The file content.
    """
    if fmt not in METADATA:
        raise InvalidParameter("format", fmt, f"use one of {sorted(METADATA)}")
    with _LOCK, matplotlib.rc_context(RC):
        figure = _draw(store, settings, spec, layers)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, dpi=spec.dpi, metadata=METADATA[fmt], facecolor="white")
    return buffer.getvalue()


def _draw(
    store: Store, settings: Settings, spec: SnapshotSpec, catalogue: Mapping[str, MapLayer]
) -> Figure:
    view = resolve_view(spec, store.read("countries"))
    asked = spec
    spec = dated(store, spec)
    w_pt, h_pt = spec.width / spec.dpi * 72, spec.height / spec.dpi * 72
    scale = float(np.clip(min(w_pt / 864, h_pt / 540), 0.5, 2.5))
    m = 10 * scale
    header, footer = 52 * scale, 40 * scale
    panel = min(172 * scale, 0.34 * w_pt)
    map_w, map_h = w_pt - panel - 3 * m, h_pt - header - footer - m
    figure = Figure(
        figsize=(spec.width / spec.dpi, spec.height / spec.dpi), dpi=spec.dpi, facecolor="white"
    )
    _QuietCanvas(figure)
    ax = figure.add_axes((m / w_pt, footer / h_pt, map_w / w_pt, map_h / h_pt))
    extent = map_extent(view, map_w / map_h)
    canvas = Canvas(
        ax,
        view,
        extent,
        lonlat_window(view, extent),
        spec.lang,
        scale,
        (extent[2] - extent[0]) / map_w,
    )
    _draw_map(canvas, store, settings, spec, catalogue)
    _frame_axes(ax, extent)
    legend_ax = figure.add_axes(
        ((w_pt - panel - m) / w_pt, footer / h_pt, panel / w_pt, map_h / h_pt)
    )
    legend_ax.set_axis_off()
    furniture.draw_legend(legend_ax, canvas.legend, canvas.notes, scale, panel, map_h)
    head_ax = figure.add_axes(
        (m / w_pt, (h_pt - header) / h_pt, (w_pt - 2 * m) / w_pt, (header - m) / h_pt)
    )
    head_ax.set_axis_off()
    furniture.draw_header(head_ax, snapshot_title(spec, view), _subtitle(spec, asked), scale, w_pt - 2 * m)
    foot_ax = figure.add_axes((m / w_pt, 0, (w_pt - 2 * m) / w_pt, (footer - 0.45 * m) / h_pt))
    foot_ax.set_axis_off()
    furniture.draw_footer(foot_ax, _footer_lines(canvas, store, spec), scale, w_pt - 2 * m)
    return figure


def _draw_map(
    canvas: Canvas,
    store: Store,
    settings: Settings,
    spec: SnapshotSpec,
    catalogue: Mapping[str, MapLayer],
) -> None:
    """The base countries, then each layer of ``spec`` in drawing order by its style's kind."""
    base_layer = catalogue[BASE]
    base, borders = _base_countries(settings, store, canvas, spec.dpi)
    ordered = [layer for layer in drawing_order(catalogue.values()) if layer.id != BASE]
    present = [layer for layer in ordered if all(store.has(name) for name in layer.requires)]
    wanted = set(spec.layers)
    summaries = any(layer.style.kind == "choropleth" for layer in ordered if layer.id in wanted)
    if not any(_on_base(layer) and layer.id in wanted for layer in present):
        layers.draw_base(canvas, base, base_layer)
    layers.draw_borders(canvas, base, borders, base_layer)
    provinces = canvas.project_frame(store.read("provinces")) if store.has("provinces") else None
    for layer in present:
        if layer.style.kind == "cluster" and (layer.id in wanted or summaries):
            _draw_events(canvas, store, spec, layer, layer.id in wanted, summaries)
        elif layer.style.kind != "cluster" and layer.id in wanted:
            _DRAWERS[layer.style.kind](canvas, store, settings, spec, layer, base)
    placenames.draw_labels(canvas, base, provinces)
    furniture.draw_scale_bar(canvas)
    furniture.draw_north_arrow(canvas)
    if canvas.synthetic:
        furniture.draw_synthetic_banner(canvas)


def _on_base(layer: MapLayer) -> bool:
    """A choropleth of countries: drawn on the base outlines, it hides the plain land fill."""
    return layer.style.kind == "choropleth" and layer.id_field == BASE_KEY


def _draw_choropleth(
    canvas: Canvas,
    store: Store,
    settings: Settings,
    spec: SnapshotSpec,
    layer: MapLayer,
    base: gpd.GeoDataFrame,
) -> None:
    """``spec.metric`` of ``layer`` in the classes of the interactive map: countries on the base
    outlines, classed over the map's overview countries whatever the window; provinces on their
    own (clipped, projected) polygons, classed over the provinces of ``spec.iso3`` (all provinces
    without one), as the country map classes them."""
    try:
        frame = layer.frame(store, spec.summary_params())
    except NotImplementedError:
        raise InvalidParameter("layers", layer.id, f"{layer.id} is not available yet") from None
    if _on_base(layer):
        shared = country_choropleth(
            light_countries(store, CLASSED_COUNTRIES), frame, spec.metric, spec.lang
        )
        colors = shared.frame.drop_duplicates(BASE_KEY).set_index(BASE_KEY)["color"]
        polygons = base[base[BASE_KEY].isin(colors.index)]
        fills = polygons[BASE_KEY].map(colors).tolist()
        key = shared.legend
    else:
        rows = frame[frame["iso3"] == spec.iso3] if spec.iso3 and "iso3" in frame else frame
        classes = classify(rows[spec.metric], spec.metric, spec.lang)
        polygons = canvas.project_frame(rows.assign(_colour=classes.colors))
        fills, key = polygons["_colour"].tolist(), legend(classes, spec.metric, spec.lang)
    layers.draw_choropleth(canvas, polygons, fills, key, spec.metric, layer)
    query = parse_query(spec.summary_params(), FILTER_FIELDS)
    note = figures_note(prepared_events(store), query, spec.metric, spec.lang)
    if note and note not in canvas.notes:
        canvas.notes.append(note)


def _in_period(store: Store, spec: SnapshotSpec, layer: MapLayer) -> gpd.GeoDataFrame:
    """The features of ``layer`` in the period of ``spec``, selected by the one period rule
    (``period_mask``, the API's ``datetime``); all of them without a period."""
    frame = layer.frame(store, spec.summary_params())
    if spec.query.period is None or layer.time is None:
        return frame
    return frame[period_mask(frame, layer.time, spec.query.period)]


def _draw_polygons(
    canvas: Canvas,
    store: Store,
    settings: Settings,
    spec: SnapshotSpec,
    layer: MapLayer,
    base: gpd.GeoDataFrame,
) -> None:
    layers.draw_polygons(canvas, canvas.project_frame(_in_period(store, spec, layer)), layer)


def _draw_points(
    canvas: Canvas,
    store: Store,
    settings: Settings,
    spec: SnapshotSpec,
    layer: MapLayer,
    base: gpd.GeoDataFrame,
) -> None:
    layers.draw_sites(canvas, _in_period(store, spec, layer), layer, layer.style.marker, base)


_DRAWERS = {"choropleth": _draw_choropleth, "polygon": _draw_polygons, "point": _draw_points}
"""How each kind of layer is drawn (``cluster``, the events, is drawn by ``_draw_events``)."""


def _draw_events(
    canvas: Canvas, store: Store, spec: SnapshotSpec, layer: MapLayer, drawn: bool, summaries: bool
) -> None:
    """Events in the window (the one event selector, on the prepared event arrays): they mark the
    map synthetic when any are (also when only a summary of them is drawn), and are drawn when
    ``drawn``."""
    selected = layers.events_in_window(prepared_events(store), spec.query, canvas)
    canvas.synthetic = canvas.synthetic or bool(selected["synthetic"].any())
    if drawn:
        layers.draw_events(canvas, selected, layer, summaries)


def _base_countries(
    settings: Settings, store: Store, canvas: Canvas, dpi: int
) -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
    """The countries clipped to the window and projected, and their borders (kept in memory).

    The coarsest outline file whose simplification stays under ``MAX_SIMPLIFY_PIXELS`` is used:
    smaller SVG/PDF files and faster drawing, with no visible difference."""
    metres_per_pixel = canvas.metres_per_point * 72 / dpi
    detail = "countries"
    for name, degrees in sorted(SIMPLIFIED_VARIANTS.items(), key=lambda item: -item[1]):
        if degrees * 111_000 <= MAX_SIMPLIFY_PIXELS * metres_per_pixel:
            detail = name
            break
    key = (detail, store.manifest().layers["countries"].digest, canvas.window, canvas.view.centre)

    def project() -> tuple[gpd.GeoDataFrame, gpd.GeoSeries]:
        frame = canvas.project_frame(store.boundaries(detail))
        return frame, frame.boundary

    return _BASE_CACHE.get_or_compute(key, project)


def _frame_axes(ax: object, extent: tuple[float, float, float, float]) -> None:
    ax.set_xlim(extent[0], extent[2])  # type: ignore[attr-defined]
    ax.set_ylim(extent[1], extent[3])  # type: ignore[attr-defined]
    ax.set_aspect("equal", adjustable="datalim")  # type: ignore[attr-defined]
    ax.set_facecolor(OCEAN)  # type: ignore[attr-defined]
    ax.set_xticks([])  # type: ignore[attr-defined]
    ax.set_xlabel("")  # type: ignore[attr-defined]
    ax.set_ylabel("")  # type: ignore[attr-defined]
    ax.set_yticks([])  # type: ignore[attr-defined]
    for spine in ax.spines.values():  # type: ignore[attr-defined]
        spine.set_edgecolor("#8a8a8a")
        spine.set_linewidth(0.6)


def snapshot_title(spec: SnapshotSpec, view: View) -> str:
    """The title drawn on the map: ``spec.title``, else the default for the view and language."""
    if spec.title:
        return spec.title
    return f"{text(spec.lang, 'snapshot_title')} — {view.title(spec.lang)}"


def _subtitle(spec: SnapshotSpec, asked: SnapshotSpec | None = None) -> str:
    """Metric, the one period of every layer (said to be the default when ``asked``, the
    request, named none) and filters."""
    parts = []
    colon = " : " if spec.lang == "fr" else ": "
    if "country-summary" in spec.layers or "province-summary" in spec.layers:
        parts.append(text(spec.lang, f"snapshot_metric_{spec.metric}"))
    period = spec.query.period
    if period is None:
        parts.append(f"{text(spec.lang, 'period')}{colon}{text(spec.lang, 'snapshot_all_dates')}")
    else:
        start = period.start.isoformat() if period.start else "…"
        end = period.end.isoformat() if period.end else "…"
        words = f"{text(spec.lang, 'period')}{colon}{start} – {end}"
        if asked is not None and asked.query.period is None:
            words += f" ({text(spec.lang, 'snapshot_default_period')})"
        parts.append(words)
    if spec.query.filters:
        shown = "; ".join(f"{name} = {', '.join(values)}" for name, values in spec.query.filters)
        parts.append(f"{text(spec.lang, 'snapshot_filters')}{colon}{shown}")
    return " · ".join(parts)


def _footer_lines(canvas: Canvas, store: Store, spec: SnapshotSpec) -> list[str]:
    manifest = store.manifest()
    used = [
        r.updated[:10]
        for k, r in manifest.layers.items()
        if k == "countries"
        or k in spec.layers
        or (k == "conflict-events" and "country-summary" in spec.layers)
    ]
    lon, lat = canvas.view.centre
    sources = [a for a in canvas.attributions if canvas.synthetic or "synthetic" not in a]
    lines = [f"{text(spec.lang, 'snapshot_sources')}: " + "; ".join(sources) + "."]
    if canvas.synthetic:
        lines.append(text(spec.lang, "snapshot_synthetic") + ".")
    lines.append(
        text(
            spec.lang,
            "snapshot_data_version",
            version=manifest.data_version,
            date=max(used) if used else "—",
        )
        + " · "
        + text(spec.lang, "snapshot_projection", lon=lon, lat=lat)
        + " ("
        + text(spec.lang, "snapshot_scale_note")
        + ")."
    )
    return lines
