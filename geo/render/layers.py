"""Drawing the catalogue layers on a snapshot canvas, with the catalogue's styles.

Dense events are aggregated on a grid of nice-sized cells drawn as proportional circles (as the
interactive map clusters them), so a million events draw as a few hundred symbols. Events known
only to a province or a country (``precision`` >= 3) are never drawn as exact points: they are
counted in the choropleth.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from matplotlib.patheffects import withStroke

from geo.analytics.prepared import EventArrays, select_events
from geo.events import SYNTHETIC
from geo.i18n import TEXTS, number, text
from geo.query import Query
from geo.render.canvas import Canvas, LegendBlock, LegendEntry
from geo.render.classes import classify
from geo.render.style import MapLayer, Style

POINT_LIMIT = 2500
"""Above this many events in view, events are aggregated in grid cells."""
CELL_POINTS = 13.0
"""Target grid cell size in points (rounded to a nice distance)."""
HALO = [withStroke(linewidth=2.2, foreground="white", alpha=0.85)]


def layer_name(lang: str, layer: MapLayer) -> str:
    """The legend label of ``layer``: the snapshot's own words for it, else its title."""
    key = f"snapshot_legend_{layer.id}"
    if key in TEXTS:
        return text(lang, key)
    return layer.titles.get(lang, layer.id)


def draw_base(canvas: Canvas, countries: gpd.GeoDataFrame, layer: MapLayer) -> None:
    """Land and country borders (the ``countries`` style)."""
    style = layer.style
    countries.plot(ax=canvas.ax, color=style.fill_color, edgecolor="none", zorder=1)
    canvas.attribute(layer.attribution)


def draw_borders(
    canvas: Canvas, countries: gpd.GeoDataFrame, borders: gpd.GeoSeries, layer: MapLayer
) -> None:
    """Country borders (``countries.boundary``, precomputed) over the fills."""
    borders.plot(
        ax=canvas.ax,
        color=layer.style.color,
        linewidth=layer.style.weight * canvas.font_scale,
        zorder=4,
    )
    if canvas.view.focus_iso3:
        focus = borders[(countries["iso3"] == canvas.view.focus_iso3).to_numpy()]
        focus.plot(ax=canvas.ax, color="#222222", linewidth=1.6 * canvas.font_scale, zorder=5)


def draw_choropleth(
    canvas: Canvas,
    polygons: gpd.GeoDataFrame,
    values: np.ndarray,
    metric: str,
    layer: MapLayer,
    *,
    fill_missing: bool = True,
) -> None:
    """Fill ``polygons`` by ``values`` in classes (NaN: no data), with a legend block.

    A count missing for a polygon is 0 (no event there) unless ``fill_missing`` is False (the
    period has no data: every polygon is no data)."""
    joined = np.asarray(values, dtype=float)
    if metric != "change_pct" and fill_missing:
        joined = np.where(np.isnan(joined), 0.0, joined)
    classes = classify(joined, metric, canvas.lang)
    frame = polygons.assign(_colour=classes.colors)
    frame.plot(ax=canvas.ax, color=frame["_colour"].tolist(), edgecolor="none", zorder=2)
    if classes.hatched.any():
        frame[classes.hatched].plot(
            ax=canvas.ax,
            facecolor="none",
            edgecolor="#b5b0a6",
            hatch="////",
            linewidth=0,
            zorder=2.5,
        )
    title = text(canvas.lang, f"snapshot_metric_{metric}")
    block = LegendBlock(
        title,
        [
            LegendEntry(row.label, fill=row.color, hatch="////" if row.hatched else "")
            for row in classes.legend
        ],
    )
    canvas.legend.append(block)
    canvas.attribute(layer.attribution)


def draw_polygons(canvas: Canvas, frame: gpd.GeoDataFrame, layer: MapLayer) -> None:
    """Outlined (and lightly filled) polygons: provinces, project footprints."""
    if frame.empty:
        return
    style = layer.style
    if style.fill_opacity > 0:
        frame.plot(
            ax=canvas.ax,
            color=style.fill_color,
            alpha=style.fill_opacity,
            edgecolor="none",
            zorder=3,
        )
    frame.boundary.plot(
        ax=canvas.ax, color=style.color, linewidth=style.weight * canvas.font_scale, zorder=3.5
    )
    canvas.legend.append(
        LegendBlock(
            "",
            [
                LegendEntry(
                    layer_name(canvas.lang, layer),
                    fill=style.fill_color,
                    edge=style.color,
                    alpha=max(style.fill_opacity, 0.0),
                )
            ],
        )
    )
    canvas.attribute(layer.attribution)


