"""Choropleth classes: breaks from mapclassify, colours from the catalogue style, legend labels."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np
from matplotlib import colormaps
from matplotlib.colors import to_hex

from geo.render.labels import number, text

CHANGE_BREAKS = (-50.0, -10.0, 10.0, 50.0)
"""Fixed classes for ``change_pct`` so that a rise reads the same on every map."""
ZERO_COLOUR = "#fbfaf6"
NO_DATA_COLOUR = "#e4e1da"
MAX_CLASSES = 5


@dataclass(frozen=True)
class Classes:
    """Per-feature colours and the legend rows (label, colour, hatched)."""

    colours: list[str]
    hatched: np.ndarray
    legend: list[tuple[str, str, bool]]


def classify(values: np.ndarray, metric: str, colormap: str, lang: str) -> Classes:
    """Class ``values`` (NaN = no data) for ``metric``.

    Counts and rates: zero is its own class, positive values are split by Fisher-Jenks (at most
    five classes; deterministic). ``change_pct`` uses fixed breaks around zero on a diverging ramp.

    Examples
    --------
    >>> c = classify(np.array([0, 1, 5, 50, np.nan]), "events", "YlOrRd", "en")
    >>> [row[0] for row in c.legend]
    ['None', '1', '2 – 5', '6 – 50', 'No data']
    """
    values = np.asarray(values, dtype=float)
    if metric == "change_pct":
        return _change(values, lang)
    decimals = 2 if metric == "events_per_100k" else 0
    colours = [NO_DATA_COLOUR] * len(values)
    legend: list[tuple[str, str, bool]] = [(text(lang, "no_events"), ZERO_COLOUR, False)]
    positive = np.isfinite(values) & (values > 0)
    for i in np.flatnonzero(np.isfinite(values) & (values <= 0)):
        colours[i] = ZERO_COLOUR
    data = values[positive]
    if len(data):
        unique = np.unique(data)
        k = min(MAX_CLASSES, len(unique))
        bins = unique if k == len(unique) else _fisher_jenks(data, k)
        ramp = colormaps[colormap]
        palette = [to_hex(ramp(p)) for p in np.linspace(0.18, 0.92, len(bins))]
        index = np.searchsorted(bins, data, side="left")
        for row, cls in zip(np.flatnonzero(positive), index, strict=True):
            colours[row] = palette[min(cls, len(bins) - 1)]
        step = 10**-decimals
        low = float(data.min())
        for upper, colour in zip(bins, palette, strict=True):
            lo, hi = number(lang, low, decimals), number(lang, upper, decimals)
            legend.append((lo if lo == hi else f"{lo} – {hi}", colour, False))
            low = float(upper) + step if decimals == 0 else float(upper)
    hatched = ~np.isfinite(values)
    if hatched.any():
        legend.append((text(lang, "no_data"), NO_DATA_COLOUR, True))
    return Classes(colours, hatched, legend)


def _change(values: np.ndarray, lang: str) -> Classes:
    ramp = colormaps["RdBu_r"]
    palette = [to_hex(ramp(p)) for p in (0.1, 0.3, 0.5, 0.7, 0.9)]
    finite = np.isfinite(values)
    index = np.searchsorted(np.array(CHANGE_BREAKS), np.where(finite, values, 0), side="left")
    colours = [palette[i] if ok else NO_DATA_COLOUR for i, ok in zip(index, finite, strict=True)]
    b = [number(lang, v) for v in CHANGE_BREAKS]
    legend = [
        (f"≤ {b[0]}", palette[0], False),
        (f"{b[0]} – {b[1]}", palette[1], False),
        (f"{b[1]} – {b[2]}", palette[2], False),
        (f"{b[2]} – {b[3]}", palette[3], False),
        (f"> {b[3]}", palette[4], False),
        (text(lang, "no_data"), NO_DATA_COLOUR, True),
    ]
    return Classes(colours, ~finite, legend)


def _fisher_jenks(data: np.ndarray, k: int) -> np.ndarray:
    # A few hundred values at most (one per polygon): the pure-Python path is fast enough, so
    # mapclassify's advice to install numba is not news.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        return mapclassify.FisherJenks(data, k=k).bins
