"""The fields of every layer: names, types and what the access policy must know of them.

Geography code builds frames with these columns; the catalogue (``layers/``) attaches them to
layers. One definition, so a column added here reaches the frames, the API schemas and the
downloads together.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from geo.types import FieldType


@dataclass(frozen=True)
class Field:
    """One property of a layer's features."""

    name: str
    type: FieldType
    description: str = ""
    restricted: bool = False
    """Removed from the features served to the public role."""
    locational: bool = False
    """Derived from or describing the exact location (place name, region text, notes, geocoding
    precision, distance to events): removed wherever the layer's geometry is generalised; a
    locational *string* is also withheld from the roles that get any layer generalised, on every
    layer (``layers/access.py``). A locational id field is replaced by an opaque place id instead."""


def _f(name: str, type_: FieldType, description: str = "", restricted: bool = False,
       locational: bool = False) -> Field:
    return Field(name, type_, description, restricted, locational)


COUNTRY_FIELDS = (
    _f("iso3", "string", "ISO 3166-1 alpha-3 (Natural Earth ADM0_A3 where ISO has no code)"),
    _f("iso2", "string", "ISO 3166-1 alpha-2"),
    _f("iso3_official", "boolean", "false when iso3 is a Natural Earth code, not ISO"),
    _f("name", "string", "English name"),
    _f("name_fr", "string", "French name"),
    _f("continent", "string"),
    _f("region", "string", "UN region"),
    _f("subregion", "string", "UN subregion"),
    _f("pop_est", "integer", "population estimate (Natural Earth)"),
    _f("pop_year", "integer", "year of the population estimate"),
)

EVENT_FIELDS = (
    _f("event_id", "string", "source event id (ACLED event_id_cnty, UCDP id)"),
    _f("source_dataset", "string", "acled | ucdp-ged | synthetic-demo"),
    _f("event_date", "date", "date of the event (UCDP: date_start)"),
    _f("event_type", "string", "ACLED event_type; UCDP state-based | non-state | one-sided"),
    _f("sub_event_type", "string"),
    _f("actor1", "string"),
    _f("actor2", "string"),
    _f("country_iso3", "string", "country from the spatial join"),
    _f("admin1", "string", "province name as given by the export (ACLED admin1, UCDP adm_1)"),
    _f("province", "string", "province from the spatial join, when provinces are loaded"),
    _f("location", "string"),
    _f("fatalities", "integer", "ACLED fatalities; UCDP best estimate"),
    _f("precision", "integer", "1 exact place, 2 near / district, 3 province or region, 4 country"),
    _f("assigned_by", "string", "within | nearest | source | none"),
    _f("notes", "string"),
    _f("source", "string", "the reporting sources"),
)

SUMMARY_FIELDS = (
    _f("iso3", "string"),
    _f("name", "string"),
    _f("events", "integer", "events in the period; null when the event data do not cover it (see coverage)"),
    _f("fatalities", "integer", "fatalities in the period; null when the event data do not cover it"),
    _f("events_previous", "integer",
       "events in the previous period (previous month, quarter or year; else same length); null without data"),
    _f("change_pct", "number", "change of events vs the previous period, in percent; null with change_note"),
    _f("events_per_100k", "number", "events per 100,000 inhabitants"),
    _f("events_by_type", "string", "JSON object event_type -> count"),
    _f("projects_active", "integer", "projects whose [start, end] overlaps the period (no end: ongoing)"),
    _f("projects_dates_unknown", "integer", "projects without a start date: not counted as active"),
    _f("projects_budget_eur", "number",
       "sum of the active projects' known budgets, each once; null when withheld or all unknown"),
    _f("projects_budget_status", "string", "complete | partial | unknown | withheld"),
    _f("projects_budget_unknown", "integer", "active projects whose budget is unknown (null when withheld)"),
    _f("project_acronyms", "string"),
    _f("envr_count", "integer", "schools founded by the end of the period (planned ones excluded)"),
    _f("envr_dates_unknown", "integer", "schools without a founding year: not counted in envr_count"),
    _f("envr_acronyms", "string"),
    _f("period", "string", "the period counted, OGC interval (default: last 12 months of data)"),
    _f("previous_period", "string", "the period change_pct compares with (geo.query.previous_period)"),
    _f("data_note", "string", "'synthetic demo data' when any counted event is synthetic"),
    _f("coverage", "string", "full | partial | none: how far the loaded event data cover the period"),
    _f("coverage_note", "string", "what the event data cover when not the whole period ('' when full)"),
    _f("change_note", "string", "why change_pct is null, or that the previous period is partly covered"),
)

