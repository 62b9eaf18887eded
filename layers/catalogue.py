"""The typed layer definitions and the registry of every coopmap layer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from geo.errors import LayerNotFound
from geo.types import AccessLevel, FieldType, GeometryType
from layers.sources import ComputedSource, ExposedSource, Source, StoredSource

NATURAL_EARTH = "Natural Earth 1:10m admin-0 countries (public domain)"
CONFLICT_ATTRIBUTION = (
    "ACLED (acleddata.com, licensed use) / UCDP GED (CC BY 4.0); "
    "rows marked synthetic-demo are synthetic demo data"
)


@dataclass(frozen=True)
class Field:
    """One property of a layer's features."""

    name: str
    type: FieldType
    description: str = ""
    restricted: bool = False
    """Removed from the features served to the public role."""


@dataclass(frozen=True)
class Style:
    """Default cartography, shared by the interactive map and the snapshots."""

    kind: str  # "choropleth" | "point" | "polygon" | "cluster"
    color: str = "#333333"
    fill_color: str = "#cccccc"
    fill_opacity: float = 0.6
    weight: float = 1.0
    radius: float = 6.0
    icon: str = ""
    colormap: str = "YlOrRd"


@dataclass(frozen=True)
class Layer:
    """A layer of the catalogue."""

    id: str
    title: str
    title_fr: str
    description: str
    geometry_type: GeometryType
    id_field: str
    fields: tuple[Field, ...]
    source: Source
    style: Style
    attribution: str
    licence: str
    access: AccessLevel = "public"
    time_field: str | None = None
    generalise_geometry: bool = False
    """Public role sees the province/country representative point instead of the exact point."""

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def field_names(self) -> list[str]:
        return [f.name for f in self.fields]


@dataclass(frozen=True)
class Catalogue:
    """An ordered registry of layers addressed by id."""

    layers: tuple[Layer, ...] = field(default_factory=tuple)

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __len__(self) -> int:
        return len(self.layers)

    def get(self, layer_id: str) -> Layer:
        for layer in self.layers:
            if layer.id == layer_id:
                return layer
        raise LayerNotFound(layer_id)

    @property
    def ids(self) -> list[str]:
        return [layer.id for layer in self.layers]


def _f(name: str, type_: FieldType, description: str = "", restricted: bool = False) -> Field:
    return Field(name, type_, description, restricted)


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
    _f("assigned_by", "string", "within | nearest | none"),
    _f("notes", "string"),
    _f("source", "string", "the reporting sources"),
)

SUMMARY_FIELDS = (
    _f("iso3", "string"),
    _f("name", "string"),
    _f("events", "integer", "events in the period"),
    _f("fatalities", "integer", "fatalities in the period"),
    _f("events_previous", "integer", "events in the previous period of the same length"),
    _f("change_pct", "number", "change of events vs the previous period, in percent"),
    _f("events_per_100k", "number", "events per 100,000 inhabitants"),
    _f("events_by_type", "string", "JSON object event_type -> count"),
    _f("projects_active", "integer"),
    _f("projects_budget_eur", "number"),
    _f("project_acronyms", "string"),
    _f("envr_count", "integer"),
    _f("envr_acronyms", "string"),
    _f("period", "string", "the period counted, OGC interval (default: last 12 months of data)"),
    _f("previous_period", "string", "the period of the same length just before, for change_pct"),
    _f("data_note", "string", "'synthetic demo data' when any counted event is synthetic"),
)

EXPOSURE_FIELDS = (
    _f("exposure_events", "integer", "events within exposure_radius_km over exposure_period"),
    _f("exposure_fatalities", "integer", "fatalities of those events"),
    _f("nearest_event_m", "number", "geodesic distance to the nearest event of the period, metres"),
    _f("exposure_radius_km", "number", "search radius (default 50 km)"),
    _f("exposure_period", "string", "OGC interval counted (default: the last 12 months of data)"),
    _f("data_note", "string", "'synthetic demo data' when counted events include synthetic ones"),
)

