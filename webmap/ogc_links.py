"""Links of the OGC API responses: self, alternate, next/prev, collection."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import request, url_for

from webmap.http import MEDIA

TITLES = {"json": "GeoJSON", "html": "HTML", "csv": "CSV"}
JSON_MEDIA = {"json": "application/json", "html": MEDIA["html"], "csv": MEDIA["csv"]}


def link(href: str, rel: str, media: str, title: str = "") -> dict[str, str]:
    out = {"href": href, "rel": rel, "type": media}
    if title:
        out["title"] = title
    return out


def here(**changes: Any) -> str:
    """The current URL with parameters replaced (None removes one)."""
    args: dict[str, Any] = {k: v for k, v in request.args.items(multi=False)}
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = value
    return url_for(request.endpoint, **(request.view_args or {}), **args, _external=True)


def self_links(
    current: str, formats: Mapping[str, str], media: Mapping[str, str] = JSON_MEDIA
) -> list[dict]:
    """``self`` for the current format and ``alternate`` for the others."""
    out = []
    for name in formats:
        rel = "self" if name == current else "alternate"
        out.append(link(here(f=name), rel, media[name], f"This document as {TITLES[name]}"))
    return out


def paging_links(offset: int, limit: int, matched: int, media: str = MEDIA["json"]) -> list[dict]:
    """``next`` exactly when more features follow; ``prev`` when the page does not start at 0."""
    out = []
    if offset + limit < matched:
        out.append(link(here(offset=offset + limit, limit=limit), "next", media, "Next page"))
    if offset > 0:
        out.append(
            link(here(offset=max(0, offset - limit), limit=limit), "prev", media, "Previous page")
        )
    return out
