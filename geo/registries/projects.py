"""The project registry: one row per project, expanded to one point per site and one footprint.

Where a project's points come from:

- named ``sites`` → geocoded within the project's ``countries`` (``geo.boundaries.geocode``), or the
  coordinates the file gives (CSV ``lat``/``lon`` lists aligned with ``sites``; GeoJSON Point
  or MultiPoint, one point per site);
- no sites but countries → one point per country, at its representative point (precision
  ``country``);
- neither (a regional project whose countries the sources do not name) → one feature without
  geometry (``None``: "not mapped"), with its ``region``, and no footprint; the summary says how
  many such rows there are.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.boundaries.geocode import Geocoder, Location
from geo.registries.fields import (
    RegistryLoad,
    RowCheck,
    check_duplicates,
    count_reasons,
    split_list,
)
from geo.registries.read import RawRow, read_rows
from geo.schema import FOOTPRINT_FIELDS, PROJECT_FIELDS
from geo.types import WGS84

STATUSES = ("active", "closed", "planned", "unknown")
COVERAGE = ("complete", "partial", "unknown")
REQUIRED_COLUMNS = ("acronym", "countries")
SHARED = (
    "acronym",
    "title",
    "countries",
    "funder",
    "implementers",
    "start",
    "end",
    "status",
    "budget_eur",
    "components",
    "source",
    "region",
    "countries_coverage",
    "location_source",
    "notes",
)

RECORD_COLUMNS = (
    "acronym", "title", "countries", "sites", "funder", "implementers", "start", "end", "status", "budget_eur",
    "components", "region", "countries_coverage", "location_source", "source", "notes", "geocode_precision",
    "lat", "lon",
)
"""The cells of one project record, in the order ``coopmap registry export`` writes them (the
columns of ``data/reference/projects.csv``, then the optional precision and site coordinates)."""


@dataclass
class Project:
    """A valid registry row and its located sites."""

    record: dict[str, object]
    countries: list[str]
    sites: list[tuple[str, Location]]


def derive_status(start: dt.date | None, end: dt.date | None, today: dt.date) -> str:
    """``planned`` before start, ``closed`` after end, ``active`` between; else ``unknown``.

    Examples
    --------
    >>> derive_status(dt.date(2015, 1, 1), dt.date(2021, 12, 31), dt.date(2025, 1, 1))
    'closed'
    >>> derive_status(dt.date(2011, 3, 1), None, dt.date(2025, 1, 1))
    'unknown'
    """
    if start and start > today:
        return "planned"
    if end and end < today:
        return "closed"
    if start and end:
        return "active"
    return "unknown"


def load_projects(path: Path, geocoder: Geocoder, today: dt.date | None = None) -> RegistryLoad:
    """Read and validate a project registry; build the site points and the footprints.

    Parameters
    ----------
    path : CSV or GeoJSON with the columns of ``data/reference/projects.csv``
    geocoder : places site names; its provinces (when loaded) also shape the footprints
    today : the date statuses are derived against (default: today)

    Returns
    -------
    RegistryLoad: ``frame`` is the ``projects`` layer, ``footprints`` ``project-countries``

    Examples
    --------
    >>> path = Path("data/reference/projects.csv")
    >>> result = load_projects(path, Geocoder(countries))  # doctest: +SKIP
    >>> sorted(result.frame.loc[result.frame.acronym == "UPS", "site"])  # doctest: +SKIP
    ['Ituri', 'Nord-Kivu']
    """
    return build_projects(read_rows(path, REQUIRED_COLUMNS), geocoder, str(path), today)


def build_projects(
    rows: list[RawRow], geocoder: Geocoder, path: str = "", today: dt.date | None = None
) -> RegistryLoad:
    """``load_projects`` on rows already read (a file's, or the registry records being edited).

    ``RegistryLoad.checks`` holds each row's ``RowCheck``, in the order of ``rows``: a form asks
    its row's ``field_messages``.
    """
    today = today or dt.date.today()
    checks = [RowCheck(row) for row in rows]
    check_duplicates(checks)
    projects = []
    for check in checks:
        project = _check_row(check, geocoder, today)
        if check.ok:
            projects.append(project)
    rejected = [c for c in checks if not c.ok]
    frame = _site_frame(projects)
    unlocated = sum(1 for p in projects if not p.sites)
    details = [f"{len(frame) - unlocated} sites"]
    if unlocated:
        details.append(f"{unlocated} without named countries or sites, not mapped (no geometry)")
    return RegistryLoad(
        "projects",
        path,
        len(rows),
        frame,
        [c.reject() for c in rejected],
        count_reasons(rejected),
        len(projects),
        details,
        _footprints(projects, geocoder),
        checks,
    )


def _check_row(check: RowCheck, geocoder: Geocoder, today: dt.date) -> Project:
    row = check.row
    check.required("acronym")
    countries = check.iso3_list("countries", geocoder)
    start, end = check.period()
    status = check.choice("status", STATUSES, "")
    record: dict[str, object] = {name: row.get(name) for name in SHARED}
    record.update(
        countries=";".join(countries),
        start=start,
        end=end,
        status=status or derive_status(start, end, today),
        budget_eur=check.number("budget_eur", minimum=0),
        countries_coverage=check.choice(
            "countries_coverage", COVERAGE, "complete" if countries else "unknown"
        ),
    )
    sites = _locate_sites(check, geocoder, countries) if check.ok else []
    return Project(record, countries, sites)


def _locate_sites(
    check: RowCheck, geocoder: Geocoder, countries: list[str]
) -> list[tuple[str, Location]]:
    names = split_list(check.row.get("sites"))
    given = _given_points(check, len(names))
    if given is None:
        return []
    if not names and not given:
        return [
            (geocoder.country_name(c), loc)
            for c in countries
            if (loc := geocoder.country(c)) is not None
        ]
    names = names or [""] * len(given)
    given = given or [None] * len(names)
    precision = check.precision()
    sites = []
    for name, point in zip(names, given, strict=True):
        label = f"site {name!r}" if name else "site"
        if point is not None:
            location = Location(point[0], point[1], precision, "", "given")
        elif not countries:
            check.fail("place not found", f"{label} cannot be placed: the row names no countries", "sites", name)
            continue
        else:
            found = geocoder.place(name, countries)
            if found is None:
                check.fail(
                    "place not found",
                    f"{label} not found as a province or gazetteer city of "
                    f"{'/'.join(countries)}; give lat/lon",
                    "sites", name,
                )
                continue
            location = found
        iso3 = (
            check.inside(location.lon, location.lat, countries, geocoder, label)
            if countries
            else ""
        )
        if countries and not iso3:
            continue
        lon, lat = location.lon, location.lat
        if location.basis != "given":
            lon, lat = geocoder.snap_inside(lon, lat, iso3)
        sites.append((name, Location(lon, lat, location.precision, iso3, location.basis)))
    return sites


def _given_points(check: RowCheck, n_names: int) -> list[tuple[float, float] | None] | None:
    """Coordinates from the file, one per site (None entries are geocoded); None on a problem."""
    row = check.row
    if row.geometry_error:
        check.fail("bad geometry", row.geometry_error, "geometry", "")
        return None
    if row.geometry is not None:
        parts = (
            list(row.geometry.geoms) if row.geometry.geom_type == "MultiPoint" else [row.geometry]
        )
        pairs = [(p.x, p.y) for p in parts]
        checked = [check.check_range(lon, lat) for lon, lat in pairs]
    elif row.get("lat") or row.get("lon"):
        lats, lons = row.get("lat").split(";"), row.get("lon").split(";")
        if len(lats) != len(lons):
            check.fail("bad value", f"lat has {len(lats)} values but lon has {len(lons)}", "geometry",
                       row.get("lat"))
            return None
        checked = [
            None if not (a.strip() or o.strip()) else check.coordinates(a.strip(), o.strip())
            for a, o in zip(lats, lons, strict=True)
        ]
    else:
        return []
    if n_names and len(checked) != n_names:
        check.fail("bad value", f"{len(checked)} coordinates for {n_names} sites", "geometry", len(checked))
        return None
    return None if not check.ok else checked


def _site_frame(projects: list[Project]) -> gpd.GeoDataFrame:
    columns = [f.name for f in PROJECT_FIELDS]
    records, points = [], []
    for project in projects:
        if not project.sites:
            # Not mapped: the sources name no country or site; served without geometry.
            records.append({**project.record, "site_id": f"{project.record['acronym']}-0"})
            points.append(None)
        for index, (name, location) in enumerate(project.sites, start=1):
            records.append(
                {
                    **project.record,
                    "site_id": f"{project.record['acronym']}-{index}",
                    "site": name,
                    "country_iso3": location.iso3,
                    "geocode_precision": location.precision,
                }
            )
            points.append(shapely.Point(location.lon, location.lat))
    table = _typed(pd.DataFrame(records, columns=columns))
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(points, crs=WGS84), crs=WGS84)


def _footprints(projects: list[Project], geocoder: Geocoder) -> gpd.GeoDataFrame:
    columns = [f.name for f in FOOTPRINT_FIELDS]
    records, shapes = [], []
    for project in projects:
        if not project.countries:
            continue
        parts, kinds = [], set()
        for iso3 in project.countries:
            polygons = [
                geocoder.province_polygon(name, iso3)
                for name, loc in project.sites
                if loc.iso3 == iso3 and loc.basis == "polygon"
            ]
            polygons = [p for p in polygons if p is not None]
            if polygons:
                parts.extend(polygons)
                kinds.add("provinces")
            else:
                parts.append(geocoder.countries[iso3])
                kinds.add("countries")
        records.append({**project.record, "footprint": "+".join(sorted(kinds, reverse=True))})
        shapes.append(_multipolygon(shapely.union_all(parts)))
    table = _typed(pd.DataFrame(records, columns=columns))
    return gpd.GeoDataFrame(table, geometry=gpd.GeoSeries(shapes, crs=WGS84), crs=WGS84)


def _multipolygon(geometry: shapely.Geometry) -> shapely.Geometry:
    if geometry.geom_type == "Polygon":
        return shapely.MultiPolygon([geometry])
    if geometry.geom_type == "GeometryCollection":
        polygons = [g for g in geometry.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        return _multipolygon(shapely.union_all(polygons))
    return geometry


def _typed(table: pd.DataFrame) -> pd.DataFrame:
    for name in table.columns:
        if name in ("start", "end"):
            table[name] = pd.to_datetime(table[name]).astype("datetime64[ms]")
        elif name == "budget_eur":
            table[name] = table[name].astype("float64")
        else:
            table[name] = table[name].astype("string")
    return table
