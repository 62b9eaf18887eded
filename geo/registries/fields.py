"""Checking the fields of one registry row; every problem names the column and the bad value."""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from dataclasses import dataclass, field

import geopandas as gpd

from geo.boundaries.codes import to_iso3
from geo.boundaries.geocode import PRECISIONS, Geocoder
from geo.errors import InvalidParameter
from geo.i18n import text as i18n_text
from geo.query import parse_date
from geo.registries.read import RawRow
from geo.storage.rejects import Reject

OUTSIDE_TOLERANCE_DEG = 0.1
"""A point may lie this far (degrees, about 11 km) outside its country: coastal cities and the
1:10m coastline."""

LIST_SEPARATOR = ";"

PROBLEM_KEYS = {
    "missing value": "registry_error_missing_value",
    "unknown iso3": "registry_error_unknown_country",
    "bad value": "registry_error_bad_value",
    "not a number": "registry_error_not_a_number",
    "bad date": "registry_error_bad_date",
    "end before start": "registry_error_end_before_start",
    "lat/lon out of range": "registry_error_out_of_range",
    "outside its countries": "registry_error_outside_countries",
    "place not found": "registry_error_place_not_found",
    "duplicate acronym": "registry_error_duplicate_acronym",
    "bad geometry": "registry_error_bad_geometry",
}
"""Problem kind → the ``geo.i18n`` key of its message next to a form field (``field``, ``value``)."""


