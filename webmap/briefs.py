"""Briefing packs: the files and the ``/brief`` page with their links and a preview of page 1.

A brief covers a country (``/brief/COD.pdf``) or a named view's countries (``/brief.pdf?view=sahel``,
the ``view`` the snapshots take); ``.pptx`` is the deck, ``.png`` the preview of page 1 (drawn
by the PDF's code, cached like the files). The view parses the parameters
(``layers.brief.parse_brief``), answers a 304 or a disk-cache hit in the request thread (ETag:
parameters + data version of the caller's view + layout), and renders a miss in the render pool
(``webmap.renderpool``, registered by the snapshots blueprint), as the caller: their role, their
catalogue.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template_string, request, url_for

from geo.config import Settings
from geo.i18n import LANGS, text
from geo.render.views import VIEWS
from geo.storage.store import Store
from geo.types import Role
from layers.brief import BriefRequest, brief_area, brief_title, parse_brief
from layers.briefpack import MIMETYPES, brief_file, render_brief
from layers.catalogue import Catalogue
from layers.secured import SecuredStore
from webmap.context import settings, store
from webmap.http import not_modified, stamp
from webmap.renderpool import render_pool
from webmap.security import rate_key
from webmap.snapshots import worker_store

bp = Blueprint("briefs", __name__)

MAX_AGE = 300

_PAGE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }} — {{ page_title }}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d1d1d;max-width:1080px}
a{color:#1f4e79}img{max-width:100%;height:auto;border:1px solid #767676}
label{display:block;margin:.4rem 0 .2rem}input,select,button{font:inherit;padding:.2rem .4rem}</style>
</head><body><main>
<h1>{{ title }}</h1>
{% if links %}
<p>{{ downloads }}: <a href="{{ links.pdf }}">PDF</a> · <a href="{{ links.pptx }}">PowerPoint</a></p>
<h2>{{ preview }}</h2>
<p><img src="{{ links.png }}" alt="{{ alt }}" width="1052" height="744"></p>
{% endif %}
<h2>{{ regions }}</h2>
<ul>{% for name, href in views %}<li><a href="{{ href }}">{{ name }}</a></li>{% endfor %}</ul>
<h2>{{ choose }}</h2>
<form method="get" action="{{ action }}">
<label for="brief-iso3">{{ country_label }}</label>
<input id="brief-iso3" name="iso3" value="{{ iso3 }}" maxlength="3" pattern="[A-Za-z]{3}" autocomplete="off">
<input type="hidden" name="lang" value="{{ lang }}">
<button type="submit">{{ open }}</button>
</form>
</main></body></html>"""


def _request(iso3: str | None) -> BriefRequest:
    wanted = parse_brief(iso3, request.args.to_dict(flat=True))
    brief_area(store(), wanted)  # 404 for an unknown country
    return wanted


def _file(wanted: BriefRequest, fmt: str) -> Response:
    secured = store()
    key = wanted.key(fmt, secured.data_version)
    cached = not_modified(key, None, weak=False, max_age=MAX_AGE)
    if cached is not None:
        return cached
    made = brief_file(secured, settings(), wanted, fmt, render=_render_in_pool)
    response = Response(made.content, mimetype=MIMETYPES[fmt])
    response.headers["X-Brief-Cache"] = "hit" if made.from_cache else "miss"
    disposition = "inline" if fmt == "png" else "attachment"
    response.headers["Content-Disposition"] = (
        f'{disposition}; filename="coopmap-brief-{wanted.area}-{key[:12]}.{fmt}"'
    )
    return stamp(response, key, None, weak=False, max_age=MAX_AGE)


@bp.get("/brief/<iso3>.<any(pdf, pptx, png):fmt>")
def brief(iso3: str, fmt: str) -> Response:
    """A country's brief as a file (``png``: page 1); 304 when the client already holds this ETag."""
    return _file(_request(iso3), fmt)


@bp.get("/brief.<any(pdf, pptx, png):fmt>")
def area_brief(fmt: str) -> Response:
    """The brief of ``?view=`` (a region) or ``?iso3=`` as a file."""
    return _file(_request(None), fmt)


@bp.get("/brief/<iso3>")
def page(iso3: str) -> str:
    """A country's brief page: download links and the preview of page 1."""
    return _page(_request(iso3))


@bp.get("/brief")
def area_page() -> str:
    """The brief page of ``?view=`` or ``?iso3=``; without either, the regions and a country form."""
    args = request.args.to_dict(flat=True)
    if args.get("view") or args.get("iso3"):
        return _page(_request(None))
    lang = args.get("lang") or LANGS[0]
    return _page(parse_brief(None, {"view": "africa", "lang": lang}), links=False)


def _page(wanted: BriefRequest, links: bool = True) -> str:
    lang = wanted.lang
    params = dict(wanted.params())
    files = {}
    if links:
        area = brief_area(store(), wanted)
        title = brief_title(area, wanted)
        for fmt in ("pdf", "pptx", "png"):
            files[fmt] = (url_for("briefs.area_brief", fmt=fmt, **params) if wanted.view else
                          url_for("briefs.brief", fmt=fmt, **params))
    else:
        title = text(lang, "brief_page_title")
    views = [(text(lang, "brief_title_region", name=view.title(lang)),
              url_for("briefs.area_page", view=name, lang=lang)) for name, view in VIEWS.items()]
    return render_template_string(
        _PAGE,
        lang=lang,
        title=title,
        page_title=text(lang, "brief_page_title"),
        downloads=text(lang, "snapshot_downloads"),
        preview=text(lang, "brief_preview"),
        alt=text(lang, "brief_preview_alt", title=title),
        links=files,
        regions=text(lang, "brief_regions"),
        views=views,
        choose=text(lang, "brief_choose"),
        country_label=text(lang, "brief_country_label"),
        open=text(lang, "brief_open"),
        action=url_for("briefs.area_page"),
        iso3=wanted.iso3,
    )


def _render_in_pool(secured: Store, settings: Settings, wanted: BriefRequest, fmt: str) -> bytes:
    """The cache's renderer slot: one render per key at a time, in the pool, as the caller."""
    pool = render_pool(current_app._get_current_object())  # type: ignore[attr-defined]
    with pool.single_flight(wanted.key(fmt, secured.data_version)) as waited:
        if waited:
            return brief_file(secured, settings, wanted, fmt, render=_render_admitted).content
        return _render_admitted(secured, settings, wanted, fmt)


def _render_admitted(secured: Store, settings: Settings, wanted: BriefRequest, fmt: str) -> bytes:
    role, full = (secured.role, secured.catalogue) if isinstance(secured, SecuredStore) else (None, None)
    pool = render_pool(current_app._get_current_object())  # type: ignore[attr-defined]
    return pool.run(brief_job, settings, role, full, wanted, fmt, client=rate_key(), heavy=True)


def brief_job(settings: Settings, role: Role | None, full: Catalogue | None, wanted: BriefRequest,
              fmt: str) -> bytes:
    """Render a brief in a pool process: the store opened from ``settings``, seen as ``role``."""
    return render_brief(worker_store(settings, role, full), settings, wanted, fmt)
