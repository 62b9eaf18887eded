"""Gazetteer suggestions for the registry forms: the places a typed name may mean, with their point
and the geocode precision a record placed there stores (``geo.boundaries.geocode.Geocoder.suggest``)."""

from __future__ import annotations

from typing import Any

from flask import current_app

from geo.cache import LRUCache
from geo.i18n import text
from geo.registries.fields import split_list
from layers.registry_records import geocoder_of
from webmap.context import raw_store

MAX_SUGGESTIONS = 8
CACHE_KEY = "coopmap.registry_geocoders"


def place_suggestions(q: str, countries: str, lang: str) -> list[dict[str, Any]]:
    """Up to ``MAX_SUGGESTIONS`` places starting with ``q`` in ``countries`` (';'-separated ISO3, any
    spelling the registry takes; empty: every country), as JSON-ready dicts.

    Examples
    --------
    >>> place_suggestions("gom", "COD", "en")[0]["label"]  # doctest: +SKIP
    'Goma (COD) — city (gazetteer)'
    """
    from geo.boundaries.codes import to_iso3

    codes = [code for part in split_list(countries.replace(",", ";")) if (code := to_iso3(part))]
    found = _geocoder().suggest(q[:100], codes, MAX_SUGGESTIONS)
    return [
        {
            "name": s.name,
            "iso3": s.location.iso3,
            "lat": round(s.location.lat, 5),
            "lon": round(s.location.lon, 5),
            "precision": s.location.precision,
            "label": f"{s.name} ({s.location.iso3}) — {text(lang, f'registry_precision_{s.location.precision}')}",
        }
        for s in found
    ]


def _geocoder() -> Any:
    """The workspace's geocoder, built once per data version (the countries and provinces it reads)."""
    cache = current_app.extensions.get(CACHE_KEY)
    if cache is None:
        cache = current_app.extensions[CACHE_KEY] = LRUCache(2)
    store = raw_store()
    return cache.get_or_compute(store.data_version, lambda: geocoder_of(store))
