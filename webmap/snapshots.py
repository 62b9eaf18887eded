"""Map snapshots for briefings: ``/snapshot.png|.svg|.pdf`` and the ``/snapshot`` page.

The view parses the parameters (``geo.render.spec``), asks ``geo.render.cache`` for the file and
serialises it with an ETag (parameters + data version) and Cache-Control. A 304 or a disk-cache
hit is answered in the request thread; only a miss is rendered, in the render pool
(``webmap.renderpool``), under the caller's per-client and queue limits (429/503 with Retry-After).
"""

from __future__ import annotations

import html
from collections.abc import Mapping

from flask import Blueprint, Response, current_app, render_template_string, request, url_for
from flask.blueprints import BlueprintSetupState

from geo.cache import LRUCache
from geo.config import Settings
from geo.i18n import text
from geo.render.cache import snapshot
from geo.render.snapshot import check_snapshot, render_snapshot, snapshot_title
from geo.render.spec import MAX_TITLE, SnapshotSpec, parse_snapshot
from geo.render.style import MapLayer
from geo.render.views import View
from geo.storage.store import Store, store_from_settings
from geo.types import Role
from layers.access import SECURE_CACHE_SIZE
from layers.catalogue import Catalogue
from layers.secured import SecuredStore
from webmap.context import catalogue, settings, store
from webmap.http import not_modified, stamp
from webmap.renderpool import init_render_pool, render_pool
from webmap.security import rate_key

bp = Blueprint("snapshots", __name__)


@bp.record_once
def _attach_pool(state: BlueprintSetupState) -> None:
    init_render_pool(state.app, state.app.extensions["coopmap.settings"].home / "run" / "render")

MIMETYPES = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
MAX_AGE = 300
"""Clients may reuse an image for five minutes, then revalidate with If-None-Match (cheap 304)."""

_PAGE = """<!doctype html><html lang="{{ lang }}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ page_title }} — {{ title }}</title>
<style>body{font-family:system-ui,sans-serif;margin:1.5rem;color:#1d1d1d;
max-width:{{ width + 40 }}px}
img{max-width:100%;height:auto;border:1px solid #ccc}textarea{width:100%;font-family:monospace}
dt{font-weight:bold;margin-top:.8rem}label{display:block;font-weight:bold}
input[type=text]{width:100%;max-width:32rem;padding:.3rem}.hint{color:#4a4a4a;margin:.2rem 0 .5rem}
:focus-visible{outline:3px solid #1f4e9c;outline-offset:2px}</style></head><body><main>
<h1>{{ title }}</h1>
<p><img src="{{ png }}" width="{{ width }}" height="{{ height }}" alt="{{ title }}"></p>
<form method="get" action="{{ action }}">
{% for name, value in kept %}<input type="hidden" name="{{ name }}" value="{{ value }}">{% endfor %}
<label for="snapshot-title">{{ title_label }}</label>
<input type="text" id="snapshot-title" name="title" value="{{ custom_title }}" maxlength="{{ max_title }}"
 aria-describedby="snapshot-title-hint">
<p class="hint" id="snapshot-title-hint">{{ title_hint }}</p>
<button type="submit">{{ apply }}</button>
</form>
<p>{{ downloads }}: <a href="{{ png }}">PNG</a> · <a href="{{ svg }}">SVG</a>
· <a href="{{ pdf }}">PDF</a></p>
<dl><dt>{{ permalink_label }}</dt><dd><a href="{{ permalink }}">{{ permalink }}</a></dd>
<dt><label for="snapshot-embed">{{ embed_label }}</label></dt>
<dd><textarea id="snapshot-embed" rows="3" readonly>{{ snippet }}</textarea></dd></dl>
</main></body></html>"""

def _spec() -> tuple[SnapshotSpec, View, dict[str, MapLayer]]:
    """The request's snapshot, its view and the caller's drawable layers (made once per request)."""
    layers = catalogue().map_layers()
    spec = parse_snapshot(request.args.to_dict(flat=True), layers)
    return spec, check_snapshot(store(), spec), layers


