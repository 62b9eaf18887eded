"""The conflict-event layer prepared once per data version for fast analytics.

Summaries, exposure and rasters all select events by period and filters and then count them by
some key. Strings are factorised once into integer codes so that a request is a few boolean
masks and one ``np.bincount`` over a million rows, instead of string group-bys.

The default period (when a request names none) is also decided here, once for every analysis:
the last ``DEFAULT_MONTHS`` months of data, ending on the date of the latest event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import InvalidParameter
from geo.events import SYNTHETIC
from geo.query import Query, period_mask
from geo.types import Period

DEFAULT_MONTHS = 12
FILTER_FIELDS = ("event_type", "sub_event_type", "source_dataset")
"""Event fields a summary, exposure or raster request may filter on (values OR-ed per field)."""

SYNTHETIC_NOTE = "synthetic demo data"


@dataclass(frozen=True)
class Codes:
    """A factorised string column: ``codes[i]`` indexes ``labels`` (-1 where the value is missing)."""

    codes: np.ndarray
    labels: pd.Index

    @classmethod
    def of(cls, values: pd.Series) -> Codes:
        codes, labels = pd.factorize(values.astype("string"), use_na_sentinel=True)
        return cls(np.asarray(codes, dtype=np.int32), pd.Index(labels, dtype=object))

    def isin(self, values: tuple[str, ...]) -> np.ndarray:
        wanted = self.labels.get_indexer(list(values))
        return np.isin(self.codes, wanted[wanted >= 0])

    def rows_in(self, keys: pd.Index) -> np.ndarray:
        """For each event, the position of its label in ``keys`` (-1 when absent or missing)."""
        lookup = np.append(keys.get_indexer(self.labels), -1).astype(np.int64)
        return lookup[self.codes]


@dataclass(frozen=True)
class EventArrays:
    """Columns of the event layer as NumPy arrays and integer codes."""

    dates: pd.Series
    fatalities: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    country: Codes
    event_type: Codes
    filters: dict[str, Codes]
    synthetic: np.ndarray
    latest: dt.date | None

    def __len__(self) -> int:
        return len(self.fatalities)


def prepare_events(events: gpd.GeoDataFrame) -> EventArrays:
    """Factorise the event layer's keys and extract its coordinates, dates and fatalities.

    Parameters
    ----------
    events : a ``conflict-events`` frame (``geo.events.events_frame`` shape)

    Returns
    -------
    EventArrays
    """
    dates = pd.Series(pd.to_datetime(events["event_date"]).to_numpy(), copy=False)
    latest = dates.max() if len(dates) else None
    filters = {name: Codes.of(events[name]) for name in FILTER_FIELDS}
    return EventArrays(
        dates=dates,
        fatalities=events["fatalities"].fillna(0).to_numpy(dtype=np.int64),
        lon=events.geometry.x.to_numpy(dtype=float),
        lat=events.geometry.y.to_numpy(dtype=float),
        country=Codes.of(events["country_iso3"]),
        event_type=filters["event_type"],
        filters=filters,
        synthetic=(events["source_dataset"].astype("string") == SYNTHETIC).fillna(False).to_numpy(bool),
        latest=None if latest is None or pd.isna(latest) else latest.date(),
    )


def default_period(latest: dt.date | None, months: int = DEFAULT_MONTHS) -> Period | None:
    """The last ``months`` months ending on ``latest`` (None when there are no events).

    Examples
    --------
    >>> str(default_period(dt.date(2024, 12, 31)))
    '2024-01-01/2024-12-31'
    >>> str(default_period(dt.date(2024, 6, 15), months=6))
    '2023-12-16/2024-06-15'
    """
    if months < 1:
        raise InvalidParameter("months", months, "must be a whole number of months, at least 1")
    if latest is None:
        return None
    start = (pd.Timestamp(latest) - pd.DateOffset(months=months) + pd.Timedelta(days=1)).date()
    return Period(start, latest)


def resolve_period(query: Query, arrays: EventArrays, months: int = DEFAULT_MONTHS) -> Period | None:
    """The period of ``query``, else the default period of the data."""
    return query.period if query.period is not None else default_period(arrays.latest, months)


def filter_mask(arrays: EventArrays, query: Query) -> np.ndarray:
    """True for events matching the query's property filters (not its period or bbox)."""
    mask = np.ones(len(arrays), dtype=bool)
    for name, values in query.filters:
        if name not in arrays.filters:
            raise InvalidParameter(name, ",".join(values), f"not a filterable field; use {list(FILTER_FIELDS)}")
        mask &= arrays.filters[name].isin(values)
    return mask


def in_period(arrays: EventArrays, period: Period | None) -> np.ndarray:
    """True for events dated within ``period`` (every event when ``period`` is None)."""
    if period is None:
        return np.ones(len(arrays), dtype=bool)
    return period_mask(arrays.dates, period)


def selection_note(arrays: EventArrays, mask: np.ndarray | None = None) -> str:
    """``"synthetic demo data"`` when any selected event is synthetic, else ``""``."""
    flags = arrays.synthetic if mask is None else arrays.synthetic[mask]
    return SYNTHETIC_NOTE if flags.any() else ""
