"""Monthly counts of conflict events, for the trend chart beside a country map."""

from __future__ import annotations

import pandas as pd


def monthly_by_type(events: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Events and fatalities per calendar month and event type.

    Parameters
    ----------
    events : conflict events already selected (country, period, type)

    Returns
    -------
    (events, fatalities): two frames indexed by month (``Period[M]``, every month between the first
    and the last present, gaps filled with 0), one column per event type

    Examples
    --------
    >>> counts, deaths = monthly_by_type(events)  # doctest: +SKIP
    >>> counts.loc["2024-03", "Battles"]  # doctest: +SKIP
    4
    """
    if not len(events):
        empty = pd.DataFrame(index=pd.PeriodIndex([], freq="M"))
        return empty, empty.copy()
    frame = pd.DataFrame(
        {
            "month": pd.to_datetime(events["event_date"]).dt.to_period("M"),
            "event_type": events["event_type"].astype("string").fillna("?"),
            "fatalities": events["fatalities"].to_numpy(dtype="int64", na_value=0),
        }
    )
    months = pd.period_range(frame["month"].min(), frame["month"].max(), freq="M")
    grouped = frame.groupby(["month", "event_type"])["fatalities"]
    counts = grouped.size().unstack(fill_value=0).reindex(months, fill_value=0)
    deaths = grouped.sum().unstack(fill_value=0).reindex(months, fill_value=0)
    return counts.astype("int64"), deaths.astype("int64")


def month_range(events: pd.DataFrame) -> list[str]:
    """Every month (``YYYY-MM``) from the first to the last event; empty without events."""
    if not len(events):
        return []
    dates = pd.to_datetime(events["event_date"])
    first, last = dates.min(), dates.max()
    if pd.isna(first):
        return []
    return [str(p) for p in pd.period_range(first.to_period("M"), last.to_period("M"), freq="M")]
