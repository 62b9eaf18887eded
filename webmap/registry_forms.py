"""The fields of the registry forms: one per column of a registry record, in the order of the CSV.

The columns and their allowed values come from ``geo/registries`` (the ingest's own lists); this
module only says how each is typed in (text, list, date, choice…), its words come from
``geo/i18n.py`` (``registry_field_<name>``). Turning the form into a record and back is
text in, text out: checking the values is the registry's validation, not the form's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from geo.boundaries.geocode import PRECISIONS
from geo.registries import envr, projects

Kind = Literal["text", "textarea", "select", "number", "coordinate"]
Section = Literal["record", "location", "sources"]
LIST_SEPARATOR = ";"


@dataclass(frozen=True)
class FormField:
    """One input of a registry form."""

    name: str
    kind: Kind = "text"
    section: Section = "record"
    choices: tuple[str, ...] = ()
    """Allowed values of a ``select`` ("" first when the field may stay empty)."""
    required: bool = False
    hint: str | None = None
    """``geo.i18n`` key of the line under the field."""


PROJECT_FORM = (
    FormField("acronym", required=True),
    FormField("title"),
    FormField("countries", required=True, hint="registry_hint_countries"),
    FormField("funder"),
    FormField("implementers", hint="registry_hint_list"),
    FormField("start", hint="registry_hint_date"),
    FormField("end", hint="registry_hint_date"),
    FormField("status", "select", choices=("", *projects.STATUSES), hint="registry_hint_status"),
    FormField("budget_eur", "number"),
    FormField("components", "textarea", hint="registry_hint_list"),
    FormField("region"),
    FormField("countries_coverage", "select", choices=("", *projects.COVERAGE)),
    FormField("sites", section="location", hint="registry_hint_list"),
    FormField("lat", "coordinate", "location", hint="registry_hint_coords"),
    FormField("lon", "coordinate", "location", hint="registry_hint_coords"),
    FormField("geocode_precision", "select", "location", choices=("", *PRECISIONS)),
    FormField("location_source", "textarea", "sources"),
    FormField("source", "textarea", "sources"),
    FormField("notes", "textarea", "sources"),
)

ENVR_FORM = (
    FormField("acronym", required=True),
    FormField("name", required=True),
    FormField("domain", "select", choices=("", *envr.DOMAINS)),
    FormField("domain_detail"),
    FormField("founded", "number"),
    FormField("status", "select", choices=("", *envr.STATUSES)),
    FormField("verified", "select", choices=("", *envr.VERIFIED)),
    FormField("country_iso3", section="location", required=True),
    FormField("city", section="location"),
    FormField("lat", "coordinate", "location", hint="registry_hint_coords"),
    FormField("lon", "coordinate", "location", hint="registry_hint_coords"),
    FormField("geocode_precision", "select", "location", choices=("", *PRECISIONS)),
    FormField("location_source", "textarea", "sources"),
    FormField("source", "textarea", "sources"),
    FormField("notes", "textarea", "sources"),
)

FORMS: dict[str, tuple[FormField, ...]] = {"projects": PROJECT_FORM, "envr": ENVR_FORM}
"""The editable registries (catalogue layer id) and their forms."""
COUNTRY_FIELD = {"projects": "countries", "envr": "country_iso3"}
"""The field naming the countries a place is searched in (and a point must lie in)."""
PLACE_FIELD = {"projects": "sites", "envr": "city"}
"""The field a place picked from the gazetteer is written to."""
COORDINATES = ("lat", "lon")


def form_values(layer_id: str, form: Mapping[str, str]) -> dict[str, str]:
    """The text of every field of ``layer_id``'s form in ``form`` (a request's form), stripped.

    Examples
    --------
    >>> form_values("envr", {"acronym": " EMP ", "junk": "x"})["acronym"]
    'EMP'
    """
    return {f.name: str(form.get(f.name, "")).strip() for f in FORMS[layer_id]}


def to_record(values: Mapping[str, str]) -> tuple[dict[str, str], dict[str, Any] | None]:
    """(properties, GeoJSON geometry) of a record from the form's text.

    The coordinates become a Point (one pair) or a MultiPoint (';'-separated lists, one pair per
    site, as the registry CSV writes them) when every value is a number; otherwise they stay text
    in ``lat``/``lon`` for the registry's validation to name. Empty fields are left out.

    Examples
    --------
    >>> to_record({"acronym": "X", "lat": "-1.5", "lon": "29.2", "notes": ""})
    ({'acronym': 'X'}, {'type': 'Point', 'coordinates': [29.2, -1.5]})
    """
    properties = {k: v for k, v in values.items() if v and k not in COORDINATES}
    lat, lon = values.get("lat", ""), values.get("lon", "")
    if not lat and not lon:
        return properties, None
    pairs = _pairs(lat, lon)
    if pairs is None:
        properties.update(lat=lat, lon=lon)
        return properties, None
    if len(pairs) == 1:
        return properties, {"type": "Point", "coordinates": list(pairs[0])}
    return properties, {"type": "MultiPoint", "coordinates": [list(p) for p in pairs]}


def _pairs(lat: str, lon: str) -> list[tuple[float, float]] | None:
    lats, lons = lat.split(LIST_SEPARATOR), lon.split(LIST_SEPARATOR)
    if len(lats) != len(lons):
        return None
    try:
        return [(float(o), float(a)) for a, o in zip(lats, lons, strict=True)]
    except ValueError:
        return None


def from_record(layer_id: str, properties: Mapping[str, Any], geometry: Mapping[str, Any] | None) -> dict[str, str]:
    """The form's text for a stored record (its properties and GeoJSON geometry).

    Examples
    --------
    >>> from_record("envr", {"acronym": "X", "founded": 1999}, {"type": "Point", "coordinates": [2.0, 13.5]})["lat"]
    '13.5'
    """
    values = {f.name: _text(properties.get(f.name)) for f in FORMS[layer_id]}
    points = _points(geometry)
    if points:
        values["lat"] = LIST_SEPARATOR.join(_number(p[1]) for p in points)
        values["lon"] = LIST_SEPARATOR.join(_number(p[0]) for p in points)
    return values


def _points(geometry: Mapping[str, Any] | None) -> list[list[float]]:
    if not geometry:
        return []
    if geometry.get("type") == "Point":
        return [list(geometry["coordinates"])]
    if geometry.get("type") == "MultiPoint":
        return [list(c) for c in geometry["coordinates"]]
    return []


def _number(value: float) -> str:
    return f"{float(value):.6f}".rstrip("0").rstrip(".")


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if value != value:  # NaN: an empty cell
            return ""
        return str(int(value)) if value.is_integer() else str(value)
    if isinstance(value, list | tuple):
        return LIST_SEPARATOR.join(str(v) for v in value)
    return str(value)
