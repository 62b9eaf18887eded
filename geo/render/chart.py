"""The monthly trend chart of a country: events and fatalities per month by event type (matplotlib).

Drawn beside the country map (``/map-data/chart/<iso3>.svg``) and in the briefing packs (PNG).
"""

from __future__ import annotations

import io
import threading

import matplotlib
import pandas as pd
from matplotlib.figure import Figure

from geo.analytics.timeseries import monthly_by_type

TYPE_COLORS = [
    "#b2182b",
    "#ef8a62",
    "#7b3294",
    "#2166ac",
    "#4d9221",
    "#8c510a",
    "#01665e",
    "#999999",
]
METADATA = {"svg": {"Date": None}, "png": {"Software": None}}
_LOCK = threading.Lock()


def monthly_chart(
    events: pd.DataFrame,
    t: dict[str, str],
    country: str,
    fmt: str = "svg",
    size: tuple[float, float] = (6.4, 5.6),
    dpi: int = 100,
) -> bytes:
    """Two stacked bar charts (events, fatalities) per month, one colour per event type.

    Parameters
    ----------
    events : the selected events (``event_date``, ``event_type``, ``fatalities``)
    t : the words of the chart (``chart_events``, ``chart_fatalities``, ``chart_empty``)
    country : the title
    fmt : ``svg`` (text escaped by matplotlib's writer, glyphs as paths: no font file needed) or ``png``
    size, dpi : figure size in inches and resolution

    Returns
    -------
    The file content; the same data give the same bytes.
    """
    with _LOCK, matplotlib.rc_context({"font.family": "DejaVu Sans", "svg.hashsalt": "coopmap-chart"}):
        return _draw(events, t, country, fmt, size, dpi)


def _draw(
    events: pd.DataFrame, t: dict[str, str], country: str, fmt: str, size: tuple[float, float], dpi: int
) -> bytes:
    counts, deaths = monthly_by_type(events)
    fig = Figure(figsize=size, dpi=dpi)
    axes = fig.subplots(2, 1, sharex=True)
    if counts.empty:
        for ax in axes:
            ax.text(
                0.5,
                0.5,
                t["chart_empty"],
                ha="center",
                va="center",
                transform=ax.transAxes,
                color="#666",
            )
            ax.set_xticks([])
            ax.set_yticks([])
    else:
        labels = [str(p) for p in counts.index]
        positions = range(len(labels))
        for ax, table, title in (
            (axes[0], counts, t["chart_events"]),
            (axes[1], deaths, t["chart_fatalities"]),
        ):
            bottom = pd.Series(0, index=table.index)
            for i, name in enumerate(table.columns):
                ax.bar(
                    positions,
                    table[name].to_numpy(),
                    bottom=bottom.to_numpy(),
                    width=0.85,
                    color=TYPE_COLORS[i % len(TYPE_COLORS)],
                    label=str(name),
                )
                bottom = bottom + table[name]
            ax.set_title(title, loc="left", fontsize=10)
            ax.grid(axis="y", color="#dddddd", linewidth=0.6)
            ax.set_axisbelow(True)
            for side in ("top", "right"):
                ax.spines[side].set_visible(False)
        step = max(1, len(labels) // 12)
        axes[1].set_xticks(
            list(positions)[::step], labels[::step], rotation=45, ha="right", fontsize=8
        )
        handles, names = axes[0].get_legend_handles_labels()
        fig.legend(handles, names, fontsize=8, frameon=False, loc="lower center", ncols=2)
    fig.suptitle(country, fontsize=12, x=0.02, ha="left", fontweight="bold")
    fig.tight_layout(rect=(0, 0.1 if not counts.empty else 0, 1, 1))
    out = io.BytesIO()
    fig.savefig(out, format=fmt, dpi=dpi, metadata=METADATA[fmt], facecolor="white")
    return out.getvalue()
