"""When a feature exists: the one rule by which a ``datetime`` period selects features.

A layer's time is a ``TimeSpan``: a start column and, for things that last, an end column.

- An event is an instant: it matches a period containing its date.
- A project lasts from ``start`` to ``end``: it matches a period its [start, end] overlaps; no end
  means ongoing.
- A school exists from the year it was founded on (``founded``, a year, read as 1 January): it
  matches a period when founded by the period's end; a planned school does not exist yet and
  matches no period.
- A feature whose start is unknown matches no period: its dates are unknown, not "always". The
  summaries count such features apart (``dates_unknown``).

Without a period every feature is selected. The feature index (OGC API, downloads, exports), the
summaries and the map's sites all select through ``period_mask``, so they cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from geo.types import Period


@dataclass(frozen=True)
class TimeSpan:
    """Which columns say when a feature exists.

    Parameters
    ----------
    start : the date column (or integer year column) where the feature starts, or its instant
    end : the date column where it ends (a null value: ongoing); None with ``ongoing`` False: an
        instant at ``start``
    ongoing : no end column, every feature lasts from its start on (schools)
    absent : (column, value) marking rows that do not exist yet (planned schools): they match no
        period and are not "dates unknown" either

    Examples
    --------
    >>> TimeSpan("start", "end").describe()
    'start..end'
    """

    start: str
    end: str | None = None
    ongoing: bool = False
    absent: tuple[str, str] | None = None

    def describe(self) -> str:
        """``start``, ``start..end`` or ``start..`` (ongoing)."""
        if self.end is not None:
            return f"{self.start}..{self.end}"
        return f"{self.start}.." if self.ongoing else self.start


PROJECT_SPAN = TimeSpan("start", "end")
"""Projects and their footprints: [start, end], no end = ongoing."""
ENVR_SPAN = TimeSpan("founded", ongoing=True, absent=("status", "planned"))
"""ENVR schools: exist from their founding year on; planned schools not yet."""
EVENT_SPAN = TimeSpan("event_date")
"""Conflict events: an instant."""

_NAT = np.datetime64("NaT", "D")


def span_days(frame: pd.DataFrame, span: TimeSpan) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Start and end days (``datetime64[D]``) and the rows that exist at all.

    A null start is an unknown start; a null end with a known start is ongoing. Columns the frame
    lacks are all null.

    Returns
    -------
    (start, end, exists): ``end`` equals ``start`` for instants and is NaT when ongoing;
    ``exists`` is False for the ``absent`` rows (planned)
    """
    n = len(frame)
    start = _days(frame[span.start]) if span.start in frame.columns else np.full(n, _NAT)
    if span.end is not None:
        end = _days(frame[span.end]) if span.end in frame.columns else np.full(n, _NAT)
    elif span.ongoing:
        end = np.full(n, _NAT)
    else:
        end = start
    exists = np.ones(n, dtype=bool)
    if span.absent is not None and span.absent[0] in frame.columns:
        column, value = span.absent
        exists = (frame[column].astype("string").str.lower() != value).fillna(True).to_numpy(bool)
    return start, end, exists


def overlaps(start: np.ndarray, end: np.ndarray, period: Period) -> np.ndarray:
    """Rows whose [start, end] overlaps ``period`` (NaT end: ongoing; NaT start: never).

    Examples
    --------
    >>> import datetime as dt
    >>> days = np.array(["2023-03-01", "2017-01-01", "NaT"], dtype="datetime64[D]")
    >>> ends = np.array(["2027-02-28", "2024-12-31", "NaT"], dtype="datetime64[D]")
    >>> overlaps(days, ends, Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))).tolist()
    [True, True, False]
    """
    mask = ~np.isnat(start)
    if period.end is not None:
        mask &= start <= np.datetime64(period.end, "D")
    if period.start is not None:
        mask &= np.isnat(end) | (end >= np.datetime64(period.start, "D"))
    return mask


def period_mask(frame: pd.DataFrame, span: TimeSpan, period: Period | None) -> np.ndarray:
    """The rows of ``frame`` that exist in ``period`` (all rows when ``period`` is None)."""
    if period is None:
        return np.ones(len(frame), dtype=bool)
    start, end, exists = span_days(frame, span)
    return overlaps(start, end, period) & exists


def dates_unknown(frame: pd.DataFrame, span: TimeSpan) -> np.ndarray:
    """Rows that exist but whose start is unknown: no period can say whether they match."""
    start, _, exists = span_days(frame, span)
    return np.isnat(start) & exists


def extent(start: np.ndarray, end: np.ndarray) -> tuple[str, str | None] | None:
    """The temporal extent ``(first, last)`` as ISO dates: the earliest known start and the latest
    end; ``last`` is None (unbounded) when a feature with a known start is ongoing. None when no
    start is known.

    Examples
    --------
    >>> days = np.array(["2023-03-01", "2017-01-01"], dtype="datetime64[D]")
    >>> extent(days, np.array(["2027-02-28", "2024-12-31"], dtype="datetime64[D]"))
    ('2017-01-01', '2027-02-28')
    """
    known = ~np.isnat(start)
    if not known.any():
        return None
    first = str(start[known].min())
    ends = end[known]
    if np.isnat(ends).any():
        return first, None
    return first, str(max(ends.max(), start[known].max()))


def _days(column: pd.Series) -> np.ndarray:
    if pd.api.types.is_datetime64_any_dtype(column):
        return column.to_numpy("datetime64[D]")
    if pd.api.types.is_numeric_dtype(column):
        years = pd.to_numeric(column, errors="coerce").to_numpy(float, na_value=np.nan)
        out = np.full(len(years), _NAT)
        known = np.isfinite(years)
        out[known] = (years[known].astype(np.int64) - 1970).astype("datetime64[Y]").astype("datetime64[D]")
        return out
    return pd.to_datetime(column, errors="coerce").to_numpy("datetime64[D]")
