"""The tables of a brief (provinces, projects, schools, exposure, sources) for an area: one country
or a region's countries, read from the catalogue's sources as the caller's role sees them.

``layers.brief.build_brief`` calls these with a :class:`Scope`; each returns a
:class:`geo.render.briefmodel.Table` of raw cells (None: unknown or withheld, written "n/a").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import pandas as pd

from geo.analytics.provinces import name_summary_layer
from geo.i18n import text
from geo.registries.periods import ENVR_SPAN, PROJECT_SPAN, period_mask
from geo.render.briefmodel import Table
from geo.render.choropleth import country_provinces
from geo.storage.store import Store
from geo.types import Period, Role
from layers.access import trim_fields, visible_layers
from layers.catalogue import Catalogue

TABLE_ROWS = 30
"""Rows of a table in the brief; the rest are counted and found through the API address."""


@dataclass(frozen=True)
class Scope:
    """What every table of one brief shares: the caller's view, the area and the query."""

    store: Store
    catalogue: Catalogue
    role: Role
    codes: tuple[str, ...]
    """The area's ISO3 codes (one for a country brief)."""
    selection: Mapping[str, str]
    """Period (resolved) and event filters, as the API takes them."""
    period: Period | None
    lang: str

    @property
    def region(self) -> bool:
        return len(self.codes) > 1


def layer_frame(store: Store, catalogue: Catalogue, role: Role, layer_id: str,
                params: Mapping[str, str]) -> gpd.GeoDataFrame:
    """The layer as the API serves it to ``role`` (its source on the secured store, then trimmed)."""
    layer = catalogue.get(layer_id)
    return trim_fields(layer, layer.source.frame(store, params), role)


def _limited(rows: list[tuple], lang: str) -> tuple[tuple[tuple, ...], str]:
    more = len(rows) - TABLE_ROWS
    return tuple(rows[:TABLE_ROWS]), text(lang, "brief_more_rows", n=more) if more > 0 else ""


def provinces_table(scope: Scope) -> Table:
    """Provinces ranked by events (then fatalities, then name); in a region, named with their country."""
    store, lang = scope.store, scope.lang
    summary = layer_frame(store, scope.catalogue, scope.role, "province-summary", scope.selection)
    parts = [country_provinces(code, summary, lambda: name_summary_layer(store, scope.selection))
             for code in scope.codes]
    rows = pd.concat(parts) if parts else summary.iloc[:0]
    ranked = pd.DataFrame(rows.drop(columns="geometry"))
    ranked = ranked[ranked["events"].fillna(0) > 0].sort_values(
        ["events", "fatalities", "province"], ascending=[False, False, True])
    basis = str(rows["admin1_basis"].iloc[0]) if len(rows) else "name"

    def label(r: object) -> str:
        name = str(r.province)  # type: ignore[attr-defined]
        return f"{name} ({r.iso3})" if scope.region else name  # type: ignore[attr-defined]

    body, more = _limited([(label(r), _int(r.events), _int(r.fatalities)) for r in ranked.itertuples()], lang)
    note = text(lang, "provinces_by_name" if basis == "name" else "brief_provinces_polygon")
    return Table(text(lang, "brief_provinces"),
                 (text(lang, "province"), text(lang, "events"), text(lang, "fatalities")),
                 body, " ".join(filter(None, [note, more])), text(lang, "provinces_none"))


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[arg-type]


def in_area(frame: pd.DataFrame, codes: tuple[str, ...]) -> pd.Series:
    """True for the rows whose ``country_iso3``, or one of whose ``countries``, is in ``codes``."""
    wanted = set(codes)
    own = frame["country_iso3"].astype("string").fillna("").isin(wanted)
    if "countries" not in frame:
        return own
    listed = frame["countries"].astype("string").fillna("").str.upper().str.split(";")
    return own | listed.apply(lambda found: bool(wanted & {c.strip() for c in found}))


def _active(scope: Scope, layer_id: str, span: object) -> pd.DataFrame:
    if not scope.store.has(layer_id):
        return pd.DataFrame()
    frame = scope.store.read(layer_id)
    frame = frame[in_area(frame, scope.codes).to_numpy(bool)]
    return frame[period_mask(frame, span, scope.period)] if scope.period is not None else frame  # type: ignore[arg-type]


