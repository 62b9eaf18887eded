"""The content of a country brief, computed by the code the API uses, as the caller's role sees it.

``build_brief(store, settings, request)`` reads every figure from the catalogue's own sources on
the store it is given (a :class:`layers.secured.SecuredStore` for a web caller, so the access
policy applies as everywhere: generalised sites, no budgets below analyst, no hidden layer):

- key figures: the ``country-summary`` layer (``/ogc/collections/country-summary/items``);
- provinces: the ``province-summary`` layer, the admin1 names of the events when no polygon lies
  in the country (as the country map ranks them);
- projects and schools active in the period: ``geo.registries.periods`` (the API's ``datetime``);
- exposure: ``geo.analytics.exposure.with_exposure`` over the brief's period, fields trimmed by
  the policy (``trim_fields``);
- the map: the snapshot renderer (``/snapshot.png``), the chart: ``geo.render.chart``.

Unknown, withheld or out-of-coverage figures stay None with their note.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd

from geo.analytics.coverage import period_coverage, previous_coverage
from geo.analytics.prepared import FILTER_FIELDS, prepared_events, resolve_period
from geo.analytics.provinces import name_summary_layer
from geo.config import Settings
from geo.errors import CountryNotFound, InvalidParameter
from geo.i18n import LANGS, strings, text
from geo.query import Query, parse_query
from geo.registries.periods import ENVR_SPAN, PROJECT_SPAN, period_mask
from geo.render.briefmodel import Brief, KeyFigure, Table
from geo.render.cache import snapshot
from geo.render.chart import monthly_chart
from geo.render.choropleth import country_provinces
from geo.render.mapview import chart_events, find_country
from geo.render.spec import parse_snapshot
from geo.storage.store import Store
from geo.types import Role
from layers.access import trim_fields, visible_layers
from layers.catalogue import CATALOGUE, Catalogue
from layers.secured import SecuredStore

FORMATS = ("pdf", "pptx")
RESERVED = ("lang", "title")
MAX_TITLE = 160
BRIEF_VERSION = "1"
"""Bump when a brief's layout changes, so cached files of the old look are not served."""
MAP_SIZE = {"width": "1500", "height": "940", "dpi": "150"}
"""The map's snapshot: 10 × 6.3 inches, the width of an A4 landscape page inside its margins."""
TABLE_ROWS = 30
"""Rows of a table in the brief; the rest are counted and found through the API address."""
FIGURES = ("events", "fatalities", "change_pct", "events_per_100k")


@dataclass(frozen=True)
class BriefRequest:
    """A validated brief request: country, selection, language, title."""

    iso3: str
    query: Query
    lang: str
    title: str = ""

    def params(self) -> list[tuple[str, str]]:
        """Canonical parameters (fixed order) for cache keys, ETags and links."""
        out = [("iso3", self.iso3)]
        if self.query.period is not None:
            out.append(("datetime", str(self.query.period)))
        out.extend((name, ",".join(values)) for name, values in self.query.filters)
        out.append(("lang", self.lang))
        if self.title:
            out.append(("title", self.title))
        return out

    def selection(self) -> dict[str, str]:
        """Period and event filters, as the summaries and the API take them."""
        out = {name: ",".join(values) for name, values in self.query.filters}
        if self.query.period is not None:
            out["datetime"] = str(self.query.period)
        return out

    def key(self, fmt: str, data_version: str) -> str:
        """Stable hash of the parameters, format, data version (of the role's view) and layout."""
        raw = repr((BRIEF_VERSION, fmt, data_version, self.params()))
        return hashlib.blake2b(raw.encode("utf-8"), digest_size=16).hexdigest()


