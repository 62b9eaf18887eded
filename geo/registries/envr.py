"""The ENVR registry: regional schools, one point each."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from geo.boundaries.geocode import Geocoder
from geo.registries.fields import RegistryLoad, RowCheck, check_duplicates, count_reasons
from geo.registries.read import RawRow, read_rows
from geo.schema import ENVR_FIELDS
from geo.types import WGS84

STATUSES = ("open", "planned", "suspended", "unknown")
DOMAINS = (
    "peacekeeping",
    "health",
    "demining",
    "public order",
    "engineering",
    "officer training",
    "maritime security",
    "civil protection",
    "state action at sea",
    "counter-terrorism",
    "cybersecurity",
    "judicial police",
    "border management",
    "other",
)
"""The ministry's list of ENVR fields, plus border management (Niamey) and ``other``."""
VERIFIED = ("yes", "partial", "no")
REQUIRED_COLUMNS = ("acronym", "name", "country_iso3")
RECORD_COLUMNS = (
    "acronym", "name", "city", "country_iso3", "domain", "domain_detail", "founded", "status", "lat", "lon",
    "geocode_precision", "location_source", "verified", "source", "notes",
)
"""The cells of one school record, in the order of ``data/reference/envr.csv``."""


def load_envr(path: Path, geocoder: Geocoder) -> RegistryLoad:
    """Read and validate an ENVR registry (CSV with ``lat``/``lon`` or GeoJSON points).

    Parameters
    ----------
    path : the registry file; columns as the ``envr`` layer fields, plus ``lat``/``lon`` in CSV
    geocoder : finds ``city`` in ``country_iso3`` when a row has no coordinates

    Returns
    -------
    RegistryLoad whose ``frame`` is the ``envr`` layer (valid rows) and ``rejects`` the others

    Examples
    --------
    >>> result = load_envr(Path("data/reference/envr.csv"), Geocoder(countries))  # doctest: +SKIP
    >>> result.summary()  # doctest: +SKIP
    'envr: 21 rows read, 21 loaded, 0 rejected'
    """
    return build_envr(read_rows(path, REQUIRED_COLUMNS), geocoder, str(path))


def build_envr(rows: list[RawRow], geocoder: Geocoder, path: str = "") -> RegistryLoad:
    """``load_envr`` on rows already read (a file's, or the registry records being edited);
    ``RegistryLoad.checks`` holds each row's ``RowCheck``, in the order of ``rows``."""
    checks = [RowCheck(row) for row in rows]
    check_duplicates(checks)
    records, points = [], []
    for check in checks:
        record, point = _check_row(check, geocoder)
        if check.ok and point is not None:
            records.append(record)
            points.append(point)
    frame = _frame(records, points)
    rejected = [c for c in checks if not c.ok]
    return RegistryLoad(
        "envr",
        path,
        len(rows),
        frame,
        [c.reject() for c in rejected],
        count_reasons(rejected),
        len(frame),
        checks=checks,
    )


def _check_row(
    check: RowCheck, geocoder: Geocoder
) -> tuple[dict[str, object], tuple[float, float] | None]:
    row = check.row
    acronym = check.required("acronym")
    name = check.required("name")
    given_iso3 = check.required("country_iso3")
    iso3 = check.iso3("country_iso3", given_iso3, geocoder) if given_iso3 else ""
    record: dict[str, object] = {
        "acronym": acronym,
        "name": name,
        "city": row.get("city"),
        "country_iso3": iso3,
        "domain": check.choice("domain", DOMAINS, ""),
        "domain_detail": row.get("domain_detail"),
        "founded": check.year("founded"),
        "status": check.choice("status", STATUSES, "unknown"),
        "verified": check.choice("verified", VERIFIED, ""),
        "location_source": row.get("location_source"),
        "source": row.get("source"),
        "notes": row.get("notes"),
    }
    point, precision = _locate(check, geocoder, iso3)
    record["geocode_precision"] = precision
    if point is not None and iso3:
        check.inside(point[0], point[1], [iso3], geocoder, "point")
    return record, point


def _locate(
    check: RowCheck, geocoder: Geocoder, iso3: str
) -> tuple[tuple[float, float] | None, str]:
    row: RawRow = check.row
    if row.geometry_error:
        check.fail("bad geometry", row.geometry_error, "geometry", "")
        return None, ""
    if row.geometry is not None:
        if row.geometry.geom_type != "Point":
            check.fail("bad geometry", "an ENVR school needs one Point", "geometry", row.geometry.geom_type)
            return None, ""
        return check.check_range(row.geometry.x, row.geometry.y), check.precision()
    lat, lon = row.get("lat"), row.get("lon")
    if lat or lon:
        return check.coordinates(lat, lon), check.precision()
    if not iso3:
        return None, ""
    city = row.get("city")
    found = geocoder.place(city, [iso3]) if city else geocoder.country(iso3)
    if found is None:
        check.fail(
            "place not found", f"city {city!r} not found in the gazetteer for {iso3}; give lat/lon", "city", city
        )
        return None, ""
    return geocoder.snap_inside(found.lon, found.lat, iso3), found.precision


def _frame(records: list[dict[str, object]], points: list[tuple[float, float]]) -> gpd.GeoDataFrame:
    columns = [f.name for f in ENVR_FIELDS]
    table = pd.DataFrame(records, columns=columns)
    for name in columns:
        table[name] = (
            table[name].astype("Int64") if name == "founded" else table[name].astype("string")
        )
    geometry = gpd.points_from_xy([p[0] for p in points], [p[1] for p in points])
    return gpd.GeoDataFrame(table, geometry=geometry, crs=WGS84)
