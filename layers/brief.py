"""The content of a brief, computed by the code the API uses, as the caller's role sees it.

A brief covers an area: one country (``/brief/COD.pdf``) or a named view's countries
(``/brief.pdf?view=sahel``, the views of ``geo.render.views``, as the snapshots address them).
``build_brief(store, settings, request)`` reads every figure from the catalogue's own sources on
the store it is given (a :class:`layers.secured.SecuredStore` for a web caller, so the access
policy applies as everywhere: generalised sites, no budgets below analyst, no hidden layer):

- key figures: the ``country-summary`` layer (``/ogc/collections/country-summary/items``); for a
  region, its countries' rows summed (:func:`area_figures`: change and rate recomputed from the
  sums, projects counted once however many of the countries they name);
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

import pandas as pd

from geo.analytics.coverage import period_coverage, previous_coverage
from geo.analytics.prepared import FILTER_FIELDS, prepared_events, resolve_period
from geo.config import Settings
from geo.errors import CountryNotFound, InvalidParameter
from geo.i18n import LANGS, strings, text
from geo.query import Query, parse_query
from geo.render.briefmodel import Brief, KeyFigure
from geo.render.cache import snapshot
from geo.render.chart import monthly_chart
from geo.render.mapview import chart_events, find_country
from geo.render.spec import parse_snapshot
from geo.render.views import named_view, view_countries
from geo.storage.store import Store
from geo.types import Role
from layers.access import visible_layers
from layers.brieftables import (
    Scope,
    exposure_table,
    layer_frame,
    projects_table,
    provinces_table,
    schools_table,
    sources_list,
)
from layers.catalogue import CATALOGUE, Catalogue
from layers.secured import SecuredStore

FORMATS = ("pdf", "pptx", "png")
"""The brief's files; ``png`` is the preview of its first page."""
RESERVED = ("lang", "title", "iso3", "view")
MAX_TITLE = 160
BRIEF_VERSION = "2"
"""Bump when a brief's layout changes, so cached files of the old look are not served."""
MAP_SIZE = {"width": "1500", "height": "940", "dpi": "150"}
"""The map's snapshot: 10 × 6.3 inches, the width of an A4 landscape page inside its margins."""
CHART_DPI = 120
"""The monthly chart: 10 × 5.2 inches at 120 dpi, about the resolution it is printed at on the page."""
FIGURES = ("events", "fatalities", "change_pct", "events_per_100k")


@dataclass(frozen=True)
class BriefRequest:
    """A validated brief request: the area (a country, or a named view), selection, language, title."""

    iso3: str
    query: Query
    lang: str
    title: str = ""
    view: str = ""
    """A named view (``sahel``...): the brief of its countries; ``iso3`` is then ''."""

    @property
    def area(self) -> str:
        """The country's ISO3 code or the view's name (file names, page titles)."""
        return self.view or self.iso3

    def params(self) -> list[tuple[str, str]]:
        """Canonical parameters (fixed order) for cache keys, ETags and links."""
        out = [("view", self.view)] if self.view else [("iso3", self.iso3)]
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


def parse_brief(iso3: str | None, params: Mapping[str, str]) -> BriefRequest:
    """Validate a brief's parameters; ``InvalidParameter`` names the first bad one.

    Parameters
    ----------
    iso3 : the country (from the path); None: the area is ``params``' ``iso3`` or ``view``
    params : ``iso3`` or ``view``, ``datetime``, event filters, ``lang``, ``title``

    Examples
    --------
    >>> parse_brief("cod", {"datetime": "2024", "lang": "fr"}).params()
    [('iso3', 'COD'), ('datetime', '2024-01-01/2024-12-31'), ('lang', 'fr')]
    >>> parse_brief(None, {"view": "sahel"}).params()
    [('view', 'sahel'), ('lang', 'en')]
    """
    params = {k: str(v) for k, v in params.items()}
    view = params.get("view", "") if iso3 is None else ""
    if iso3 is None and not view and not params.get("iso3"):
        raise InvalidParameter("iso3", "", "name a country (iso3=COD) or a region (view=sahel)")
    if iso3 is None and view and params.get("iso3"):
        raise InvalidParameter("view", view, "give either iso3 or view, not both")
    if view:
        named_view(view)
        code = ""
    else:
        raw = params.get("iso3", "") if iso3 is None else iso3
        code = raw.strip().upper()
        if not (len(code) == 3 and code.isalpha()):
            raise InvalidParameter("iso3", raw, "expected an ISO 3166-1 alpha-3 code such as COD")
    query = parse_query(params, FILTER_FIELDS, strict=True, reserved=RESERVED)
    if query.bbox is not None:
        raise InvalidParameter("bbox", params["bbox"], "a brief covers a country or a view: use iso3 or view")
    lang = params.get("lang") or LANGS[0]
    if lang not in LANGS:
        raise InvalidParameter("lang", lang, f"use one of {list(LANGS)}")
    title = " ".join(params.get("title", "").split())
    if len(title) > MAX_TITLE:
        raise InvalidParameter("title", title[:40] + "…", f"at most {MAX_TITLE} characters")
    return BriefRequest(code, query, lang, title, view)


