"""UCDP GED exports normalised to the ``conflict-events`` schema.

``event_id`` is ``"UCDP-" + id`` so UCDP's numeric ids never collide with ACLED's
``event_id_cnty``; the plain id stays in ``original``.
"""

from __future__ import annotations

import functools
import re

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from geo.boundaries.codes import to_iso3
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

REQUIRED = ("id", "type_of_violence", "latitude", "longitude", "date_start", "best")
"""Columns a UCDP GED file must have; the other standard columns are used when present."""

ID_PREFIX = "UCDP-"

VIOLENCE = {1.0: "state-based", 2.0: "non-state", 3.0: "one-sided"}
"""UCDP type_of_violence → normalised event_type."""

PRECISION = {1.0: 1, 2.0: 2, 3.0: 2, 4.0: 3, 5.0: 3, 6.0: 4, 7.0: 4}
"""UCDP where_prec (1 exact … 7 international waters) → normalised precision."""

COUNTRY_NAMES = {
    "DR Congo (Zaire)": "COD",
    "Congo": "COG",
    "Yemen (North Yemen)": "YEM",
    "South Yemen": "YEM",
    "Russia (Soviet Union)": "RUS",
    "Bosnia-Herzegovina": "BIH",
    "Cambodia (Kampuchea)": "KHM",
    "Myanmar (Burma)": "MMR",
    "Zimbabwe (Rhodesia)": "ZWE",
    "Madagascar (Malagasy)": "MDG",
    "Serbia (Yugoslavia)": "SRB",
    "Ivory Coast": "CIV",
    "Kingdom of eSwatini (Swaziland)": "SWZ",
    "Macedonia, FYR": "MKD",
    "North Macedonia": "MKD",
    "Vietnam (North Vietnam)": "VNM",
    "Turkey": "TUR",
    "Kosovo": "KOS",
    "Surinam": "SUR",
    "East Timor": "TLS",
    "Laos": "LAO",
    "Iran": "IRN",
    "Syria": "SYR",
    "Russia": "RUS",
    "Tanzania": "TZA",
    "Bolivia": "BOL",
    "Venezuela": "VEN",
    "Moldova": "MDA",
    "Cape Verde": "CPV",
    "Brunei": "BRN",
    "Palestine": "PSE",
    "Israel": "ISR",
    "South Sudan": "SSD",
    "Sudan": "SDN",
}
"""UCDP country names that ISO name lookup does not resolve (Gleditsch-Ward naming)."""

GLEDITSCH_WARD = {
    41: "HTI", 70: "MEX", 100: "COL", 101: "VEN", 135: "PER", 140: "BRA", 200: "GBR", 343: "MKD",
    345: "SRB", 346: "BIH", 365: "RUS", 369: "UKR", 373: "AZE", 432: "MLI", 436: "NER", 437: "CIV",
    439: "BFA", 450: "LBR", 451: "SLE", 471: "CMR", 475: "NGA", 482: "CAF", 483: "TCD", 490: "COD",
    500: "UGA", 501: "KEN", 516: "BDI", 517: "RWA", 520: "SOM", 530: "ETH", 540: "AGO", 541: "MOZ",
    560: "ZAF", 572: "SWZ", 581: "COM", 615: "DZA", 620: "LBY", 625: "SDN", 626: "SSD", 630: "IRN",
    640: "TUR", 645: "IRQ", 651: "EGY", 652: "SYR", 660: "LBN", 666: "ISR", 678: "YEM", 700: "AFG",
    702: "TJK", 703: "KGZ", 750: "IND", 770: "PAK", 775: "MMR", 780: "LKA", 790: "NPL", 800: "THA",
    811: "KHM", 840: "PHL", 850: "IDN",
}
"""UCDP ``country_id`` (Gleditsch-Ward number) → ISO alpha-3, for rows whose ``country`` name does
not resolve. Derived from the (country, country_id) pairs of the UCDP GED 23.1 sample in
../shared/data, each name resolved by ``country_iso3``; other numbers give no country."""

_PAREN = re.compile(r"\s*\(.*\)\s*$")


def normalise(table: pa.Table, lines: np.ndarray, dataset: str = "ucdp-ged"):  # type: ignore[no-untyped-def]
    """Normalise a block of UCDP GED rows; return ``(accepted arrow table, rejected rows)``."""
    n = table.num_rows
    checks = Checks(n)
    raw_id = text(table, "id")
    check_id(checks, raw_id, "id")
    event_id = pc.binary_join_element_wise(ID_PREFIX, raw_id, "")
    # The GED CSV has either "2021-06-30" or "2021-06-30 00:00:00.000".
    start = pc.utf8_slice_codeunits(
        pc.utf8_trim_whitespace(table.column("date_start").combine_chunks()), 0, 10
    )
    event_date = dates(start, ("%Y-%m-%d",))
    checks.add(np.isnat(event_date), "date_start is not a date (YYYY-MM-DD)")
    lat, lon = numbers(table, "latitude"), numbers(table, "longitude")
    check_coordinates(checks, lat, lon)
    best = numbers(table, "best")
    check_count(checks, best, "best")
    violence = numbers(table, "type_of_violence")
    checks.add(~np.isin(violence, list(VIOLENCE)), "type_of_violence must be 1, 2 or 3")
    precision = np.full(n, 1, dtype=np.int8)
    if "where_prec" in table.column_names:
        where = numbers(table, "where_prec")
        checks.add(~np.isin(where, list(PRECISION)), "where_prec must be 1 to 7")
        precision = np.vectorize(lambda v: PRECISION.get(v, 1), otypes=[np.int8])(where)
    names = np.array([None, *VIOLENCE.values()], dtype=object)
    event_type = names[
        np.where(np.isin(violence, list(VIOLENCE)), np.nan_to_num(violence), 0).astype(int)
    ]

    def optional(name: str) -> pa.Array:
        return text(table, name) if name in table.column_names else pa.nulls(n, pa.string())

    columns = {
        "event_id": event_id,
        "source_dataset": pa.array(np.full(n, dataset, dtype=object), pa.string()),
        "event_date": event_date,
        "event_type": pa.array(event_type, pa.string()),
        "sub_event_type": pa.nulls(n, pa.string()),
        "actor1": optional("side_a"),
        "actor2": optional("side_b"),
        "admin1": optional("adm_1"),
        "location": optional("where_coordinates"),
        "fatalities": np.nan_to_num(best).astype(np.int64),
        "precision": precision,
        "notes": optional("source_headline"),
        "source": optional("source_article"),
    }
    return assemble(
        table, lines, checks, columns, lon, lat, source_iso3(optional("country"), optional("country_id"))
    )


def source_iso3(country: pa.Array, country_id: pa.Array) -> pa.Array:
    """The export's own country (ISO alpha-3) of UCDP rows: ``country``, else ``country_id``."""
    return pc.coalesce(map_values(country, country_iso3), map_values(country_id, _gleditsch_ward))


def _gleditsch_ward(value: str) -> str | None:
    digits = value.split(".")[0].strip()
    return GLEDITSCH_WARD.get(int(digits)) if digits.isdigit() else None


@functools.lru_cache(maxsize=512)
def country_iso3(name: str) -> str | None:
    """ISO alpha-3 of a UCDP country name ("DR Congo (Zaire)" → "COD")."""
    if name in COUNTRY_NAMES:
        return COUNTRY_NAMES[name]
    return to_iso3(name) or to_iso3(_PAREN.sub("", name))
