"""The typed layer definitions and the registry of every coopmap layer."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

from geo.analytics.provinces import province_summary_layer
from geo.analytics.summaries import country_summary_layer
from geo.errors import LayerNotFound
from geo.features.tiles import Tiling
from geo.registries.periods import ENVR_SPAN, EVENT_SPAN, PROJECT_SPAN, TimeSpan
from geo.render.style import MapLayer, Style
from geo.schema import (
    COUNTRY_FIELDS,
    ENVR_FIELDS,
    EVENT_FIELDS,
    FOOTPRINT_FIELDS,
    PROJECT_FIELDS,
    PROVINCE_FIELDS,
    PROVINCE_SUMMARY_FIELDS,
    SUMMARY_FIELDS,
    Field,
)
from geo.types import AccessLevel, GeometryType
from layers.sources import ComputedSource, ExposedSource, Source, StoredSource

NATURAL_EARTH = "Natural Earth 1:10m admin-0 countries (public domain)"
CONFLICT_ATTRIBUTION = (
    "ACLED (acleddata.com, licensed use) / UCDP GED (CC BY 4.0); "
    "rows marked synthetic-demo are synthetic demo data"
)


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
    time: TimeSpan | None = None
    """When a feature exists: ``datetime`` selects by it everywhere (``geo.registries.periods``)."""
    generalise_geometry: bool = False
    """Public role sees the province/country representative point instead of the exact point."""
    draw_order: int | None = None
    """Place in a snapshot, bottom to top; ``None``: snapshots do not draw the layer."""
    snapshot_default: bool = False
    """Drawn by a snapshot that names no layers."""
    on_map: bool = True
    """In the interactive map's layer control (and its ``layers=`` parameter)."""
    map_default: bool = False
    """Switched on when the page's URL names no layers."""
    requires: tuple[str, ...] | None = None
    """Stored layers a snapshot needs to draw this one; ``None``: its own stored data, if any."""
    tiling: Tiling | None = None
    """How the layer is cut into vector tiles (``/ogc/collections/{id}/tiles``); None: no tiles."""

    def field(self, name: str) -> Field:
        for f in self.fields:
            if f.name == name:
                return f
        raise KeyError(name)

    @property
    def time_field(self) -> str | None:
        """The column where a feature's time starts (its instant for events), or None."""
        return self.time.start if self.time is not None else None

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

    def map_layers(self) -> dict[str, MapLayer]:
        """The layers as the renderer takes them (look, credit, features, place), by id."""
        return {layer.id: _map_layer(layer) for layer in self.layers}


def _map_layer(layer: Layer) -> MapLayer:
    requires = layer.requires
    if requires is None:
        requires = (layer.source.layer_id,) if isinstance(layer.source, StoredSource) else ()
    return MapLayer(
        layer.id,
        layer.style,
        layer.attribution,
        layer.source.frame,
        layer.generalise_geometry,
        id_field=layer.id_field,
        titles={"en": layer.title, "fr": layer.title_fr},
        order=layer.draw_order,
        snapshot_default=layer.snapshot_default,
        requires=requires,
        time=layer.time,
    )