def events_in_window(arrays: EventArrays, query: Query, canvas: Canvas) -> pd.DataFrame:
    """Events matching the period and filters in the map window: lon, lat, precision, synthetic.

    The selection of ``geo.analytics.prepared.select_events``; rows in the layer's order.
    """
    chosen = np.flatnonzero(select_events(arrays, query, query.period, bbox=canvas.window))
    chosen = chosen[np.argsort(arrays.order[chosen], kind="stable")]
    return pd.DataFrame(
        {
            "lon": arrays.lon[chosen],
            "lat": arrays.lat[chosen],
            "precision": arrays.precision[chosen],
            "synthetic": arrays.synthetic[chosen],
        }
    )


def draw_events(
    canvas: Canvas, selected: pd.DataFrame, layer: MapLayer, choropleth: bool = True
) -> None:
    """Events with an exact or near location as points, or as grid-cell circles when dense.

    The events known only to a province or a country are counted in a note (``choropleth``:
    whether a summary layer counts them on this map)."""
    style = layer.style
    exact = selected[selected["precision"].fillna(1).to_numpy() < 3]
    vague = len(selected) - len(exact)
    x, y = canvas.project_xy(exact["lon"].to_numpy(), exact["lat"].to_numpy())
    xmin, ymin, xmax, ymax = canvas.extent
    keep = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    x, y = x[keep], y[keep]
    block = LegendBlock(text(canvas.lang, "events_layer"))
    if len(x) <= POINT_LIMIT:
        size = canvas.points(2 * style.radius * 0.55)
        _ringed_scatter(canvas, x, y, np.full(len(x), size), style, alpha=0.85)
        block.entries.append(
            LegendEntry(
                text(canvas.lang, "snapshot_events_points"),
                fill=style.fill_color,
                edge=style.color,
                marker="o",
                size=size,
                alpha=0.85,
            )
        )
    else:
        _draw_cells(canvas, x, y, layer, block)
    if vague:
        key = "snapshot_not_drawn" if choropleth else "snapshot_not_drawn_plain"
        canvas.notes.append(text(canvas.lang, key, n=number(canvas.lang, vague)))
    canvas.legend.append(block)
    canvas.attribute(layer.attribution)


def _draw_cells(
    canvas: Canvas, x: np.ndarray, y: np.ndarray, layer: MapLayer, block: LegendBlock
) -> None:
    style = layer.style
    cell = nice_distance(CELL_POINTS * canvas.font_scale * canvas.metres_per_point)
    xmin, ymin, _, _ = canvas.extent
    ix = np.floor((x - xmin) / cell).astype(np.int64)
    iy = np.floor((y - ymin) / cell).astype(np.int64)
    key = ix * 1_000_003 + iy
    cells, inverse, counts = np.unique(key, return_inverse=True, return_counts=True)
    cx = np.bincount(inverse, weights=x) / counts
    cy = np.bincount(inverse, weights=y) / counts
    top = float(counts.max())
    biggest = cell / canvas.metres_per_point * 1.1
    diameters = np.maximum(biggest * np.sqrt(counts / top), canvas.points(2.5))
    order = np.argsort(-counts, kind="stable")
    _ringed_scatter(canvas, cx[order], cy[order], diameters[order], style, alpha=0.8)
    block.title = text(canvas.lang, "snapshot_events_cells", km=cell / 1000)
    for value in _reference_counts(int(top)):
        d = max(biggest * np.sqrt(value / top), canvas.points(2.5))
        block.entries.append(
            LegendEntry(
                number(canvas.lang, value),
                fill=style.fill_color,
                edge=style.color,
                marker="o",
                size=float(d),
                alpha=0.8,
            )
        )


