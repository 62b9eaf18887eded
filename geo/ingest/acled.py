"""ACLED exports: the standard columns normalised to the ``conflict-events`` schema.

``iso`` in ACLED exports is the ISO 3166-1 numeric code; it (else ``country``) is the export's
own country, compared with the spatial join in the disagreement report.
"""

from __future__ import annotations

import functools

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pycountry

from geo.boundaries.codes import to_iso3
from geo.events import SYNTHETIC
from geo.ingest.common import (
    Checks,
    assemble,
    check_coordinates,
    check_count,
    check_id,
    dates,
    map_values,
    numbers,
    text,
)

REQUIRED = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude", "fatalities")
"""Columns an ACLED file must have; the other standard columns are used when present."""

DATE_FORMATS = ("%Y-%m-%d", "%d %B %Y", "%d %b %Y", "%d-%B-%Y")
"""Date styles seen in ACLED exports ("2024-01-15", "15 January 2024")."""

SYNTHETIC_TAG = "synthetic demo data"
"""The ``tags`` value of coopmap's synthetic rows."""

PRECISION = {1.0: 1, 2.0: 2, 3.0: 3}
"""ACLED geo_precision → normalised precision (1 exact, 2 near / district, 3 province)."""


COUNTRY_NAMES = {
    "Democratic Republic of Congo": "COD",
    "Republic of Congo": "COG",
    "Ivory Coast": "CIV",
    "Cape Verde": "CPV",
    "Palestine": "PSE",
    "Kosovo": "KOS",
    "Turkey": "TUR",
    "Russia": "RUS",
}
"""ACLED country names that ISO name lookup does not resolve (used when ``iso`` is absent)."""


def normalise(table: pa.Table, lines: np.ndarray, dataset: str = "acled"):  # type: ignore[no-untyped-def]
    """Normalise a block of ACLED rows; return ``(accepted arrow table, rejected rows)``."""
    n = table.num_rows
    checks = Checks(n)
    event_id = text(table, "event_id_cnty")
    check_id(checks, event_id, "event_id_cnty")
    event_date = dates(table.column("event_date"), DATE_FORMATS)
    checks.add(np.isnat(event_date), "event_date is not a date (YYYY-MM-DD or '15 January 2024')")
    lat, lon = numbers(table, "latitude"), numbers(table, "longitude")
    check_coordinates(checks, lat, lon)
    fatalities = numbers(table, "fatalities")
    check_count(checks, fatalities, "fatalities")
    precision = np.full(n, 1, dtype=np.int8)
    if "geo_precision" in table.column_names:
        raw = numbers(table, "geo_precision")
        checks.add(~np.isin(raw, list(PRECISION)), "geo_precision must be 1, 2 or 3")
        precision = np.where(np.isin(raw, list(PRECISION)), raw, 1).astype(np.int8)

    def optional(name: str) -> pa.Array:
        return text(table, name) if name in table.column_names else pa.nulls(n, pa.string())

    columns = {
        "event_id": event_id,
        "source_dataset": _dataset(table, dataset),
        "event_date": event_date,
        "event_type": optional("event_type"),
        "sub_event_type": optional("sub_event_type"),
        "actor1": optional("actor1"),
        "actor2": optional("actor2"),
        "admin1": optional("admin1"),
        "location": optional("location"),
        "fatalities": np.nan_to_num(fatalities).astype(np.int64),
        "precision": precision,
        "notes": optional("notes"),
        "source": optional("source"),
    }
    return assemble(table, lines, checks, columns, lon, lat, _export_iso3(table, optional))


def _dataset(table: pa.Table, dataset: str) -> pa.Array:
    """``dataset``, except rows tagged as coopmap's synthetic demo data (a CSV written by
    ``coopmap demo-data --csv`` stays labelled synthetic when ingested back)."""
    if "tags" not in table.column_names:
        return pa.array(np.full(table.num_rows, dataset, dtype=object), pa.string())
    synthetic = pc.match_substring(table.column("tags").combine_chunks(), SYNTHETIC_TAG)
    return pc.if_else(synthetic, pa.scalar(SYNTHETIC), pa.scalar(dataset))


def _export_iso3(table: pa.Table, optional) -> pa.Array:  # type: ignore[no-untyped-def]
    return source_iso3(optional("iso"), optional("country"))


def source_iso3(iso: pa.Array, country: pa.Array) -> pa.Array:
    """The export's own country (ISO alpha-3) of ACLED rows: ``iso`` (numeric), else ``country``."""
    return pc.coalesce(map_values(iso, _numeric_to_iso3), map_values(country, _name_to_iso3))


@functools.lru_cache(maxsize=512)
def _numeric_to_iso3(value: str) -> str | None:
    digits = value.split(".")[0].strip()
    if not digits.isdigit():
        return None
    found = pycountry.countries.get(numeric=digits.zfill(3))
    return found.alpha_3 if found else None


def _name_to_iso3(name: str) -> str | None:
    return COUNTRY_NAMES.get(name) or to_iso3(name)