@bp.get("/snapshot.<any(png, svg, pdf):fmt>")
def image(fmt: str) -> Response:
    """The snapshot file; 304 when the client already holds this ETag."""
    spec, _, layers = _spec()
    key = spec.key(fmt, store().data_version)
    cached = not_modified(key, None, weak=False, max_age=MAX_AGE)
    if cached is not None:
        return cached
    shot = snapshot(store(), settings(), spec, fmt, layers, render=_render_in_pool)
    response = Response(shot.content, mimetype=MIMETYPES[fmt])
    response.headers["X-Snapshot-Cache"] = "hit" if shot.from_cache else "miss"
    response.headers["Content-Disposition"] = f'inline; filename="coopmap-snapshot-{key[:12]}.{fmt}"'
    return stamp(response, key, None, weak=False, max_age=MAX_AGE)


@bp.get("/snapshot")
def page() -> str:
    """An HTML page with the image, a form to retitle it, its permalink and an ``<img>`` snippet to embed it."""
    spec, view, _ = _spec()
    params = dict(spec.params())
    links = {fmt: url_for("snapshots.image", fmt=fmt, **params) for fmt in MIMETYPES}
    permalink = url_for("snapshots.image", fmt="png", _external=True, **params)
    title = snapshot_title(spec, view)
    snippet = (
        f'<img src="{html.escape(permalink)}" width="{spec.width}" height="{spec.height}" '
        f'alt="{html.escape(title)}">'
    )
    return render_template_string(
        _PAGE,
        lang=spec.lang,
        title=title,
        page_title=text(spec.lang, "snapshot_page_title"),
        width=spec.width,
        height=spec.height,
        png=links["png"],
        svg=links["svg"],
        pdf=links["pdf"],
        permalink=permalink,
        snippet=snippet,
        downloads=text(spec.lang, "snapshot_downloads"),
        permalink_label=text(spec.lang, "snapshot_permalink"),
        embed_label=text(spec.lang, "snapshot_embed"),
        action=url_for("snapshots.page"),
        kept=[(name, value) for name, value in params.items() if name != "title"],
        custom_title=spec.title,
        max_title=MAX_TITLE,
        title_label=text(spec.lang, "snapshot_title_label"),
        title_hint=text(spec.lang, "snapshot_title_hint", n=MAX_TITLE),
        apply=text(spec.lang, "snapshot_apply"),
    )


def _render_in_pool(
    secured: Store, settings: Settings, spec: SnapshotSpec, fmt: str, layers: Mapping[str, MapLayer]
) -> bytes:
    """The cache's renderer slot: one render per key at a time (identical requests wait for it
    and read it from the cache), in the pool, as the caller (their role, their catalogue)."""
    pool = render_pool(current_app._get_current_object())  # type: ignore[attr-defined]
    with pool.single_flight(spec.key(fmt, secured.data_version)) as waited:
        if waited:
            return snapshot(secured, settings, spec, fmt, layers, render=_render_admitted).content
        return _render_admitted(secured, settings, spec, fmt, layers)


def _render_admitted(
    secured: Store, settings: Settings, spec: SnapshotSpec, fmt: str, layers: Mapping[str, MapLayer]
) -> bytes:
    role, full = (secured.role, secured.catalogue) if isinstance(secured, SecuredStore) else (None, None)
    pool = render_pool(current_app._get_current_object())  # type: ignore[attr-defined]
    heavy = spec.width * spec.height > pool.options.heavy_pixels
    return pool.run(render_job, settings, role, full, spec, fmt, dict(layers), client=rate_key(), heavy=heavy)


_WORKER_STORES: dict[str, Store] = {}
_WORKER_CACHE = LRUCache(SECURE_CACHE_SIZE)


def render_job(
    settings: Settings, role: Role | None, full: Catalogue | None, spec: SnapshotSpec, fmt: str,
    layers: Mapping[str, MapLayer],
) -> bytes:
    """Render ``spec`` in a pool process: the store opened from ``settings``, seen as ``role``.

    Parameters
    ----------
    settings : the workspace (the store is opened from it, once per process)
    role, full : the caller's role and the catalogue the access policy reads; ``None``: the raw store
    spec, fmt, layers : as for ``geo.render.snapshot.render_snapshot``
    """
    return render_snapshot(worker_store(settings, role, full), settings, spec, fmt, layers)


def worker_store(settings: Settings, role: Role | None, full: Catalogue | None) -> Store:
    """In a pool process: the workspace's store (opened once per process) as ``role`` sees it
    (``None``: the raw store)."""
    raw = _WORKER_STORES.get(str(settings.home))
    if raw is None:
        raw = _WORKER_STORES[str(settings.home)] = store_from_settings(settings)
    return raw if role is None or full is None else SecuredStore(raw, role, full, _WORKER_CACHE)
