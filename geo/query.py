"""The one query vocabulary of coopmap: bbox, period (OGC ``datetime``) and property filters.

The features API, the map pages, the snapshots and the CLI all parse their parameters here,
so ``datetime=2024-01-01/..`` or ``event_type=Battles`` mean the same thing everywhere.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from geo.cql import CqlFilter, parse_filter, queryable_kinds
from geo.errors import InvalidParameter
from geo.types import BBox, Period

OPEN = ("..", "")


@dataclass(frozen=True)
class Query:
    """A parsed selection: bbox, closed period, property filters (values OR-ed per field) and a
    CQL2 filter (``geo.cql``), all AND-ed."""

    bbox: BBox | None = None
    period: Period | None = None
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    cql: CqlFilter | None = None

    def key(self) -> str:
        """A stable text key, for caches."""
        key = (self.bbox, str(self.period) if self.period else None, self.filters)
        return repr(key if self.cql is None else (*key, self.cql.text))


def parse_bbox(text: str) -> BBox:
    """Parse ``minx,miny,maxx,maxy`` (or the 6-number 3D form) in degrees.

    Examples
    --------
    >>> parse_bbox("12,-5,31,5")
    (12.0, -5.0, 31.0, 5.0)
    >>> parse_bbox("12,-5,0,31,5,100")
    (12.0, -5.0, 31.0, 5.0)
    """
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) not in (4, 6):
        raise InvalidParameter("bbox", text, "expected 4 numbers minx,miny,maxx,maxy (or 6 with heights)")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidParameter("bbox", text, "every value must be a number") from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter("bbox", text, "values must be finite numbers")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    minx, miny, maxx, maxy = numbers
    if not (-180 <= minx <= 180 and -180 <= maxx <= 180 and -90 <= miny <= 90 and -90 <= maxy <= 90):
        raise InvalidParameter("bbox", text, "longitudes must be within ±180 and latitudes within ±90")
    if miny > maxy:
        raise InvalidParameter("bbox", text, "miny is greater than maxy")
    if minx > maxx:
        raise InvalidParameter("bbox", text, "minx is greater than maxx (antimeridian boxes are not supported)")
    return (minx, miny, maxx, maxy)


def parse_datetime(text: str) -> Period:
    """Parse an OGC ``datetime``: an instant, or a closed or half-open interval with ``..``.

    Dates may be ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or RFC 3339 date-times (the date part is
    used). A year or month as a start means its first day; as an end, its last day.

    Examples
    --------
    >>> str(parse_datetime("2024-01-01/2024-12-31"))
    '2024-01-01/2024-12-31'
    >>> str(parse_datetime("../2024-12-31"))
    '../2024-12-31'
    >>> str(parse_datetime("2024"))
    '2024-01-01/2024-12-31'
    """
    raw = str(text).strip()
    if "/" in raw:
        left, _, right = raw.partition("/")
        if left.strip() in OPEN and right.strip() in OPEN:
            raise InvalidParameter("datetime", text, "an interval needs at least one end")
        start = None if left.strip() in OPEN else _parse_date(left, text, end=False)
        end = None if right.strip() in OPEN else _parse_date(right, text, end=True)
    else:
        start = _parse_date(raw, text, end=False)
        end = _parse_date(raw, text, end=True)
    if start and end and start > end:
        raise InvalidParameter("datetime", text, "the start is after the end")
    return Period(start, end)


def parse_date(text: str, *, end: bool = False, parameter: str = "date") -> dt.date:
    """Parse one date given as ``YYYY``, ``YYYY-MM``, ``YYYY-MM-DD`` or an RFC 3339 date-time.

    A year or month means its first day, or its last day with ``end``; ``parameter`` names the
    field in the error message.

    Examples
    --------
    >>> parse_date("2015"), parse_date("2021", end=True), parse_date("2011-03")
    (datetime.date(2015, 1, 1), datetime.date(2021, 12, 31), datetime.date(2011, 3, 1))
    """
    return _parse_date(str(text), str(text), end=end, parameter=parameter)


def _parse_date(part: str, whole: str, *, end: bool, parameter: str = "datetime") -> dt.date:
    part = part.strip()
    try:
        if len(part) == 4 and part.isdigit():
            year = int(part)
            return dt.date(year, 12, 31) if end else dt.date(year, 1, 1)
        if len(part) == 7 and part[4] == "-":
            year, month = int(part[:4]), int(part[5:])
            first = dt.date(year, month, 1)
            if not end:
                return first
            following = dt.date(year + month // 12, month % 12 + 1, 1)
            return following - dt.timedelta(days=1)
        if len(part) == 10:
            return dt.date.fromisoformat(part)
        return dt.datetime.fromisoformat(part.replace("Z", "+00:00")).date()
    except ValueError:
        hint = ("use an RFC 3339 date or interval, e.g. 2024-01-01/2024-12-31 or ../2024-12-31"
                if parameter == "datetime" else "use YYYY, YYYY-MM or YYYY-MM-DD")
        raise InvalidParameter(parameter, whole, hint) from None


def previous_period(period: Period) -> Period | None:
    """The period a change is measured against: the one just before ``period``.

    A calendar month compares with the previous calendar month, a calendar quarter with the
    previous quarter, whole calendar years with as many years before; any other interval with the
    interval of the same number of days just before it. None when an end is open or when the
    previous period would start before 0001-01-01 (not a representable date).

    Examples
    --------
    >>> str(previous_period(Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31))))
    '2023-01-01/2023-12-31'
    >>> str(previous_period(Period(dt.date(2023, 3, 1), dt.date(2023, 3, 31))))
    '2023-02-01/2023-02-28'
    >>> str(previous_period(Period(dt.date(2024, 4, 1), dt.date(2024, 6, 30))))
    '2024-01-01/2024-03-31'
    >>> str(previous_period(Period(dt.date(2024, 3, 5), dt.date(2024, 3, 14))))
    '2024-02-24/2024-03-04'
    >>> previous_period(Period(dt.date(1, 1, 1), dt.date(9999, 12, 31))) is None
    True
    """
    start, end = period.start, period.end
    if start is None or end is None:
        return None
    months = _whole_months(start, end)
    try:
        if months is not None and (
            months == 1 or (months == 3 and start.month % 3 == 1) or (months % 12 == 0 and start.month == 1)
        ):
            return Period(_add_months(start, -months), start - dt.timedelta(days=1))
        length = end - start + dt.timedelta(days=1)
        return Period(start - length, start - dt.timedelta(days=1))
    except (OverflowError, ValueError):
        return None


def _whole_months(start: dt.date, end: dt.date) -> int | None:
    """The number of calendar months from ``start`` to ``end`` when they are whole months, else None."""
    month_end = end == dt.date.max or (end + dt.timedelta(days=1)).day == 1
    if start.day != 1 or not month_end:
        return None
    return (end.year - start.year) * 12 + end.month - start.month + 1


def _add_months(day: dt.date, months: int) -> dt.date:
    """The first day of the month ``months`` after (or before, when negative) ``day``'s month."""
    index = day.year * 12 + day.month - 1 + months
    return dt.date(index // 12, index % 12 + 1, 1)


def parse_filters(params: Mapping[str, str], allowed: Iterable[str]) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """Keep the parameters naming a filterable field; comma-separated values are alternatives."""
    allowed = set(allowed)
    out = []
    for name in sorted(params):
        if name in allowed:
            values = tuple(v.strip() for v in str(params[name]).split(",") if v.strip())
            if values:
                out.append((name, values))
    return tuple(out)


CQL_PARAMS = ("filter", "filter-lang", "filter-crs")
"""The CQL2 filter parameters (OGC API - Features Part 3), taken with ``queryables``."""


def parse_query(params: Mapping[str, str], filterable: Iterable[str], *, strict: bool = False,
                reserved: Iterable[str] = (), queryables: Mapping[str, str] | None = None) -> Query:
    """Parse ``bbox``, ``datetime``, property filters and, given ``queryables`` (name -> field
    type of what the caller may see), the CQL2 ``filter`` from request or CLI parameters.

    With ``strict``, a parameter that is neither reserved nor a filterable field is an error.
    """
    filterable = list(filterable)
    if strict:
        known = set(filterable) | {"bbox", "datetime"} | set(reserved)
        known |= set(CQL_PARAMS) if queryables is not None else set()
        unknown = sorted(set(params) - known)
        if unknown:
            raise InvalidParameter(unknown[0], params[unknown[0]],
                                   f"unknown parameter; filterable fields are {sorted(filterable)}")
    bbox = parse_bbox(params["bbox"]) if params.get("bbox") else None
    period = parse_datetime(params["datetime"]) if params.get("datetime") else None
    cql = None
    if queryables is not None and (params.get("filter") or "").strip():
        cql = parse_filter(str(params["filter"]), params.get("filter-lang"), params.get("filter-crs"),
                           queryable_kinds(queryables))
    elif queryables is not None:
        parse_filter("TRUE", params.get("filter-lang"), params.get("filter-crs"), {})  # check them all the same
    return Query(bbox, period, parse_filters(params, filterable), cql)


_WHOLE_NUMBER = re.compile(r"[+-]?[0-9]{1,18}")
"""ASCII digits only: ``str.isdigit`` also accepts superscripts ("¹"), which ``int`` rejects."""


def parse_int(params: Mapping[str, str], name: str, default: int, *, minimum: int, maximum: int) -> int:
    """Parse an integer parameter such as ``limit`` or ``offset`` within ``[minimum, maximum]``.

    Examples
    --------
    >>> parse_int({"limit": "50"}, "limit", 100, minimum=1, maximum=10_000)
    50
    """
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    text = str(raw).strip()
    if not _WHOLE_NUMBER.fullmatch(text):
        raise InvalidParameter(name, raw, "expected a whole number")
    value = int(text)
    if value < minimum or value > maximum:
        raise InvalidParameter(name, raw, f"must be between {minimum} and {maximum}")
    return value


def parse_sortby(text: str | None, sortable: Iterable[str]) -> tuple[tuple[str, bool], ...]:
    """Parse an OGC ``sortby``: comma-separated fields, each with an optional ``+``/``-`` prefix.

    Returns ``(field, descending)`` pairs.

    Examples
    --------
    >>> parse_sortby("-fatalities,event_date", ["fatalities", "event_date"])
    (('fatalities', True), ('event_date', False))
    """
    if text is None or not str(text).strip():
        return ()
    sortable = set(sortable)
    out = []
    for part in str(text).split(","):
        part = part.strip()
        descending = part.startswith("-")
        name = part.lstrip("+-").strip()
        if name not in sortable:
            raise InvalidParameter("sortby", text, f"cannot sort by {name!r}; use one of {sorted(sortable)}")
        out.append((name, descending))
    return tuple(out)