LAYERS = (
    Layer(
        id="countries",
        title="Countries",
        title_fr="Pays",
        description="Admin-0 country boundaries at 1:10m with ISO codes and population.",
        geometry_type="MultiPolygon",
        id_field="iso3",
        fields=COUNTRY_FIELDS,
        source=StoredSource("countries", "data/boundaries/countries.parquet (Natural Earth 1:10m)"),
        style=Style(kind="polygon", color="#7a7a7a", fill_color="#f2efe9", fill_opacity=1.0, weight=0.6),
        attribution=NATURAL_EARTH,
        licence="Public domain",
    ),
    Layer(
        id="provinces",
        title="Provinces (admin-1)",
        title_fr="Provinces (admin-1)",
        description="Admin-1 boundaries imported with `coopmap boundaries import FILE --level 1`.",
        geometry_type="MultiPolygon",
        id_field="code",
        fields=(
            _f("iso3", "string"),
            _f("name", "string", "province name"),
            _f("code", "string", "province code from the imported file"),
            _f("source_file", "string"),
        ),
        source=StoredSource("provinces", "imported province file (geoBoundaries, GADM, NE, OCHA COD-AB)"),
        style=Style(kind="polygon", color="#9a8f80", fill_color="#ffffff", fill_opacity=0.0, weight=0.5),
        attribution="As stated by the imported file's publisher",
        licence="As stated by the imported file's publisher",
    ),
    Layer(
        id="envr",
        title="ENVR regional schools",
        title_fr="Écoles nationales à vocation régionale (ENVR)",
        description="National schools with a regional vocation supported by French security and defence cooperation.",
        geometry_type="Point",
        id_field="acronym",
        fields=(
            _f("acronym", "string"),
            _f("name", "string"),
            _f("city", "string"),
            _f("country_iso3", "string"),
            _f("domain", "string"),
            _f("domain_detail", "string", "the school's speciality as its source words it"),
            _f("founded", "integer", "year the institution was created"),
            _f("status", "string", "open | planned | suspended | unknown"),
            _f("geocode_precision", "string", "exact | city | province | country"),
            _f("verified", "string", "yes | partial: how far the public source confirms the row"),
            _f("source", "string", "document or URL"),
            _f("notes", "string", "caveats: estimated coordinates, unchecked status, own acronym"),
        ) + EXPOSURE_FIELDS,
        source=ExposedSource("envr", "data/reference/envr.csv (curated from public sources)"),
        style=Style(kind="point", color="#1f4e9c", fill_color="#3a78d8", radius=7, icon="graduation-cap"),
        attribution="coopmap ENVR registry, compiled from public French government and press sources",
        licence="CC BY 4.0 (facts from cited public sources)",
    ),
    Layer(
        id="projects",
        title="Cooperation project sites",
        title_fr="Sites des projets de coopération",
        description="One point per project site.",
        geometry_type="Point",
        id_field="site_id",
        fields=(
            _f("site_id", "string", "acronym + site index"),
            _f("acronym", "string"),
            _f("title", "string"),
            _f("site", "string", "place name of the site"),
            _f("country_iso3", "string"),
            _f("countries", "string", "all iso3 codes of the project, ';'-separated"),
            _f("funder", "string"),
            _f("implementers", "string"),
            _f("start", "date"),
            _f("end", "date"),
            _f("status", "string", "active | closed | planned | unknown"),
            _f("budget_eur", "number", restricted=True),
            _f("components", "string"),
            _f("geocode_precision", "string", "exact | city | province | country"),
            _f("source", "string"),
            _f("region", "string", "area as the source words it"),
            _f("countries_coverage", "string", "complete | partial | unknown: is the country list whole"),
            _f("notes", "string"),
        ) + EXPOSURE_FIELDS,
        source=ExposedSource("projects",
                             "data/reference/projects.csv (curated from the seed documents)"),
        style=Style(kind="point", color="#b3400a", fill_color="#f07c2a", radius=7, icon="flag"),
        attribution="coopmap project registry, compiled from public agency pages",
        licence="CC BY 4.0 (facts from cited public sources)",
        time_field="start",
        generalise_geometry=True,
    ),
    Layer(
        id="project-countries",
        title="Project footprints",
        title_fr="Emprise des projets",
        description="One feature per project: the union of its countries, or provinces when named.",
        geometry_type="MultiPolygon",
        id_field="acronym",
        fields=(
            _f("acronym", "string"),
            _f("title", "string"),
            _f("countries", "string"),
            _f("funder", "string"),
            _f("start", "date"),
            _f("end", "date"),
            _f("status", "string"),
            _f("budget_eur", "number", restricted=True),
            _f("region", "string", "area as the source words it"),
            _f("countries_coverage", "string", "complete | partial | unknown: is the country list whole"),
            _f("footprint", "string", "countries | provinces | provinces+countries: what the shape is made of"),
        ),
        source=StoredSource("project-countries", "derived from projects.csv and the boundaries"),
        style=Style(kind="polygon", color="#f07c2a", fill_color="#f07c2a", fill_opacity=0.15, weight=1.5),
        attribution="coopmap project registry; Natural Earth",
        licence="CC BY 4.0",
        time_field="start",
    ),
    Layer(
        id="conflict-events",
        title="Conflict events",
        title_fr="Événements de conflit",
        description="ACLED and UCDP GED events, normalised to one schema and assigned to boundaries.",
        geometry_type="Point",
        id_field="event_id",
        fields=EVENT_FIELDS,
        source=StoredSource("conflict-events", "ingested ACLED / UCDP GED exports, or the synthetic demo set"),
        style=Style(kind="cluster", color="#8b0000", fill_color="#d7301f", radius=4),
        attribution=CONFLICT_ATTRIBUTION,
        licence="ACLED terms of use / CC BY 4.0 (UCDP)",
        time_field="event_date",
    ),
    Layer(
        id="country-summary",
        title="Conflict and cooperation by country",
        title_fr="Conflit et coopération par pays",
        description="Events, fatalities, change, rate per 100k, projects and schools per country for a period.",
        geometry_type="MultiPolygon",
        id_field="iso3",
        fields=SUMMARY_FIELDS,
        source=ComputedSource("geo.summaries:country_summary_layer", "computed from conflict-events, projects, envr"),
        style=Style(kind="choropleth", color="#555555", colormap="YlOrRd"),
        attribution=f"{CONFLICT_ATTRIBUTION}; {NATURAL_EARTH}",
        licence="As the underlying layers",
    ),
    Layer(
        id="province-summary",
        title="Conflict and cooperation by province",
        title_fr="Conflit et coopération par province",
        description="The country summary per province (imported polygons, else the events' admin1 names).",
        geometry_type="Geometry",
        id_field="province_id",
        fields=(_f("province_id", "string"), _f("province", "string"), _f("admin1_basis", "string",
                "polygon | name: whether provinces come from imported polygons or admin1 names"))
        + SUMMARY_FIELDS,
        source=ComputedSource("geo.summaries:province_summary_layer", "computed from conflict-events, provinces"),
        style=Style(kind="choropleth", color="#555555", colormap="YlOrRd"),
        attribution=CONFLICT_ATTRIBUTION,
        licence="As the underlying layers",
    ),
)

CATALOGUE = Catalogue(LAYERS)
