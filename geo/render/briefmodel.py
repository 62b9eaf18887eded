"""The content of a briefing pack: plain data that the PDF and the PowerPoint writers lay out.

A :class:`Brief` holds every section's figures and tables already computed (``layers.brief``
builds it from the store as the caller's role sees it, with the code the API uses); the writers
(``geo.render.briefpdf``, ``geo.render.briefpptx``) only place it. Values stay raw (None when
unknown, withheld or outside the data's coverage) until :func:`cell_text` writes them in the
brief's language: None is "no data" or "n/a", never 0.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd

from geo.i18n import number, text
from geo.render.choropleth import value_text

Cell = str | int | float | None


@dataclass(frozen=True)
class KeyFigure:
    """One key figure: its label, the summary column it comes from, its value and a note."""

    label: str
    metric: str
    """The ``country-summary`` column (``events``, ``change_pct``...)."""
    value: float | int | None
    note: str = ""

    def text(self, lang: str) -> str:
        """The value as the map shows it (the rate to the API's three decimals); ``no data`` when unknown."""
        if self.metric == "events_per_100k" and self.value is not None:
            return number(lang, float(self.value), 3)
        return value_text(self.value, self.metric, lang)


@dataclass(frozen=True)
class Table:
    """A titled table of raw cells; ``note`` says what a reader must know (basis, rows left out)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]
    note: str = ""
    empty: str = ""
    """Said instead of the table when it has no row."""


@dataclass(frozen=True)
class Brief:
    """A country brief: title page facts, images and the tables of every section."""

    lang: str
    iso3: str
    title: str
    period: str
    """The OGC interval every figure counts."""
    subtitle: str
    """Period and filters in words."""
    data_version: str
    synthetic: bool
    notice: str
    """The synthetic-data notice ('' when no counted event is synthetic)."""
    figures: tuple[KeyFigure, ...]
    figures_note: str
    map_png: bytes
    chart_png: bytes
    provinces: Table
    projects: Table
    schools: Table
    exposure: Table
    sources: tuple[str, ...]
    urls: tuple[tuple[str, str], ...]
    """(what, API address) pairs that reproduce the figures."""
    date: str = ""
    """The date of the data (latest layer update), printed and used as the documents' date."""
    headings: dict[str, str] = field(default_factory=dict)

    def heading(self, key: str, **values: object) -> str:
        return text(self.lang, key, **values)

    def figure(self, metric: str) -> KeyFigure:
        for item in self.figures:
            if item.metric == metric:
                return item
        raise KeyError(metric)

    def moment(self) -> dt.datetime:
        """The documents' fixed date: the data's date, so the same data give the same bytes."""
        day = dt.date.fromisoformat(self.date) if self.date else dt.date(2000, 1, 1)
        return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)


def cell_text(value: Cell, lang: str, decimals: int = 0) -> str:
    """A table cell in ``lang``: numbers with the language's separators, None as ``n/a``.

    Examples
    --------
    >>> cell_text(None, "fr"), cell_text(12345, "en"), cell_text(0.5, "fr", 1)
    ('n.d.', '12,345', '0,5')
    """
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return text(lang, "brief_na")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return number(lang, value)
    if isinstance(value, float):
        return number(lang, value, decimals)
    return str(value)