def parse_brief(iso3: str, params: Mapping[str, str]) -> BriefRequest:
    """Validate a brief's parameters; ``InvalidParameter`` names the first bad one.

    Examples
    --------
    >>> parse_brief("cod", {"datetime": "2024", "lang": "fr"}).params()
    [('iso3', 'COD'), ('datetime', '2024-01-01/2024-12-31'), ('lang', 'fr')]
    """
    params = {k: str(v) for k, v in params.items()}
    code = iso3.strip().upper()
    if not (len(code) == 3 and code.isalpha()):
        raise InvalidParameter("iso3", iso3, "expected an ISO 3166-1 alpha-3 code such as COD")
    query = parse_query(params, FILTER_FIELDS, strict=True, reserved=RESERVED)
    if query.bbox is not None:
        raise InvalidParameter("bbox", params["bbox"], "a brief covers a country: use iso3")
    lang = params.get("lang") or LANGS[0]
    if lang not in LANGS:
        raise InvalidParameter("lang", lang, f"use one of {list(LANGS)}")
    title = " ".join(params.get("title", "").split())
    if len(title) > MAX_TITLE:
        raise InvalidParameter("title", title[:40] + "…", f"at most {MAX_TITLE} characters")
    return BriefRequest(code, query, lang, title)


def country_row(store: Store, iso3: str) -> pd.Series:
    """The ``countries`` row of ``iso3``; ``CountryNotFound`` (404) when there is none."""
    row = find_country(store.read("countries"), iso3)
    if row is None:
        raise CountryNotFound(iso3)
    return row


def build_brief(store: Store, settings: Settings, request: BriefRequest) -> Brief:
    """Every section of the brief of ``request`` from ``store`` (as the caller's role sees it).

    Parameters
    ----------
    store : the workspace seen by the caller (``SecuredStore``); a raw store is the admin's view
    settings : the workspace (the map snapshot is cached in its snapshot cache)
    request : ``parse_brief`` output

    Returns
    -------
    Brief
    """
    lang, iso3 = request.lang, request.iso3
    row = country_row(store, iso3)
    name = str(row["name_fr"]) if lang == "fr" and isinstance(row.get("name_fr"), str) else str(row["name"])
    arrays = prepared_events(store)
    period = resolve_period(request.query, arrays)
    selection = request.selection()
    if period is not None:
        selection["datetime"] = str(period)
    query = parse_query(selection, FILTER_FIELDS)
    role, catalogue = _view(store)
    summary = _layer_frame(store, catalogue, role, "country-summary", selection)
    mine = summary[summary["iso3"] == iso3]
    figures, synthetic = _figures(mine.iloc[0] if len(mine) else None, arrays, query, period, lang)
    coverage = period_coverage(arrays, period, query).note(lang)
    layers = Catalogue(tuple(visible_layers(catalogue, role))).map_layers()
    spec = parse_snapshot({"iso3": iso3, "lang": lang, **selection, **MAP_SIZE}, layers)
    map_png = snapshot(store, settings, spec, "png", layers).content
    chart = monthly_chart(
        chart_events(store, query, iso3), strings(lang), name, "png", size=(10.0, 5.2), dpi=150
    )
    manifest = store.manifest()
    return Brief(
        lang=lang,
        iso3=iso3,
        title=request.title or text(lang, "brief_title", name=name),
        period=str(period) if period else "",
        subtitle=_subtitle(request, period, lang),
        data_version=manifest.data_version,
        synthetic=synthetic,
        notice=text(lang, "snapshot_synthetic") if synthetic else "",
        figures=figures,
        figures_note=coverage[:1].upper() + coverage[1:],
        map_png=map_png,
        chart_png=chart,
        provinces=_provinces(store, catalogue, role, iso3, selection, lang),
        projects=_projects(store, catalogue, role, iso3, query.period, lang),
        schools=_schools(store, catalogue, role, iso3, query.period, lang),
        exposure=_exposure(store, catalogue, role, iso3, selection, query.period, lang),
        sources=_sources(store, catalogue, role, lang),
        urls=_urls(iso3, selection, request.lang),
        date=max((r.updated[:10] for r in manifest.layers.values() if r.updated), default=""),
    )


def _view(store: Store) -> tuple[Role, Catalogue]:
    if isinstance(store, SecuredStore):
        return store.role, store.catalogue
    return "admin", CATALOGUE


def _layer_frame(store: Store, catalogue: Catalogue, role: Role, layer_id: str,
                 params: Mapping[str, str]) -> gpd.GeoDataFrame:
    """The layer as the API serves it to ``role`` (its source on the secured store, then trimmed)."""
    layer = catalogue.get(layer_id)
    return trim_fields(layer, layer.source.frame(store, params), role)