def country_row(store: Store, iso3: str) -> pd.Series:
    """The ``countries`` row of ``iso3``; ``CountryNotFound`` (404) when there is none."""
    row = find_country(store.read("countries"), iso3)
    if row is None:
        raise CountryNotFound(iso3)
    return row


@dataclass(frozen=True)
class Area:
    """What a brief covers: its countries' codes and its name in the brief's language."""

    codes: tuple[str, ...]
    name: str
    view: str = ""


def brief_area(store: Store, request: BriefRequest) -> Area:
    """The area of ``request``: the country (404 when unknown) or the named view's countries."""
    lang = request.lang
    if request.view:
        view = named_view(request.view)
        return Area(view_countries(view, store.read("countries")), view.title(lang), view.name)
    row = country_row(store, request.iso3)
    name = str(row["name_fr"]) if lang == "fr" and isinstance(row.get("name_fr"), str) else str(row["name"])
    return Area((request.iso3,), name)


def brief_title(area: Area, request: BriefRequest) -> str:
    """The brief's title: the request's, else "Country brief: <name>" or "Regional brief: <name>"."""
    return request.title or text(request.lang, "brief_title_region" if area.view else "brief_title", name=area.name)


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
    lang = request.lang
    area = brief_area(store, request)
    arrays = prepared_events(store)
    period = resolve_period(request.query, arrays)
    selection = request.selection()
    if period is not None:
        selection["datetime"] = str(period)
    query = parse_query(selection, FILTER_FIELDS)
    role, catalogue = _view(store)
    summary = layer_frame(store, catalogue, role, "country-summary", selection)
    mine = summary[summary["iso3"].isin(area.codes)]
    row = None if mine.empty else (mine.iloc[0] if not area.view else area_figures(mine, store.read("countries")))
    figures, synthetic = _figures(row, arrays, query, period, lang, budget=not area.view)
    coverage = period_coverage(arrays, period, query).note(lang)
    layers = Catalogue(tuple(visible_layers(catalogue, role))).map_layers()
    where = {"view": area.view} if area.view else {"iso3": request.iso3}
    spec = parse_snapshot({**where, "lang": lang, **selection, **MAP_SIZE}, layers)
    map_png = snapshot(store, settings, spec, "png", layers).content
    codes = area.codes if area.view else request.iso3
    chart = monthly_chart(chart_events(store, query, codes), strings(lang), area.name, "png", size=(10.0, 5.2),
                          dpi=CHART_DPI)
    scope = Scope(store, catalogue, role, area.codes, selection, query.period, lang)
    manifest = store.manifest()
    return Brief(
        lang=lang,
        iso3=request.area,
        title=brief_title(area, request),
        period=str(period) if period else "",
        subtitle=_subtitle(request, area, period, lang),
        data_version=manifest.data_version,
        synthetic=synthetic,
        notice=text(lang, "snapshot_synthetic") if synthetic else "",
        figures=figures,
        figures_note=coverage[:1].upper() + coverage[1:],
        map_png=map_png,
        chart_png=chart,
        provinces=provinces_table(scope),
        projects=projects_table(scope),
        schools=schools_table(scope),
        exposure=exposure_table(scope),
        sources=sources_list(scope),
        urls=_urls(area, selection, request.lang),
        date=max((r.updated[:10] for r in manifest.layers.values() if r.updated), default=""),
    )