EXPOSURE_FIELDS = (
    _f("exposure_events", "integer",
       "events within exposure_radius_km over exposure_period; null for a site located only to its country",
       locational=True),
    _f("exposure_fatalities", "integer", "fatalities of those events", locational=True),
    _f("nearest_event_m", "number", "geodesic distance to the nearest event of the period, metres",
       locational=True),
    _f("exposure_radius_km", "number", "search radius (default 50 km)"),
    _f("exposure_period", "string", "OGC interval counted (default: the last 12 months of data)"),
    _f("data_note", "string", "'synthetic demo data' when counted events include synthetic ones"),
    _f("exposure_note", "string",
       "why the exposure is null: the site is located only to its country, or no event data for the period"),
)

PROVINCE_FIELDS = (
    _f("iso3", "string"),
    _f("name", "string", "province name"),
    _f("code", "string", "province code from the imported file"),
    _f("source_file", "string"),
)

LOCATION_SOURCE = _f(
    "location_source", "string",
    "where the place comes from (the source that names it, or how coopmap derived it) and how the point was made",
)
"""Registry provenance of the location: every row whose place no source names says so here."""
PLACE_SOURCE = dataclasses.replace(LOCATION_SOURCE, locational=True)
"""The same field on projects: it names the sites' provinces, so it is withheld with the exact place."""

ENVR_FIELDS = (
    _f("acronym", "string"),
    _f("name", "string"),
    _f("city", "string"),
    _f("country_iso3", "string"),
    _f("domain", "string", "coopmap's class of domain_detail in the ministry's list of ENVR fields"),
    _f("domain_detail", "string", "the school's speciality as its source words it"),
    _f("founded", "integer", "year the institution was created"),
    _f("status", "string",
       "open | planned | suspended | unknown; open: running according to its source page, not re-checked"),
    _f("geocode_precision", "string", "exact | city | province | country"),
    LOCATION_SOURCE,
    _f("verified", "string", "yes | partial: how far the public source confirms the row"),
    _f("source", "string", "document or URL"),
    _f("notes", "string", "caveats: estimated coordinates, unchecked status, own acronym"),
) + EXPOSURE_FIELDS

PROJECT_FIELDS = (
    _f("site_id", "string", "acronym + site index; an opaque place id where the location is generalised",
       locational=True),
    _f("acronym", "string"),
    _f("title", "string"),
    _f("site", "string", "place name of the site", locational=True),
    _f("country_iso3", "string"),
    _f("countries", "string", "all iso3 codes of the project, ';'-separated"),
    _f("funder", "string"),
    _f("implementers", "string"),
    _f("start", "date"),
    _f("end", "date"),
    _f("status", "string", "active | closed | planned | unknown"),
    _f("budget_eur", "number", restricted=True),
    _f("components", "string", locational=True),
    _f("geocode_precision", "string", "exact | city | province | country", locational=True),
    PLACE_SOURCE,
    _f("source", "string"),
    _f("region", "string", "area as the source words it", locational=True),
    _f("countries_coverage", "string", "complete | partial | unknown: is the country list whole"),
    _f("notes", "string", locational=True),
) + EXPOSURE_FIELDS

FOOTPRINT_FIELDS = (
    _f("acronym", "string"),
    _f("title", "string"),
    _f("countries", "string"),
    _f("funder", "string"),
    _f("start", "date"),
    _f("end", "date"),
    _f("status", "string"),
    _f("budget_eur", "number", restricted=True),
    _f("region", "string", "area as the source words it", locational=True),
    _f("countries_coverage", "string", "complete | partial | unknown: is the country list whole"),
    PLACE_SOURCE,
    _f("footprint", "string", "countries | provinces | provinces+countries: what the shape is made of"),
)

PROVINCE_SUMMARY_FIELDS = (
    _f("province_id", "string"),
    _f("province", "string"),
    _f("admin1_basis", "string",
       "polygon | name: whether provinces come from imported polygons or admin1 names"),
) + SUMMARY_FIELDS