def _figures(row: pd.Series | None, arrays: object, query: Query, period: object,
             lang: str) -> tuple[tuple[KeyFigure, ...], bool]:
    coverage = period_coverage(arrays, period, query).note(lang)  # type: ignore[arg-type]
    change = previous_coverage(arrays, period, query, lang)[2]  # type: ignore[arg-type]

    def value(name: str) -> float | int | None:
        if row is None or pd.isna(row[name]):
            return None
        return float(row[name]) if name in ("change_pct", "events_per_100k") else int(row[name])

    out = [
        KeyFigure(text(lang, f"metric_{metric}"), metric, value(metric),
                  change if metric == "change_pct" and not coverage else "")
        for metric in FIGURES
    ]
    out.append(KeyFigure(text(lang, "projects"), "projects_active", value("projects_active")))
    out.append(KeyFigure(text(lang, "schools"), "envr_count", value("envr_count")))
    if row is not None and row["projects_budget_status"] != "withheld":
        out.append(KeyFigure(text(lang, "brief_budget"), "projects_budget_eur", value("projects_budget_eur")))
    synthetic = row is not None and isinstance(row["data_note"], str) and "synthetic" in row["data_note"]
    return tuple(out), synthetic


def _subtitle(request: BriefRequest, period: object, lang: str) -> str:
    colon = " : " if lang == "fr" else ": "
    words = f"{text(lang, 'period')}{colon}{period if period else text(lang, 'snapshot_all_dates')}"
    if request.query.period is None and period is not None:
        words += f" ({text(lang, 'snapshot_default_period')})"
    if request.query.filters:
        shown = "; ".join(f"{n} = {', '.join(v)}" for n, v in request.query.filters)
        words += f" · {text(lang, 'brief_filters')}{colon}{shown}"
    return words


def _limited(rows: list[tuple], lang: str) -> tuple[tuple[tuple, ...], str]:
    more = len(rows) - TABLE_ROWS
    return tuple(rows[:TABLE_ROWS]), text(lang, "brief_more_rows", n=more) if more > 0 else ""


def _provinces(store: Store, catalogue: Catalogue, role: Role, iso3: str, selection: Mapping[str, str],
               lang: str) -> Table:
    summary = _layer_frame(store, catalogue, role, "province-summary", selection)
    rows = country_provinces(iso3, summary, lambda: name_summary_layer(store, selection))
    ranked = pd.DataFrame(rows.drop(columns="geometry"))
    ranked = ranked[ranked["events"].fillna(0) > 0].sort_values(
        ["events", "fatalities", "province"], ascending=[False, False, True])
    basis = str(rows["admin1_basis"].iloc[0]) if len(rows) else "name"
    body, more = _limited(
        [(str(r.province), _int(r.events), _int(r.fatalities)) for r in ranked.itertuples()], lang)
    note = text(lang, "provinces_by_name" if basis == "name" else "brief_provinces_polygon")
    return Table(text(lang, "brief_provinces"),
                 (text(lang, "province"), text(lang, "events"), text(lang, "fatalities")),
                 body, " ".join(filter(None, [note, more])), text(lang, "provinces_none"))


def _int(value: object) -> int | None:
    return None if value is None or pd.isna(value) else int(value)  # type: ignore[arg-type]


def _in_country(frame: pd.DataFrame, iso3: str) -> pd.Series:
    listed = frame["countries"].astype("string").fillna("") if "countries" in frame else None
    own = frame["country_iso3"].astype("string").fillna("") == iso3
    if listed is None:
        return own
    return own | listed.str.upper().str.split(";").apply(lambda codes: iso3 in [c.strip() for c in codes])


def _active(store: Store, layer_id: str, span: object, iso3: str, period: object) -> pd.DataFrame:
    if not store.has(layer_id):
        return pd.DataFrame()
    frame = store.read(layer_id)
    frame = frame[_in_country(frame, iso3).to_numpy(bool)]
    return frame[period_mask(frame, span, period)] if period is not None else frame  # type: ignore[arg-type]


