"""Map furniture: title block, legend panel, scale bar, north arrow, sources line."""

from __future__ import annotations

import textwrap

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgba
from matplotlib.patches import FancyBboxPatch, Polygon, Rectangle

from geo.i18n import number, text
from geo.render.canvas import Canvas, LegendBlock

INK = "#1d1d1d"
MUTED = "#5a5a5a"
ALERT = "#b00020"


def draw_header(ax: Axes, title: str, subtitle: str, scale: float, width_pt: float) -> None:
    """Title and subtitle, left-aligned in the header axes (coordinates in points)."""
    ax.text(
        0,
        1,
        title,
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=15 * scale,
        fontweight="bold",
        color=INK,
    )
    lines = textwrap.wrap(subtitle, max(20, int(width_pt / (8.5 * scale * 0.6))))[:2]
    ax.text(
        0,
        0.02,
        "\n".join(lines),
        transform=ax.transAxes,
        ha="left",
        va="bottom",
        fontsize=8.5 * scale,
        color=MUTED,
        linespacing=1.3,
    )


def draw_footer(ax: Axes, lines: list[str], scale: float, width_pt: float) -> None:
    """Sources, data version and projection, wrapped to the figure width."""
    wrapped: list[str] = []
    for line in lines:
        wrapped.extend(textwrap.wrap(line, max(30, int(width_pt / (6.2 * scale * 0.6)))))
    ax.text(
        0,
        1,
        "\n".join(wrapped[:4]),
        transform=ax.transAxes,
        ha="left",
        va="top",
        fontsize=6.2 * scale,
        color=MUTED,
        linespacing=1.35,
    )


def draw_legend(
    ax: Axes,
    blocks: list[LegendBlock],
    notes: list[str],
    scale: float,
    width_pt: float,
    height_pt: float,
) -> None:
    """The legend panel: swatch and marker blocks, then notes (points from the top)."""
    ax.set_xlim(0, width_pt)
    ax.set_ylim(-height_pt, 0)
    y = 0.0
    row = 13.0 * scale
    chars = max(14, int((width_pt - 22 * scale) / (7.2 * scale * 0.55)))
    for block in blocks:
        if block.title:
            for line in textwrap.wrap(block.title, max(14, int(width_pt / (7.8 * scale * 0.58)))):
                ax.text(
                    0,
                    y,
                    line,
                    ha="left",
                    va="top",
                    fontsize=7.8 * scale,
                    fontweight="bold",
                    color=INK,
                )
                y -= 11.0 * scale
            y -= 2 * scale
        for entry in block.entries:
            centre = y - row / 2
            if entry.marker:
                ax.scatter(
                    [8 * scale],
                    [centre],
                    s=entry.size**2,
                    marker=entry.marker,
                    c=entry.fill,
                    edgecolors=entry.edge,
                    linewidths=0.6 * scale,
                    alpha=entry.alpha,
                    clip_on=False,
                )
            else:
                ax.add_patch(
                    Rectangle(
                        (0, centre - 4.5 * scale),
                        16 * scale,
                        9 * scale,
                        facecolor=to_rgba(entry.fill, entry.alpha),
                        edgecolor=entry.edge,
                        linewidth=0.5 * scale if entry.alpha >= 1 else 1.2 * scale,
                        hatch=entry.hatch or None,
                    )
                )
            lines = textwrap.wrap(entry.label, chars)
            ax.text(
                22 * scale,
                centre,
                "\n".join(lines),
                ha="left",
                va="center",
                fontsize=7.2 * scale,
                color=INK,
                linespacing=1.2,
            )
            step = max(row, entry.size + 3 * scale, len(lines) * 9.5 * scale)
            y -= step
        y -= 7 * scale
    for note in notes:
        for line in textwrap.wrap(note, max(16, int(width_pt / (6.4 * scale * 0.55)))):
            ax.text(
                0, y, line, ha="left", va="top", fontsize=6.4 * scale, color=MUTED, style="italic"
            )
            y -= 9 * scale
        y -= 4 * scale


