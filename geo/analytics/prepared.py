"""The conflict-event layer prepared once per data version for fast analytics.

Summaries, exposure and rasters all select events by period and filters and then count them by
some key. Strings are factorised once into integer codes so that a request is a few boolean
masks and one ``np.bincount`` over a million rows, instead of string group-bys.

The default period (when a request names none) is also decided here, once for every analysis:
the last ``DEFAULT_MONTHS`` months of data, ending on the date of the latest event.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.cache import FRAMES, PREPARED
from geo.errors import InvalidParameter
from geo.events import SYNTHETIC, events_frame
from geo.query import Query
from geo.storage.store import Store
from geo.types import BBox, Period

DEFAULT_MONTHS = 12
FILTER_FIELDS = ("event_type", "sub_event_type", "source_dataset")
"""Event fields a summary, exposure or raster request may filter on (values OR-ed per field)."""

SYNTHETIC_NOTE = "synthetic demo data"


@dataclass(frozen=True)
class Codes:
    """A factorised string column: ``codes[i]`` indexes ``labels`` (-1 for a missing value)."""

    codes: np.ndarray
    labels: pd.Index

    @classmethod
    def of(cls, values: pd.Series, order: np.ndarray | None = None) -> Codes:
        codes, labels = pd.factorize(values.astype("string"), use_na_sentinel=True)
        codes = np.asarray(codes, dtype=np.int32)
        return cls(codes if order is None else codes[order], pd.Index(labels, dtype=object))

    def isin(self, values: tuple[str, ...]) -> np.ndarray:
        wanted = self.labels.get_indexer(list(values))
        table = np.zeros(len(self.labels) + 1, dtype=bool)  # the last entry answers code -1
        table[wanted[wanted >= 0]] = True
        return table[self.codes]

    def rows_in(self, keys: pd.Index) -> np.ndarray:
        """For each event, the position of its label in ``keys`` (-1 when absent or missing)."""
        lookup = np.append(keys.get_indexer(self.labels), -1).astype(np.int64)
        return lookup[self.codes]


@dataclass(frozen=True)
class EventArrays:
    """Columns of the event layer as NumPy arrays and integer codes, sorted by date.

    Position ``i`` of every array is the event at row ``order[i]`` of the layer; undated
    events come last. A period is then a contiguous slice (``period_slice``).
    """

    dates: np.ndarray
    order: np.ndarray
    dated: int
    """Number of events with a date (they come first)."""
    fatalities: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    precision: np.ndarray
    """Location precision (1 exact .. 4 country), NaN when unknown."""
    country: Codes
    event_type: Codes
    filters: dict[str, Codes]
    synthetic: np.ndarray
    latest: dt.date | None
    coverage: dict[str, Period] = field(default_factory=dict)
    """First and last event date of each source dataset (``source_dataset`` -> closed period)."""

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
    raw = pd.to_datetime(events["event_date"]).to_numpy().astype("datetime64[ms]")
    order = np.argsort(raw, kind="stable")  # NaT sorts last
    dates = raw[order]
    dated = dates[~np.isnat(dates)]
    filters = {name: Codes.of(events[name], order) for name in FILTER_FIELDS}
    synthetic = (events["source_dataset"].astype("string") == SYNTHETIC).fillna(False)
    return EventArrays(
        dates=dates,
        order=order,
        dated=len(dated),
        fatalities=events["fatalities"].fillna(0).to_numpy(dtype=np.int64)[order],
        lon=events.geometry.x.to_numpy(dtype=float)[order],
        lat=events.geometry.y.to_numpy(dtype=float)[order],
        precision=events["precision"].to_numpy(dtype="float32", na_value=np.nan)[order],
        country=Codes.of(events["country_iso3"], order),
        event_type=filters["event_type"],
        filters=filters,
        synthetic=synthetic.to_numpy(bool)[order],
        latest=pd.Timestamp(dated[-1]).date() if len(dated) else None,
        coverage=dataset_coverage(dates, filters["source_dataset"]),
    )


def dataset_coverage(dates: np.ndarray, datasets: Codes) -> dict[str, Period]:
    """The first and last event date of each dataset (dates sorted, NaT last; undated events ignored).

    Examples
    --------
    >>> days = np.array(["2020-01-05", "2021-03-01", "2022-07-31", "NaT"], dtype="datetime64[ms]")
    >>> codes = Codes(np.array([0, 1, 0, 1], dtype=np.int32), pd.Index(["acled", "ucdp-ged"]))
    >>> {name: str(period) for name, period in dataset_coverage(days, codes).items()}
    {'acled': '2020-01-05/2022-07-31', 'ucdp-ged': '2021-03-01/2021-03-01'}
    """
    dated = ~np.isnat(dates)
    out = {}
    for code, name in enumerate(datasets.labels):
        mine = dates[dated & (datasets.codes == code)]
        if len(mine):
            out[str(name)] = Period(pd.Timestamp(mine.min()).date(), pd.Timestamp(mine.max()).date())
    return out


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


def resolve_period(
    query: Query, arrays: EventArrays, months: int = DEFAULT_MONTHS
) -> Period | None:
    """The period of ``query``, else the default period of the data."""
    return query.period if query.period is not None else default_period(arrays.latest, months)


def filter_mask(arrays: EventArrays, query: Query, part: slice = slice(None)) -> np.ndarray | None:
    """True for events (of the ``part`` slice) matching the query's property filters.

    None when the query has no filters (every event matches).
    """
    mask = None
    for name, values in query.filters:
        if name not in arrays.filters:
            raise InvalidParameter(
                name, ",".join(values), f"not a filterable field; use {list(FILTER_FIELDS)}"
            )
        codes = arrays.filters[name]
        match = Codes(codes.codes[part], codes.labels).isin(values)
        mask = match if mask is None else mask & match
    return mask


def period_slice(arrays: EventArrays, period: Period | None) -> slice:
    """The positions of the events dated within ``period`` (all events when None).

    A closed interval with open ends, by binary search on the sorted dates; undated events are
    only in the slice of ``None``.
    """
    if period is None:
        return slice(0, len(arrays))
    valid = arrays.dates[: arrays.dated]
    start, end = 0, arrays.dated
    if period.start is not None:
        start = int(np.searchsorted(valid, _moment(period.start), "left"))
    if period.end is not None:
        end = int(np.searchsorted(valid, _moment(period.end), "right"))
    return slice(start, max(start, end))


def _moment(day: dt.date) -> np.datetime64:
    return np.datetime64(pd.Timestamp(day).to_datetime64(), "ms")


def in_period(arrays: EventArrays, period: Period | None) -> np.ndarray:
    """True for events dated within ``period`` (every event when ``period`` is None)."""
    mask = np.zeros(len(arrays), dtype=bool)
    mask[period_slice(arrays, period)] = True
    return mask


def select_events(
    arrays: EventArrays,
    query: Query,
    period: Period | None,
    *,
    bbox: BBox | None = None,
    country: str | tuple[str, ...] | None = None,
) -> np.ndarray:
    """The one event selection: True for the events in ``period`` matching the query's filters,
    inside ``bbox`` and of ``country`` when given.

    Parameters
    ----------
    arrays : the prepared events (``prepared_events``)
    query : its property filters (values OR-ed per field) select; its bbox and period are not used
    period : closed interval with open ends (None: every event, undated ones included)
    bbox : (minx, miny, maxx, maxy) in degrees; an event on the edge is inside
    country : ISO3 code the event's ``country_iso3`` must equal (a tuple: one of these codes)

    Returns
    -------
    Boolean mask over the positions of ``arrays`` (date order); ``event_rows`` gives the rows of
    the layer.

    Examples
    --------
    >>> mask = select_events(arrays, parse_query({"event_type": "Battles"}, FILTER_FIELDS),
    ...                      None, bbox=(12, -14, 32, 6), country="COD")  # doctest: +SKIP
    """
    part = period_slice(arrays, period)
    keep = filter_mask(arrays, query, part)
    if bbox is not None:
        minx, miny, maxx, maxy = bbox
        lon, lat = arrays.lon[part], arrays.lat[part]
        inside = (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)
        keep = inside if keep is None else keep & inside
    if country is not None:
        codes = (country,) if isinstance(country, str) else country
        ours = Codes(arrays.country.codes[part], arrays.country.labels).isin(codes)
        keep = ours if keep is None else keep & ours
    mask = np.zeros(len(arrays), dtype=bool)
    mask[part] = True if keep is None else keep
    return mask


def event_rows(arrays: EventArrays, selected: np.ndarray) -> np.ndarray:
    """The layer row positions of the ``selected`` events (a mask over ``arrays``), in layer order."""
    return np.sort(arrays.order[selected])


def selection_note(arrays: EventArrays, mask: np.ndarray | None = None) -> str:
    """``"synthetic demo data"`` when any selected event is synthetic, else ``""``.

    ``mask`` is a boolean mask or an array of positions (every event when None).
    """
    flags = arrays.synthetic if mask is None else arrays.synthetic[mask]
    return SYNTHETIC_NOTE if flags.any() else ""


def read_optional(store: Store, layer_id: str) -> gpd.GeoDataFrame | None:
    """The stored layer, or None when the workspace has none."""
    return store.read(layer_id) if store.has(layer_id) else None


def read_events(store: Store) -> gpd.GeoDataFrame:
    """The stored events, or an empty event frame."""
    events = read_optional(store, "conflict-events")
    return events if events is not None else events_frame({}, [], [])


def prepared_events(store: Store) -> EventArrays:
    """``prepare_events`` of the stored events, cached by data version (role views whose events
    are the same frame share one preparation, ``geo.cache.FRAMES``)."""

    def compute() -> EventArrays:
        events = read_events(store)
        return FRAMES.get_or_compute(events, "event-arrays", lambda: prepare_events(events))

    return PREPARED.get_or_compute((store.data_version, "event-arrays"), compute)
