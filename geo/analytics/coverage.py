"""What the loaded event data cover: a period with no events is not a period with no data.

Each source dataset (ACLED, UCDP GED, the synthetic demo set) covers the days from its first to
its last event (``EventArrays.coverage``, derived from the stored events, so it changes with the
data version). A period is then

``full``
    inside the union of the coverages of the datasets counted (all, or those of a
    ``source_dataset`` filter): a count of 0 means no event;
``partial``
    partly inside it: the counts are of the covered part, which the note names;
``none``
    outside it: the counts are unknown (null), never 0.

An open end of a period stops at the data (``../2024-12-31`` is full when the data end after it).
Coverage is per dataset, not per country: a country a dataset does not report on is not told apart.
"""

from __future__ import annotations

from dataclasses import dataclass

from geo.analytics.prepared import EventArrays, resolve_period
from geo.i18n import text
from geo.query import Query, previous_period
from geo.types import Period

FULL, PARTIAL, NONE = "full", "partial", "none"


@dataclass(frozen=True)
class Coverage:
    """How far the event data cover a period: ``state`` and the covered parts of the period."""

    state: str
    """``full``, ``partial`` or ``none``."""
    covered: tuple[Period, ...]
    """The parts of the period inside the data's coverage, in date order (empty for ``none``)."""
    loaded: tuple[Period, ...]
    """The coverage of the datasets counted, merged, whatever the period."""

    def covered_text(self) -> str:
        """The covered parts as OGC intervals joined by ``, `` (``""`` when none)."""
        return ", ".join(map(str, self.covered))

    def note(self, lang: str = "en") -> str:
        """The note a reader needs in ``lang``: ``""`` when the period is fully covered.

        Examples
        --------
        >>> from datetime import date as day
        >>> loaded = (Period(day(2020, 1, 1), day(2024, 6, 30)),)
        >>> Coverage(NONE, (), loaded).note()
        'no data for this period (event data loaded: 2020-01-01/2024-06-30)'
        >>> Coverage(PARTIAL, (Period(day(2024, 1, 1), day(2024, 6, 30)),), loaded).note()
        'event data cover only 2024-01-01/2024-06-30 of this period'
        """
        if self.state == FULL:
            return ""
        if self.state == PARTIAL:
            return text(lang, "coverage_partial", covered=self.covered_text())
        if not self.loaded:
            return text(lang, "coverage_nothing_loaded")
        return text(lang, "coverage_none", loaded=", ".join(map(str, self.loaded)))


def datasets_of(arrays: EventArrays, query: Query) -> list[str]:
    """The datasets a query counts: those of its ``source_dataset`` filter, else every loaded one."""
    wanted = dict(query.filters).get("source_dataset")
    return sorted(arrays.coverage) if wanted is None else [d for d in wanted if d in arrays.coverage]


def period_coverage(arrays: EventArrays, period: Period | None, query: Query | None = None) -> Coverage:
    """The coverage of ``period`` by the datasets ``query`` counts (``None``: all dates).

    Parameters
    ----------
    arrays : the prepared events (their ``coverage``: first and last date per dataset)
    period : closed period, either end open (an open end stops at the data)
    query : its ``source_dataset`` filter restricts the datasets; other filters do not matter

    Returns
    -------
    Coverage

    Examples
    --------
    >>> from datetime import date as day
    >>> arrays = prepare_events(events)  # doctest: +SKIP
    >>> period_coverage(arrays, Period(day(2025, 1, 1), day(2025, 12, 31))).state  # doctest: +SKIP
    'none'
    """
    loaded = merge([arrays.coverage[name] for name in datasets_of(arrays, query or Query())])
    if not loaded:
        return Coverage(NONE, (), ())
    if period is None:
        return Coverage(FULL, loaded, loaded)
    start = period.start if period.start is not None else loaded[0].start
    end = period.end if period.end is not None else loaded[-1].end
    assert start is not None and end is not None
    covered = tuple(
        Period(max(start, part.start), min(end, part.end))  # type: ignore[type-var]
        for part in loaded
        if part.start <= end and part.end >= start  # type: ignore[operator]
    )
    if not covered:
        return Coverage(NONE, (), loaded)
    whole = len(covered) == 1 and covered[0].start == start and covered[0].end == end
    return Coverage(FULL if whole else PARTIAL, covered, loaded)


def figures_note(arrays: EventArrays, query: Query, metric: str, lang: str) -> str | None:
    """The note a map or snapshot of ``metric`` for ``query`` shows beside its legend, in ``lang``.

    None when the data cover the period (and, for ``change_pct``, the previous period); else the
    coverage note, or why the change is missing, with a capital first letter.

    Examples
    --------
    >>> figures_note(arrays, parse_query({"datetime": "2025"}, FILTER_FIELDS), "events", "en")  # doctest: +SKIP
    'No data for this period (event data loaded: 2023-01-01/2024-12-31)'
    """
    period = resolve_period(query, arrays)
    coverage = period_coverage(arrays, period, query)
    note = coverage.note(lang)
    if coverage.state == FULL and metric == "change_pct":
        note = previous_coverage(arrays, period, query, lang)[2]
    return note[:1].upper() + note[1:] if note else None


def previous_coverage(
    arrays: EventArrays, period: Period | None, query: Query, lang: str = "en"
) -> tuple[Period | None, Coverage | None, str]:
    """The previous period of ``period`` (``geo.query.previous_period``), its coverage, and the
    note on the change in ``lang``: why there is none, or that the previous period is partly
    covered (``""`` when it is fully covered)."""
    previous = previous_period(period) if period is not None else None
    if previous is None:
        bounded = period is not None and period.start is not None and period.end is not None
        return None, None, text(lang, "change_out_of_range" if bounded else "change_open_period")
    before = period_coverage(arrays, previous, query)
    note = ""
    if before.state == NONE:
        note = text(lang, "change_no_data", previous=str(previous))
    elif before.state == PARTIAL:
        note = text(lang, "change_partial", covered=before.covered_text(), previous=str(previous))
    return previous, before, note


def merge(periods: list[Period]) -> tuple[Period, ...]:
    """Closed periods merged where they overlap or touch, in date order.

    Examples
    --------
    >>> from datetime import date as day
    >>> parts = [Period(day(2021, 1, 1), day(2021, 6, 30)), Period(day(2020, 1, 1), day(2020, 12, 31))]
    >>> [str(p) for p in merge(parts + [Period(day(2023, 1, 1), day(2023, 1, 31))])]
    ['2020-01-01/2021-06-30', '2023-01-01/2023-01-31']
    """
    out: list[Period] = []
    for part in sorted(periods, key=lambda p: p.start):  # type: ignore[arg-type, return-value]
        if out and (part.start - out[-1].end).days <= 1:  # type: ignore[operator]
            out[-1] = Period(out[-1].start, max(out[-1].end, part.end))  # type: ignore[type-var]
        else:
            out.append(part)
    return tuple(out)