@dataclass
class RowCheck:
    """Collects the problems of one row: ``kind`` is a short label counted in the summary."""

    row: RawRow
    problems: list[tuple[str, str]] = field(default_factory=list)
    fields: dict[str, tuple[str, str]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        extra = self.row.values.get("_extra")
        if extra is not None:
            self.fail(
                "bad value",
                f"more cells than header columns (extra: {extra!r}); quote text with commas",
            )

    def fail(self, kind: str, message: str, field: str = "", value: object = "") -> None:
        """Record a problem: ``kind`` (counted), the English ``message`` (rejects file), and the
        ``field`` it concerns with its bad ``value`` (``field_messages``)."""
        self.problems.append((kind, message))
        if field and field not in self.fields:
            self.fields[field] = (kind, str(value))

    def field_messages(self, lang: str = "en") -> dict[str, str]:
        """Field → message in ``lang`` (``geo.i18n``), one per field with a problem."""
        return {
            name: i18n_text(lang, PROBLEM_KEYS.get(kind, "registry_error_bad_value"), field=name, value=value)
            for name, (kind, value) in self.fields.items()
        }

    @property
    def ok(self) -> bool:
        return not self.problems

    def reject(self) -> Reject:
        return Reject(self.row.line, "; ".join(m for _, m in self.problems), self.row.original)

    # -- parsers: each returns the parsed value, or a neutral value after recording a problem

    def required(self, name: str) -> str:
        value = self.row.get(name)
        if not value:
            self.fail("missing value", f"{name} is empty", name)
        return value

    def iso3(self, name: str, value: str, geocoder: Geocoder) -> str:
        code = to_iso3(value)
        if code is None:
            self.fail("unknown iso3", f"{name} {value!r} is not an ISO 3166-1 country code", name, value)
            return ""
        if not geocoder.has_country(code):
            self.fail("unknown iso3", f"{name} {value!r} has no boundary polygon", name, value)
            return ""
        return code

    def iso3_list(self, name: str, geocoder: Geocoder) -> list[str]:
        codes: list[str] = []
        for part in split_list(self.row.get(name)):
            code = self.iso3(name, part, geocoder)
            if code and code not in codes:
                codes.append(code)
        return codes

    def choice(self, name: str, allowed: tuple[str, ...], default: str) -> str:
        value = self.row.get(name).lower()
        if not value:
            return default
        if value not in allowed:
            self.fail(
                "bad value", f"{name} {self.row.get(name)!r} is not one of {', '.join(allowed)}",
                name, self.row.get(name),
            )
            return default
        return value

    def number(self, name: str, *, minimum: float | None = None) -> float | None:
        text = self.row.get(name).replace(" ", "").replace("_", "")
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            self.fail("not a number", f"{name} {self.row.get(name)!r} is not a number", name, self.row.get(name))
            return None
        if not math.isfinite(value) or (minimum is not None and value < minimum):
            self.fail(
                "not a number", f"{name} {self.row.get(name)!r} is not a finite number >= {minimum}",
                name, self.row.get(name),
            )
            return None
        return value

    def year(self, name: str) -> int | None:
        value = self.number(name)
        if value is None:
            return None
        if value != int(value) or not 1800 <= value <= dt.date.today().year + 10:
            self.fail("bad value", f"{name} {self.row.get(name)!r} is not a year", name, self.row.get(name))
            return None
        return int(value)

    def period(self) -> tuple[dt.date | None, dt.date | None]:
        """``start`` (first day of what is given) and ``end`` (last day); end before start fails."""
        dates: list[dt.date | None] = []
        for name, is_end in (("start", False), ("end", True)):
            text = self.row.get(name)
            try:
                dates.append(parse_date(text, end=is_end, parameter=name) if text else None)
            except InvalidParameter as exc:
                self.fail("bad date", str(exc), name, text)
                dates.append(None)
        start, end = dates
        if start and end and end < start:
            self.fail(
                "end before start",
                f"end {self.row.get('end')!r} is before start {self.row.get('start')!r}",
                "end", self.row.get("end"),
            )
        return start, end

    def coordinates(
        self, lat_text: str, lon_text: str, label: str = ""
    ) -> tuple[float, float] | None:
        """(lon, lat) from text, checked to lie within ±90 / ±180."""
        where = f" of site {label!r}" if label else ""
        try:
            lat, lon = float(lat_text), float(lon_text)
        except ValueError:
            self.fail("not a number", f"lat/lon{where} {lat_text!r}/{lon_text!r} are not numbers", "geometry",
                      f"{lat_text}/{lon_text}")
            return None
        return self.check_range(lon, lat, where)

    def check_range(self, lon: float, lat: float, where: str = "") -> tuple[float, float] | None:
        if not (math.isfinite(lat) and -90 <= lat <= 90):
            self.fail("lat/lon out of range", f"lat{where} {lat:g} is outside [-90, 90]", "geometry", f"{lat:g}")
            return None
        if not (math.isfinite(lon) and -180 <= lon <= 180):
            self.fail("lat/lon out of range", f"lon{where} {lon:g} is outside [-180, 180]", "geometry", f"{lon:g}")
            return None
        return lon, lat

    def precision(self, default: str = "exact") -> str:
        return self.choice("geocode_precision", PRECISIONS, default)

    def inside(
        self, lon: float, lat: float, iso3s: list[str], geocoder: Geocoder, label: str
    ) -> str:
        """The country of ``iso3s`` holding the point (within the tolerance), else a problem."""
        iso3, distance = geocoder.distance_outside(lon, lat, iso3s)
        if iso3 is None or distance > OUTSIDE_TOLERANCE_DEG:
            self.fail(
                "outside its countries",
                f"{label} ({lon:.4f}, {lat:.4f}) lies outside {'/'.join(iso3s)} "
                f"({distance * 111:.0f} km away)",
                "geometry", f"{lon:.4f}, {lat:.4f}",
            )
            return ""
        return iso3


def split_list(text: str) -> list[str]:
    """The non-empty items of a ';'-separated list."""
    return [p.strip() for p in str(text or "").split(LIST_SEPARATOR) if p.strip()]


def check_duplicates(checks: list[RowCheck]) -> None:
    """A second row with the same acronym fails (case-insensitive)."""
    first: dict[str, int] = {}
    for check in checks:
        key = check.row.get("acronym").upper()
        if not key:
            continue
        if key in first:
            check.fail(
                "duplicate acronym",
                f"acronym {check.row.get('acronym')!r} already on line {first[key]}",
                "acronym", check.row.get("acronym"),
            )
        else:
            first[key] = check.row.line


@dataclass
class RegistryLoad:
    """The outcome of loading a registry file."""

    kind: str
    path: str
    read: int
    frame: gpd.GeoDataFrame
    rejects: list[Reject]
    reasons: Counter[str]
    loaded: int
    details: list[str] = field(default_factory=list)
    footprints: gpd.GeoDataFrame | None = None
    checks: list[RowCheck] = field(default_factory=list)
    """Every row's check, in the order read (valid rows: ``check.ok``)."""

    def accepted(self) -> list[RawRow]:
        """The rows that loaded, in the order read."""
        return [check.row for check in self.checks if check.ok]

    def summary(self) -> str:
        """One line: rows read, loaded, rejected and why."""
        rejected = len(self.rejects)
        text = f"{self.kind}: {self.read} rows read, {self.loaded} loaded, {rejected} rejected"
        if self.details:
            text += f" ({'; '.join(self.details)})"
        if self.reasons:
            text += " - reasons: " + ", ".join(f"{k} x{n}" for k, n in sorted(self.reasons.items()))
        return text


def count_reasons(checks: list[RowCheck]) -> Counter[str]:
    return Counter(kind for check in checks for kind, _ in check.problems)
