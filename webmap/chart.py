"""The monthly trend chart beside a country map, rendered server-side as SVG (``geo.render.chart``)."""

from __future__ import annotations

import pandas as pd

from geo.render.chart import TYPE_COLORS, monthly_chart

__all__ = ["TYPE_COLORS", "monthly_chart_svg"]


def monthly_chart_svg(events: pd.DataFrame, t: dict[str, str], country: str) -> bytes:
    """Two stacked bar charts (events, fatalities) per month, one colour per event type, as SVG.

    Text goes through matplotlib's SVG writer, which escapes it; fonts are drawn as paths, so the
    SVG needs no font file and no network.
    """
    return monthly_chart(events, t, country, "svg")