def area_figures(rows: pd.DataFrame, countries: pd.DataFrame) -> pd.Series:
    """A region's key figures from its countries' ``country-summary`` rows.

    Events, fatalities, the previous period's events and schools are summed (null when every
    country's is: outside the data's coverage); the change and the rate per 100k are recomputed
    from the sums (the countries' ``pop_est``, as the summary's rate); projects are the distinct
    acronyms of the rows' ``project_acronyms`` (a project naming two countries counts once).

    Examples
    --------
    >>> area_figures(summary[summary.iso3.isin(["BDI", "RWA"])], countries)["events"]  # doctest: +SKIP
    57
    """
    pop = countries.set_index("iso3")["pop_est"].astype("Float64")
    pop = pop[~pop.index.duplicated()].reindex(rows["iso3"].astype(str)).where(lambda p: p > 0)

    def total(name: str) -> float | None:
        value = pd.to_numeric(rows[name], errors="coerce").sum(min_count=1)
        return None if pd.isna(value) else float(value)

    events, previous = total("events"), total("events_previous")
    change = None if events is None or not previous else round((events - previous) / previous * 100, 1)
    people = pop.sum(min_count=1)
    rate = None if events is None or pd.isna(people) else round(events / float(people) * 100_000, 3)
    acronyms = {a.strip() for listed in rows["project_acronyms"].fillna("") for a in str(listed).split(",")}
    notes = rows["data_note"].dropna().astype(str)
    return pd.Series({
        "events": events, "fatalities": total("fatalities"), "change_pct": change, "events_per_100k": rate,
        "projects_active": len(acronyms - {""}), "envr_count": total("envr_count"),
        "projects_budget_status": "withheld", "data_note": next((n for n in notes if "synthetic" in n), ""),
    })


def _view(store: Store) -> tuple[Role, Catalogue]:
    if isinstance(store, SecuredStore):
        return store.role, store.catalogue
    return "admin", CATALOGUE


def _figures(row: pd.Series | None, arrays: object, query: Query, period: object,
             lang: str, budget: bool = True) -> tuple[tuple[KeyFigure, ...], bool]:
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
    if budget and row is not None and row["projects_budget_status"] != "withheld":
        out.append(KeyFigure(text(lang, "brief_budget"), "projects_budget_eur", value("projects_budget_eur")))
    synthetic = row is not None and isinstance(row["data_note"], str) and "synthetic" in row["data_note"]
    return tuple(out), synthetic


def _subtitle(request: BriefRequest, area: Area, period: object, lang: str) -> str:
    colon = " : " if lang == "fr" else ": "
    words = f"{text(lang, 'period')}{colon}{period if period else text(lang, 'snapshot_all_dates')}"
    if request.query.period is None and period is not None:
        words += f" ({text(lang, 'snapshot_default_period')})"
    if request.query.filters:
        shown = "; ".join(f"{n} = {', '.join(v)}" for n, v in request.query.filters)
        words += f" · {text(lang, 'brief_filters')}{colon}{shown}"
    if area.view:
        words += f" · {text(lang, 'brief_countries')}{colon}{', '.join(area.codes)}"
    return words


def _urls(area: Area, selection: Mapping[str, str], lang: str) -> tuple[tuple[str, str], ...]:
    """The API addresses that give the brief's figures for the same query (and the caller's role).

    A region's key figures are the sums of the rows its ``iso3`` list returns; its chart has no
    address of its own (each country's is ``/map-data/chart/<iso3>.svg``). The exposure columns
    of the projects and schools are computed over ``exposure_datetime`` (and ``exposure_<filter>``).
    """
    period = {k: v for k, v in selection.items() if k == "datetime"}
    exposure = {f"exposure_{k}": v for k, v in selection.items()}
    iso3 = ",".join(area.codes)
    where = {"view": area.view} if area.view else {"iso3": iso3}

    def url(path: str, **params: str) -> str:
        return f"{path}?{urlencode(params, safe='/,')}" if params else path

    out = [
        (text(lang, "brief_key_figures"), url("/ogc/collections/country-summary/items", iso3=iso3, **selection)),
        (text(lang, "brief_provinces"), url("/ogc/collections/province-summary/items", iso3=iso3, **selection,
                                            limit="1000")),
        (text(lang, "brief_projects"), url("/ogc/collections/projects/items", country_iso3=iso3, **period)),
        (text(lang, "brief_schools"), url("/ogc/collections/envr/items", country_iso3=iso3, **period)),
    ]
    if not area.view:
        out.append((text(lang, "brief_monthly"), url(f"/map-data/chart/{iso3}.svg", lang=lang, **selection)))
    out.append((text(lang, "brief_map"), url("/snapshot.png", **where, lang=lang, **selection, **MAP_SIZE)))
    for layer_id in ("projects", "envr"):
        out.append((text(lang, "brief_exposure", km="50"),
                    url(f"/ogc/collections/{layer_id}/items", country_iso3=iso3, **period, **exposure)))
    return tuple(out)