def projects_table(scope: Scope) -> Table:
    """Projects active in the period (budget only when the role sees budgets)."""
    lang = scope.lang
    frame = _active(scope, "projects", PROJECT_SPAN)
    budget = "budget_eur" in frame.columns
    columns = [text(lang, "acronym"), text(lang, "brief_title_col"), text(lang, "dates"),
               text(lang, "funder"), text(lang, "implementers")] + ([text(lang, "budget")] if budget else [])
    rows = []
    if len(frame):
        for r in frame.drop_duplicates("acronym").sort_values("acronym").itertuples():
            dates = f"{_day(r.start)} – {_day(r.end)}"
            implementers = "; ".join(p.strip() for p in r.implementers.split(";")) \
                if isinstance(r.implementers, str) else r.implementers
            cells = [r.acronym, r.title, dates, r.funder, implementers]
            rows.append(tuple(_text(c) for c in cells) + ((_number(r.budget_eur),) if budget else ()))
    body, more = _limited(rows, lang)
    return Table(text(lang, "brief_projects"), tuple(columns), body, more, text(lang, "brief_projects_none"))


def schools_table(scope: Scope) -> Table:
    """ENVR schools of the area in the period."""
    lang = scope.lang
    frame = _active(scope, "envr", ENVR_SPAN)
    rows = []
    if len(frame):
        for r in frame.sort_values("acronym").itertuples():
            year = _int(r.founded)  # a year, not a quantity: no thousands separator
            rows.append((_text(r.acronym), _text(r.name), _text(r.domain), None if year is None else str(year),
                         _text(r.status)))
    body, more = _limited(rows, lang)
    columns = (text(lang, "acronym"), text(lang, "brief_name"), text(lang, "domain"), text(lang, "founded"),
               text(lang, "status"))
    return Table(text(lang, "brief_schools"), columns, body, more, text(lang, "brief_schools_none"))


def exposure_table(scope: Scope) -> Table:
    """Events and fatalities within 50 km of each site over the brief's period (n/a: located to the
    country only); the same columns as the API's ``exposure_*`` for ``exposure_datetime``."""
    from geo.analytics.exposure import DEFAULT_RADIUS_KM, with_exposure

    store, catalogue, lang = scope.store, scope.catalogue, scope.lang
    rows: list[tuple] = []
    withheld = False
    for layer_id, span in (("projects", PROJECT_SPAN), ("envr", ENVR_SPAN)):
        if not store.has(layer_id):
            continue
        frame = trim_fields(catalogue.get(layer_id), with_exposure(store, layer_id, scope.selection), scope.role)
        frame = frame[in_area(frame, scope.codes).to_numpy(bool)]
        if scope.period is not None:
            frame = frame[period_mask(frame, span, scope.period)]  # type: ignore[arg-type]
        if "exposure_events" not in frame.columns:
            withheld = withheld or bool(len(frame))
            continue
        label = catalogue.get(layer_id).title_fr if lang == "fr" else catalogue.get(layer_id).title
        for r in frame.sort_values("acronym").itertuples():
            site = getattr(r, "site", None)
            name = f"{r.acronym} — {site}" if isinstance(site, str) and site else str(r.acronym)
            km = None if pd.isna(r.nearest_event_m) else round(float(r.nearest_event_m) / 1000, 1)
            rows.append((label, name, _int(r.exposure_events), _int(r.exposure_fatalities), km))
    body, more = _limited(rows, lang)
    note = " ".join(filter(None, [text(lang, "brief_exposure_withheld") if withheld else "", more]))
    columns = (text(lang, "brief_layer"), text(lang, "site"), text(lang, "events"), text(lang, "fatalities"),
               text(lang, "brief_nearest_km"))
    return Table(text(lang, "brief_exposure", km=f"{DEFAULT_RADIUS_KM:g}"), columns, body, note,
                 text(lang, "brief_exposure_none"))


def sources_list(scope: Scope) -> tuple[str, ...]:
    """Title, attribution and licence of every layer the brief reads that the role sees."""
    used = ("countries", "provinces", "conflict-events", "projects", "envr")
    out = []
    for layer in visible_layers(scope.catalogue, scope.role):
        if layer.id in used and scope.store.has(layer.id):
            title = layer.title_fr if scope.lang == "fr" else layer.title
            colon = " : " if scope.lang == "fr" else ": "
            out.append(f"{title}{colon}{layer.attribution} ({text(scope.lang, 'brief_licence')}{colon}{layer.licence})")
    return tuple(out)


def _day(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "…"
    return str(value)[:10]


def _text(value: object) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return str(value)


def _number(value: object) -> int | None:
    return None if value is None or pd.isna(value) else round(float(value))  # type: ignore[arg-type]