def draw_scale_bar(canvas: Canvas) -> None:
    """A two-segment scale bar, lower left, in the projected CRS (true at the centre)."""
    ax, scale = canvas.ax, canvas.font_scale
    xmin, ymin, xmax, ymax = canvas.extent
    target = (xmax - xmin) * 0.18
    length = _nice(target)
    pad = 12 * scale * canvas.metres_per_point
    x0, y0 = xmin + pad, ymin + pad * 1.1
    h = 4 * scale * canvas.metres_per_point
    half = length / 2
    ax.add_patch(
        FancyBboxPatch(
            (x0 - pad * 0.5, y0 - pad * 0.45),
            length + pad * 0.5 + 22 * scale * canvas.metres_per_point,
            h + pad * 1.55,
            boxstyle="square,pad=0",
            facecolor="white",
            edgecolor="none",
            alpha=0.75,
            zorder=11,
        )
    )
    ax.add_patch(
        Rectangle((x0, y0), half, h, facecolor=INK, edgecolor=INK, linewidth=0.6 * scale, zorder=12)
    )
    ax.add_patch(
        Rectangle(
            (x0 + half, y0),
            half,
            h,
            facecolor="white",
            edgecolor=INK,
            linewidth=0.6 * scale,
            zorder=12,
        )
    )
    km = length / 1000
    font = 6.5 * scale
    for pos, value in ((x0, 0), (x0 + half, km / 2), (x0 + length, km)):
        ax.text(
            pos,
            y0 + h * 1.5,
            number(canvas.lang, value, 0 if value == int(value) else 1),
            ha="center",
            va="bottom",
            fontsize=font,
            color=INK,
            zorder=12,
        )
    ax.text(
        x0 + length + 5 * scale * canvas.metres_per_point,
        y0 + h / 2,
        "km",
        ha="left",
        va="center",
        fontsize=font,
        color=INK,
        zorder=12,
    )


def draw_north_arrow(canvas: Canvas) -> None:
    """A north arrow in the upper right, along the central meridian of the projection."""
    ax, scale, mpp = canvas.ax, canvas.font_scale, canvas.metres_per_point
    xmin, ymin, xmax, ymax = canvas.extent
    cx, cy = xmax - 18 * scale * mpp, ymax - 30 * scale * mpp
    length, half = 20 * scale * mpp, 6 * scale * mpp
    tip, notch = (cx, cy + length / 2), (cx, cy - length * 0.25)
    ax.add_patch(
        Polygon(
            [tip, (cx - half, cy - length / 2), notch],
            closed=True,
            facecolor=INK,
            edgecolor=INK,
            linewidth=0.6 * scale,
            zorder=12,
        )
    )
    ax.add_patch(
        Polygon(
            [tip, (cx + half, cy - length / 2), notch],
            closed=True,
            facecolor="white",
            edgecolor=INK,
            linewidth=0.6 * scale,
            zorder=12,
        )
    )
    ax.text(
        cx,
        tip[1] + 3 * scale * mpp,
        text(canvas.lang, "snapshot_north"),
        ha="center",
        va="bottom",
        fontsize=8 * scale,
        fontweight="bold",
        color=INK,
        zorder=12,
    )


def draw_synthetic_banner(canvas: Canvas) -> None:
    """The "synthetic demo data" warning, on the map itself so that no crop loses it."""
    canvas.ax.text(
        0.012,
        0.985,
        text(canvas.lang, "snapshot_synthetic"),
        transform=canvas.ax.transAxes,
        ha="left",
        va="top",
        fontsize=7.5 * canvas.font_scale,
        fontweight="bold",
        color=ALERT,
        zorder=13,
        bbox={
            "boxstyle": "round,pad=0.35",
            "facecolor": "white",
            "edgecolor": ALERT,
            "linewidth": 0.8 * canvas.font_scale,
            "alpha": 0.92,
        },
    )


def _nice(value: float) -> float:
    exponent = np.floor(np.log10(value))
    for m in (5, 2, 1):
        if m * 10**exponent <= value:
            return float(m * 10**exponent)
    return float(10**exponent)