def _projects(store: Store, catalogue: Catalogue, role: Role, iso3: str, period: object, lang: str) -> Table:
    frame = _active(store, "projects", PROJECT_SPAN, iso3, period)
    budget = "budget_eur" in frame.columns
    columns = [text(lang, "acronym"), text(lang, "brief_title_col"), text(lang, "dates"),
               text(lang, "funder"), text(lang, "implementers")] + ([text(lang, "budget")] if budget else [])
    rows = []
    if len(frame):
        for r in frame.drop_duplicates("acronym").sort_values("acronym").itertuples():
            dates = f"{_day(r.start)} – {_day(r.end)}"
            cells = [r.acronym, r.title, dates, r.funder, r.implementers]
            rows.append(tuple(_text(c) for c in cells) + ((_number(r.budget_eur),) if budget else ()))
    body, more = _limited(rows, lang)
    return Table(text(lang, "brief_projects"), tuple(columns), body, more, text(lang, "brief_projects_none"))


def _schools(store: Store, catalogue: Catalogue, role: Role, iso3: str, period: object, lang: str) -> Table:
    frame = _active(store, "envr", ENVR_SPAN, iso3, period)
    rows = []
    if len(frame):
        for r in frame.sort_values("acronym").itertuples():
            rows.append((_text(r.acronym), _text(r.name), _text(r.domain), _int(r.founded), _text(r.status)))
    body, more = _limited(rows, lang)
    columns = (text(lang, "acronym"), text(lang, "brief_name"), text(lang, "domain"), text(lang, "founded"),
               text(lang, "status"))
    return Table(text(lang, "brief_schools"), columns, body, more, text(lang, "brief_schools_none"))


def _exposure(store: Store, catalogue: Catalogue, role: Role, iso3: str, selection: Mapping[str, str],
              period: object, lang: str) -> Table:
    from geo.analytics.exposure import DEFAULT_RADIUS_KM, with_exposure

    rows: list[tuple] = []
    withheld = False
    for layer_id, span in (("projects", PROJECT_SPAN), ("envr", ENVR_SPAN)):
        if not store.has(layer_id):
            continue
        frame = trim_fields(catalogue.get(layer_id), with_exposure(store, layer_id, selection), role)
        frame = frame[_in_country(frame, iso3).to_numpy(bool)]
        if period is not None:
            frame = frame[period_mask(frame, span, period)]  # type: ignore[arg-type]
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


def _sources(store: Store, catalogue: Catalogue, role: Role, lang: str) -> tuple[str, ...]:
    used = ("countries", "provinces", "conflict-events", "projects", "envr")
    out = []
    for layer in visible_layers(catalogue, role):
        if layer.id in used and store.has(layer.id):
            title = layer.title_fr if lang == "fr" else layer.title
            out.append(f"{title}: {layer.attribution} ({text(lang, 'brief_licence')}: {layer.licence})")
    return tuple(out)


def _urls(iso3: str, selection: Mapping[str, str], lang: str) -> tuple[tuple[str, str], ...]:
    """The API addresses that give the brief's figures for the same query (and the caller's role)."""
    period = {k: v for k, v in selection.items() if k == "datetime"}

    def url(path: str, **params: str) -> str:
        return f"{path}?{urlencode(params, safe='/,')}" if params else path

    return (
        (text(lang, "brief_key_figures"), url("/ogc/collections/country-summary/items", iso3=iso3, **selection)),
        (text(lang, "brief_provinces"), url("/ogc/collections/province-summary/items", iso3=iso3, **selection)),
        (text(lang, "brief_projects"), url("/ogc/collections/projects/items", country_iso3=iso3, **period)),
        (text(lang, "brief_schools"), url("/ogc/collections/envr/items", country_iso3=iso3, **period)),
        (text(lang, "brief_monthly"), url(f"/map-data/chart/{iso3}.svg", lang=lang, **selection)),
        (text(lang, "brief_map"), url("/snapshot.png", iso3=iso3, lang=lang, **selection, **MAP_SIZE)),
        (text(lang, "brief_exposure", km="50"), "coopmap exposure --radius-km 50 "
         + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in selection.items())),
    )


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