LAYERS = (
    # Snapshot drawing order, bottom to top: countries (the base, always drawn) 10, project
    # footprints 20, country summary 30, province summary 40, province outlines 50 (over the
    # fills), events 60, project sites 70, schools 80.
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
        draw_order=10,
        on_map=False,
        tiling=Tiling(),
    ),
    Layer(
        id="provinces",
        title="Provinces (admin-1)",
        title_fr="Provinces (admin-1)",
        description="Admin-1 boundaries imported with `coopmap boundaries import FILE --level 1`.",
        geometry_type="MultiPolygon",
        id_field="code",
        fields=PROVINCE_FIELDS,
        source=StoredSource("provinces", "imported province file (geoBoundaries, GADM, NE, OCHA COD-AB)"),
        style=Style(kind="polygon", color="#9a8f80", fill_color="#ffffff", fill_opacity=0.0, weight=0.5),
        attribution="As stated by the imported file's publisher",
        licence="As stated by the imported file's publisher",
        draw_order=50,
        map_default=True,
        tiling=Tiling(),
    ),
    Layer(
        id="envr",
        title="ENVR regional schools",
        title_fr="Écoles nationales à vocation régionale (ENVR)",
        description="National schools with a regional vocation supported by French security and defence cooperation.",
        geometry_type="Point",
        id_field="acronym",
        fields=ENVR_FIELDS,
        source=ExposedSource("envr", "data/reference/envr.csv (curated from public sources)"),
        style=Style(
            kind="point", color="#1f4e9c", fill_color="#3a78d8", radius=7, icon="graduation-cap", marker="^"
        ),
        attribution="coopmap ENVR registry, compiled from public French government and press sources",
        licence="CC BY 4.0 (facts from cited public sources)",
        draw_order=80,
        time=ENVR_SPAN,
        snapshot_default=True,
        map_default=True,
        tiling=Tiling(),
    ),
    Layer(
        id="projects",
        title="Cooperation project sites",
        title_fr="Sites des projets de coopération",
        description="One point per project site; a project whose countries the sources do not name is one "
        "feature without geometry (not mapped), with its region.",
        geometry_type="Point",
        id_field="site_id",
        fields=PROJECT_FIELDS,
        source=ExposedSource("projects",
                             "data/reference/projects.csv (curated from the seed documents)"),
        style=Style(kind="point", color="#b3400a", fill_color="#f07c2a", radius=7, icon="flag", marker="D"),
        attribution="coopmap project registry, compiled from public agency pages",
        licence="CC BY 4.0 (facts from cited public sources)",
        time=PROJECT_SPAN,
        generalise_geometry=True,
        draw_order=70,
        snapshot_default=True,
        map_default=True,
        tiling=Tiling(),
    ),
    Layer(
        id="project-countries",
        title="Project footprints",
        title_fr="Emprise des projets",
        description="One feature per project: the union of its countries, or provinces when named.",
        geometry_type="MultiPolygon",
        id_field="acronym",
        fields=FOOTPRINT_FIELDS,
        source=StoredSource("project-countries", "derived from projects.csv and the boundaries"),
        style=Style(kind="polygon", color="#f07c2a", fill_color="#f07c2a", fill_opacity=0.15, weight=1.5),
        attribution="coopmap project registry; Natural Earth",
        licence="CC BY 4.0",
        time=PROJECT_SPAN,
        draw_order=20,
        map_default=True,
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
        time=EVENT_SPAN,
        draw_order=60,
        snapshot_default=True,
        map_default=True,
        tiling=Tiling(aggregate_below=8, weight="fatalities", max_points=4000),
    ),
    Layer(
        id="country-summary",
        title="Conflict and cooperation by country",
        title_fr="Conflit et coopération par pays",
        description="Events, fatalities, change, rate per 100k, projects and schools per country for a period.",
        geometry_type="MultiPolygon",
        id_field="iso3",
        fields=SUMMARY_FIELDS,
        source=ComputedSource(country_summary_layer, "computed from conflict-events, projects, envr"),
        style=Style(kind="choropleth", color="#555555"),
        attribution=f"{CONFLICT_ATTRIBUTION}; {NATURAL_EARTH}",
        licence="As the underlying layers",
        draw_order=30,
        snapshot_default=True,
        map_default=True,
        requires=("conflict-events",),
    ),
    Layer(
        id="province-summary",
        title="Conflict and cooperation by province",
        title_fr="Conflit et coopération par province",
        description="The country summary per province (imported polygons, else the events' admin1 names).",
        geometry_type="Geometry",
        id_field="province_id",
        fields=PROVINCE_SUMMARY_FIELDS,
        source=ComputedSource(province_summary_layer, "computed from conflict-events, provinces"),
        style=Style(kind="choropleth", color="#555555"),
        attribution=CONFLICT_ATTRIBUTION,
        licence="As the underlying layers",
        draw_order=40,
        on_map=False,
    ),
)

CATALOGUE = Catalogue(LAYERS)
