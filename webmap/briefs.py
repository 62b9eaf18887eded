"""Briefing packs: ``/brief/<iso3>.pdf|.pptx`` and the ``/brief/<iso3>`` page with their links.

The view parses the parameters (``layers.brief.parse_brief``), answers a 304 or a disk-cache hit
in the request thread (ETag: parameters + data version of the caller's view + layout), and renders
a miss in the render pool (``webmap.renderpool``, registered by the snapshots blueprint), as the
caller: their role, their catalogue.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, render_template_string, request, url_for

from geo.config import Settings
from geo.i18n import text
from geo.storage.store import Store
from geo.types import Role
from layers.brief import MAP_SIZE, BriefRequest, country_row, parse_brief
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
<title>{{ page_title }} — {{ title }}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d1d1d;max-width:1040px}
img{max-width:100%;height:auto;border:1px solid #ccc}</style></head><body>
<h1>{{ title }}</h1>
<p>{{ downloads }}: <a href="{{ pdf }}">PDF</a> · <a href="{{ pptx }}">PowerPoint</a></p>
<p>{{ preview }}</p><p><img src="{{ png }}" alt="{{ title }}"></p>
</body></html>"""


def _request(iso3: str) -> BriefRequest:
    brief = parse_brief(iso3, request.args.to_dict(flat=True))
    country_row(store(), brief.iso3)
    return brief


@bp.get("/brief/<iso3>.<any(pdf, pptx):fmt>")
def brief(iso3: str, fmt: str) -> Response:
    """The brief as a file; 304 when the client already holds this ETag."""
    wanted = _request(iso3)
    secured = store()
    key = wanted.key(fmt, secured.data_version)
    cached = not_modified(key, None, weak=False, max_age=MAX_AGE)
    if cached is not None:
        return cached
    made = brief_file(secured, settings(), wanted, fmt, render=_render_in_pool)
    response = Response(made.content, mimetype=MIMETYPES[fmt])
    response.headers["X-Brief-Cache"] = "hit" if made.from_cache else "miss"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="coopmap-brief-{wanted.iso3}-{key[:12]}.{fmt}"'
    )
    return stamp(response, key, None, weak=False, max_age=MAX_AGE)


@bp.get("/brief/<iso3>")
def page(iso3: str) -> str:
    """A page with the download links and the brief's map as a preview."""
    wanted = _request(iso3)
    params = dict(wanted.params())
    params.pop("iso3")
    row = country_row(store(), wanted.iso3)
    name = row["name_fr"] if wanted.lang == "fr" and isinstance(row.get("name_fr"), str) else row["name"]
    title = wanted.title or text(wanted.lang, "brief_title", name=name)
    snapshot = {k: v for k, v in params.items() if k != "title"}
    return render_template_string(
        _PAGE,
        lang=wanted.lang,
        title=title,
        page_title=text(wanted.lang, "brief_page_title"),
        downloads=text(wanted.lang, "snapshot_downloads"),
        preview=text(wanted.lang, "brief_map"),
        pdf=url_for("briefs.brief", iso3=wanted.iso3, fmt="pdf", **params),
        pptx=url_for("briefs.brief", iso3=wanted.iso3, fmt="pptx", **params),
        png=url_for("snapshots.image", fmt="png", iso3=wanted.iso3, **snapshot, **MAP_SIZE),
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
