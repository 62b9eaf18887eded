"""Place names on a snapshot: countries that fit at this scale, provinces of the focus country."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.patheffects import Stroke

from geo.render.canvas import Canvas


def draw_labels(
    canvas: Canvas, countries: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame | None
) -> None:
    """Country names that fit their country at this scale (the focus country in bold), and the
    province names of the focus country."""
    name_field = "name_fr" if canvas.lang == "fr" and "name_fr" in countries else "name"
    x, y = canvas.project_xy(countries["label_x"].to_numpy(), countries["label_y"].to_numpy())
    xmin, ymin, xmax, ymax = canvas.extent
    visible = shapely.clip_by_rect(countries.geometry.values, xmin, ymin, xmax, ymax)
    bounds = shapely.bounds(visible)
    widths = np.nan_to_num(bounds[:, 2] - bounds[:, 0])
    inside = (xmin < x) & (x < xmax) & (ymin < y) & (y < ymax)
    moved = ~inside & ~shapely.is_empty(visible)
    for i in np.flatnonzero(moved):
        # The label point is off the map but part of the country shows: label that part.
        parts = shapely.get_parts(visible[i])
        largest = parts[int(np.argmax(shapely.area(parts)))]
        point = shapely.point_on_surface(largest)
        x[i], y[i] = point.x, point.y
        minx, _, maxx, _ = largest.bounds
        widths[i] = maxx - minx
        inside[i] = True
    mpp = canvas.metres_per_point
    for i, row in enumerate(countries.itertuples()):
        if not inside[i]:
            continue
        focus = row.iso3 == canvas.view.focus_iso3
        size = (9.5 if focus else 7.0) * canvas.font_scale
        room = widths[i] / mpp
        label = str(getattr(row, name_field) or row.name)
        if len(label) * size * 0.55 > room * 1.1:
            label = row.iso3
            if moved[i] or (len(label) * size * 0.6 > room * 1.3 and not focus):
                continue
        half_w, half_h = len(label) * size * 0.3 * mpp, size * 0.6 * mpp
        if (
            x[i] - half_w < xmin
            or x[i] + half_w > xmax
            or y[i] - half_h < ymin
            or y[i] + half_h > ymax
        ):
            continue  # would be cut by the map frame
        halo_text(
            canvas,
            x[i],
            y[i],
            label,
            fontsize=size,
            color="#222222" if focus else "#4a4a4a",
            fontweight="bold" if focus else "normal",
            zorder=10,
        )
    if provinces is not None and canvas.view.focus_iso3 and len(provinces):
        own = provinces[provinces["iso3"] == canvas.view.focus_iso3]
        points = own.geometry.representative_point()
        for name, point in zip(own["name"].astype(str), points, strict=True):
            halo_text(
                canvas,
                point.x,
                point.y,
                name,
                fontsize=5.8 * canvas.font_scale,
                color="#6b5e4e",
                style="italic",
                zorder=9.5,
            )


def halo_text(canvas: Canvas, x: float, y: float, label: str, **style: object) -> None:
    """A map label with a white halo. The halo is a stroked copy underneath, so the label itself
    stays a text element in SVG and PDF (searchable, editable)."""
    common = {"ha": "center", "va": "center", "clip_on": True, **style}
    halo = {**common, "color": "white", "zorder": float(style.get("zorder", 10)) - 0.01}  # type: ignore[arg-type]
    width = 2.4 * canvas.font_scale
    canvas.ax.text(
        x, y, label, path_effects=[Stroke(linewidth=width, foreground="white", alpha=0.85)], **halo
    )
    canvas.ax.text(x, y, label, **common)
