"""Country codes: normalising the names and codes found in input files to ISO 3166-1 alpha-3."""

from __future__ import annotations

import functools

import pycountry

EXTRA_ALPHA3 = {"KOS": "KOS", "XKX": "KOS", "XK": "KOS"}
"""Codes outside ISO 3166-1 that the boundaries use (Natural Earth's ADM0_A3)."""


@functools.lru_cache(maxsize=4096)
def to_iso3(value: str) -> str | None:
    """Return the alpha-3 code of an alpha-2 code, alpha-3 code or country name, else None.

    Examples
    --------
    >>> to_iso3("CD"), to_iso3("cod"), to_iso3("Mali"), to_iso3("Atlantis")
    ('COD', 'COD', 'MLI', None)
    """
    text = (value or "").strip()
    if not text:
        return None
    if text.upper() in EXTRA_ALPHA3:
        return EXTRA_ALPHA3[text.upper()]
    if len(text) in (2, 3) and text.isalpha():
        found = pycountry.countries.get(**{"alpha_2" if len(text) == 2 else "alpha_3": text.upper()})
        return found.alpha_3 if found else None
    try:
        return pycountry.countries.lookup(text).alpha_3
    except LookupError:
        return None