def _ringed_scatter(
    canvas: Canvas, x: np.ndarray, y: np.ndarray, diameters: np.ndarray, style: Style, alpha: float
) -> None:
    """Circles in the catalogue style over a thin white ring, so they stay visible on the
    darkest choropleth class (the same red family)."""
    canvas.ax.scatter(
        x,
        y,
        s=diameters**2,
        facecolors="none",
        edgecolors="white",
        linewidths=1.6 * canvas.font_scale,
        alpha=0.9,
        zorder=5.9,
    )
    canvas.ax.scatter(
        x,
        y,
        s=diameters**2,
        c=style.fill_color,
        edgecolors=style.color,
        linewidths=0.5 * canvas.font_scale,
        alpha=alpha,
        zorder=6,
    )


def _reference_counts(top: int) -> list[int]:
    """Up to three round counts for the size legend, largest first."""
    first = int(nice_distance(top, down=True))
    out = [first]
    for share in (0.25, 0.04):
        value = int(nice_distance(max(first * share, 1), down=True))
        if value < out[-1]:
            out.append(value)
    return out


def nice_distance(value: float, down: bool = False) -> float:
    """The closest 1, 2 or 5 × 10^k to ``value`` (at most ``value`` when ``down``).

    Examples
    --------
    >>> nice_distance(37_000), nice_distance(37_000, down=True)
    (50000.0, 20000.0)
    """
    exponent = np.floor(np.log10(value))
    candidates = [m * 10**e for e in (exponent - 1, exponent, exponent + 1) for m in (1, 2, 5)]
    if down:
        return float(max(c for c in candidates if c <= value))
    return float(min(candidates, key=lambda c: abs(np.log(c / value))))


def draw_sites(
    canvas: Canvas,
    frame: gpd.GeoDataFrame,
    layer: MapLayer,
    marker: str,
    countries: gpd.GeoDataFrame | None,
) -> None:
    """Registry points (projects, ENVR). Layers marked ``generalise_geometry`` are shown at their
    country's label point (public view), with the number of sites next to the symbol."""
    if frame.empty:
        return
    style = layer.style
    if "source_dataset" in frame and (frame["source_dataset"].astype("string") == SYNTHETIC).any():
        canvas.synthetic = True
    if layer.generalise_geometry and countries is not None and "country_iso3" in frame:
        points = countries.set_index("iso3")[["label_x", "label_y"]]
        counts = frame["country_iso3"].astype("string").value_counts()
        counts = counts[counts.index.isin(points.index)].sort_index()
        lon, lat = (
            points.loc[counts.index, "label_x"].to_numpy(),
            points.loc[counts.index, "label_y"].to_numpy(),
        )
        labels = [str(c) if c > 1 else "" for c in counts.to_numpy()]
    else:
        coords = shapely.get_coordinates(frame.geometry.values)
        lon, lat, labels = coords[:, 0], coords[:, 1], [""] * len(coords)
    x, y = canvas.project_xy(lon, lat)
    if layer.generalise_geometry:
        y = y + canvas.points(2 * style.radius) * canvas.metres_per_point  # clear of the name
    xmin, ymin, xmax, ymax = canvas.extent
    keep = (x >= xmin) & (x <= xmax) & (y >= ymin) & (y <= ymax)
    if not keep.any():
        return
    size = canvas.points(2 * style.radius * 0.9)
    canvas.ax.scatter(
        x[keep],
        y[keep],
        s=size**2,
        marker=marker,
        c=style.fill_color,
        edgecolors=style.color,
        linewidths=0.8 * canvas.font_scale,
        zorder=8,
    )
    for xi, yi, label in zip(x[keep], y[keep], np.asarray(labels, dtype=object)[keep], strict=True):
        if label:
            canvas.ax.annotate(
                label,
                (xi, yi),
                xytext=(size * 0.6, size * 0.4),
                textcoords="offset points",
                fontsize=6.5 * canvas.font_scale,
                color=style.color,
                fontweight="bold",
                path_effects=HALO,
                zorder=9,
            )
    canvas.legend.append(
        LegendBlock(
            "",
            [
                LegendEntry(
                    layer_name(canvas.lang, layer),
                    fill=style.fill_color,
                    edge=style.color,
                    marker=marker,
                    size=size,
                )
            ],
        )
    )
    canvas.attribute(layer.attribution)
