"""Choropleth classes, the one palette of the maps and the snapshots, and their legend rows.

Counts and rates: zero is its own pale class, the positive values are split by Fisher-Jenks (at
most ``MAX_CLASSES``) on the YlOrRd ramp from 0.2 to 1.0; the legend's ranges are contiguous
(``1 – 391``, ``392 – 1,120``...: each class includes its upper bound). ``change_pct`` has fixed breaks around
zero on a diverging ramp. Missing values are ``NO_DATA`` grey, drawn hatched on a snapshot.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import mapclassify
import numpy as np
import pandas as pd
from matplotlib import colormaps
from matplotlib.colors import to_hex

from geo.i18n import number, text

NO_DATA = "#e8e4dc"
ZERO = "#fbf4e6"
RAMP = "YlOrRd"
"""Matplotlib colormap of the count and rate classes, used from ``RAMP_RANGE[0]`` to ``[1]``."""
RAMP_RANGE = (0.2, 1.0)
MAX_CLASSES = 5
CHANGE_BREAKS = (-50.0, -10.0, 10.0, 50.0)
"""Upper bounds (included) of the first four ``change_pct`` classes, the same on every map."""
CHANGE_COLORS = ("#2166ac", "#92c5de", "#f7f7f7", "#f4a582", "#b2182b")


@dataclass(frozen=True)
class LegendRow:
    """One class of the legend: its label, its colour and whether it is hatched (no data)."""

    label: str
    color: str
    hatched: bool = False


@dataclass(frozen=True)
class Classes:
    """A choropleth classification: one colour per value, the no-data mask and the legend."""

    colors: list[str]
    hatched: np.ndarray
    """True where the value is missing (drawn hatched on a snapshot)."""
    legend: list[LegendRow]
    """From the lowest class to the highest, then no-data when a value is missing."""


def classify(values: pd.Series | np.ndarray, metric: str, lang: str, *, k: int = MAX_CLASSES) -> Classes:
    """Colour ``values`` (NaN or None = no data) in the classes of ``metric``, labelled in ``lang``.

    Parameters
    ----------
    values : one value per feature
    metric : a column of the summaries; ``change_pct`` gets fixed diverging classes
    lang : language of the labels (``en`` or ``fr``: thousands separator and decimal mark)
    k : at most this many classes of positive values (fewer when fewer distinct values)

    Returns
    -------
    Classes with the colours in the order of ``values``.

    Examples
    --------
    >>> c = classify(pd.Series([0, 1, 2, 50, 60, None]), "events", "en", k=2)
    >>> c.colors[0] == ZERO, c.colors[3] == c.colors[4], c.hatched.tolist()[-2:]
    (True, True, [False, True])
    >>> [row.label for row in c.legend]
    ['0', '1 – 2', '3 – 60', 'no data']
    """
    numbers = pd.to_numeric(pd.Series(values), errors="coerce").astype("float64").to_numpy()
    missing = np.isnan(numbers)
    colors = np.full(len(numbers), NO_DATA, dtype=object)
    if metric == "change_pct":
        legend = _change_classes(numbers, ~missing, colors, lang)
    else:
        legend = _count_classes(numbers, ~missing, colors, lang, k)
    if missing.any():
        legend.append(LegendRow(text(lang, "no_data"), NO_DATA, True))
    return Classes([str(c) for c in colors], missing, legend)


def _change_classes(numbers: np.ndarray, valid: np.ndarray, colors: np.ndarray, lang: str) -> list[LegendRow]:
    bins = np.digitize(numbers[valid], CHANGE_BREAKS, right=True)
    colors[valid] = np.asarray(CHANGE_COLORS, dtype=object)[bins]
    b = [number(lang, v, sign=v > 0) for v in CHANGE_BREAKS]
    labels = [
        f"< {b[0]} %",
        f"{b[0]} – {b[1]} %",
        f"{b[1]} – {b[2]} %",
        f"{b[2]} – {b[3]} %",
        f"> {b[3]} %",
    ]
    return [LegendRow(label, color) for label, color in zip(labels, CHANGE_COLORS, strict=True)]


def _count_classes(numbers: np.ndarray, valid: np.ndarray, colors: np.ndarray, lang: str, k: int) -> list[LegendRow]:
    if not valid.any():  # nothing but "no data": no class of zero either
        return []
    positive = valid & (numbers > 0)
    colors[valid & (numbers <= 0)] = ZERO
    legend = [LegendRow(number(lang, 0), ZERO)]
    distinct = np.unique(numbers[positive])
    if not len(distinct):
        return legend
    n = int(min(k, len(distinct)))
    palette = ramp_colors(n)
    if n == 1:
        bins, uppers = np.zeros(int(positive.sum()), dtype=int), [float(distinct[0])]
    else:
        bins, uppers = _fisher_jenks(numbers[positive], n)
    colors[positive] = np.asarray(palette, dtype=object)[bins]
    # Contiguous ranges: whole numbers start one above the previous class's upper bound; other
    # values share the bound (each class includes its upper bound).
    step = 1.0 if bool(np.all(distinct == np.round(distinct))) else 0.0
    low = float(distinct[0])
    for color, high in zip(palette, uppers, strict=False):
        legend.append(LegendRow(_range_label(low, high, lang), color))
        low = high + step
    return legend


def ramp_colors(n: int) -> list[str]:
    """``n`` colours evenly spaced on ``RAMP`` over ``RAMP_RANGE``, lightest first.

    Examples
    --------
    >>> ramp_colors(3)
    ['#fee187', '#fc5b2e', '#800026']
    """
    ramp, (start, stop) = colormaps[RAMP], RAMP_RANGE
    return [to_hex(ramp(start + (stop - start) * i / max(n - 1, 1))) for i in range(n)]


def _range_label(low: float, high: float, lang: str) -> str:
    """``low – high`` (or one value), whole numbers from 10 up, else two decimals."""

    def fmt(v: float) -> str:
        return number(lang, v, 0 if abs(v) >= 10 or float(v).is_integer() else 2)

    return fmt(low) if low == high else f"{fmt(low)} – {fmt(high)}"


def _fisher_jenks(data: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    """Class index of each value and the upper bound of each class."""
    # One value per polygon, a few hundred at most: the pure-Python path is fast enough, so
    # mapclassify's advice to install numba is not news.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Numba not installed", category=UserWarning)
        scheme = mapclassify.FisherJenks(data, k=k)
    return scheme.yb, [float(b) for b in scheme.bins]
