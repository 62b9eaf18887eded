"""Briefing packs as files: the brief of a request rendered as PDF or PPTX, cached on disk.

The files share the snapshots' disk cache (``geo.render.cache.snapshot_cache``: one byte budget,
least-recently-used eviction across processes), keyed by the request's canonical parameters, the
format, the data version of the caller's view and the layout version (``BriefRequest.key``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from geo.config import Settings
from geo.errors import InvalidParameter
from geo.render.briefpdf import brief_pdf, brief_preview_png
from geo.render.briefpptx import brief_pptx
from geo.render.cache import snapshot_cache
from geo.storage.store import Store
from layers.brief import FORMATS, BriefRequest, build_brief

MIMETYPES = {
    "pdf": "application/pdf",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "png": "image/png",
}
WRITERS = {"pdf": brief_pdf, "pptx": brief_pptx, "png": brief_preview_png}
"""``png``: the preview of page 1, drawn by the PDF's own code and cached like the files."""
Renderer = Callable[[Store, Settings, BriefRequest, str], bytes]


@dataclass(frozen=True)
class BriefFile:
    """A rendered brief and whether it came from the cache."""

    content: bytes
    key: str
    fmt: str
    from_cache: bool


def format_of_suffix(suffix: str) -> str:
    """``.pdf`` → ``pdf``; ``InvalidParameter`` for anything but PDF, PPTX and PNG (page 1)."""
    fmt = suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidParameter("format", suffix, f"use one of {list(FORMATS)}")
    return fmt


def render_brief(store: Store, settings: Settings, request: BriefRequest, fmt: str) -> bytes:
    """Build the brief of ``request`` from ``store`` and write it as ``fmt`` (``pdf``, ``pptx``, ``png``)."""
    if fmt not in WRITERS:
        raise InvalidParameter("format", fmt, f"use one of {list(FORMATS)}")
    return WRITERS[fmt](build_brief(store, settings, request))


def brief_file(
    store: Store, settings: Settings, request: BriefRequest, fmt: str, render: Renderer | None = None
) -> BriefFile:
    """The brief of ``request`` as ``fmt``: from the disk cache, else rendered and cached.

    Parameters
    ----------
    store : the workspace as the caller's role sees it (its data version names the view)
    settings : the workspace (the cache folder and budget)
    request : ``layers.brief.parse_brief`` output
    fmt : ``pdf``, ``pptx`` or ``png`` (the preview of page 1)
    render : the renderer (a slot: the web app renders in its render pool); default ``render_brief``

    Examples
    --------
    >>> brief_file(store, settings, parse_brief("COD", {"datetime": "2024"}), "pdf").from_cache  # doctest: +SKIP
    False
    """
    key = request.key(fmt, store.data_version)
    cache = snapshot_cache(settings)
    name = f"brief-{key}.{fmt}"
    content, cached = cache.bytes_or_make(name, lambda: (render or render_brief)(store, settings, request, fmt))
    return BriefFile(content, key, fmt, from_cache=cached)
