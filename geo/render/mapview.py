"""The geography behind the interactive map's data: what each ``/map-data`` answer shows.

Pure functions of frames, the store and plain values; the web layer parses the request, calls
them and serialises (``geo.features.geojson``). Events are selected once, on the prepared arrays
(``geo.analytics.prepared.select_events``), like the summaries, the rasters and the snapshots.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analytics.counts import ACTIVE, DATES_UNKNOWN, active_mask, states
from geo.analytics.grid import POINT_COLUMNS, GridView, grid_view
from geo.analytics.prepared import (
    FILTER_FIELDS,
    event_rows,
    prepared_events,
    read_events,
    select_events,
)
from geo.analytics.timeseries import month_range
from geo.boundaries.spatialindex import ready_sindex
from geo.cache import VIEWS
from geo.errors import InvalidParameter
from geo.query import Query
from geo.registries.periods import ENVR_SPAN, PROJECT_SPAN, period_mask
from geo.render.cartography import light_geometry
from geo.storage.store import Store
from geo.types import BBox, Period

LIGHT_GRID = {"countries_z2": 0.02, "countries_z4": 0.005}
"""Snapping grid in degrees of the basemap's light countries per detail (others: 0.005)."""
FOOTPRINT_GRID = 0.005
"""Snapping grid in degrees of the project footprints sent to the map."""


def light_countries(store: Store, detail: str) -> gpd.GeoDataFrame:
    """The simplified admin-0 polygons snapped to a grid, with an ``area`` to rank labels.

    Parameters
    ----------
    store : the store whose boundaries to draw (``Store.boundaries``)
    detail : a simplified variant, ``"countries_z2"`` (world view) or ``"countries_z4"``

    Returns
    -------
    GeoDataFrame with its spatial index built (safe to share between threads); cached per
    detail and version of the stored countries.
    """
    record = store.manifest().layers.get("countries")
    key = ("light-countries", record.digest if record else None, detail)
    return VIEWS.get_or_compute(key, lambda: _light_countries(store, detail))


def _light_countries(store: Store, detail: str) -> gpd.GeoDataFrame:
    light = light_geometry(store.boundaries(detail), LIGHT_GRID.get(detail, 0.005))
    # area in square degrees: only to rank labels (bigger countries keep theirs)
    frame = light.assign(area=shapely.area(light.geometry.values).round(2))
    # Build the spatial index before the frame is shared: the lazy first query of a GEOS
    # STRtree is not thread-safe (concurrent first queries of one tree may crash).
    ready_sindex(frame)
    return frame


def countries_in_bbox(countries: gpd.GeoDataFrame, bbox: BBox) -> gpd.GeoDataFrame:
    """The rows of ``countries`` whose polygon intersects ``bbox``, in their stored order."""
    hits = ready_sindex(countries).query(shapely.box(*bbox), predicate="intersects")
    return countries.iloc[sorted(hits)]


def find_country(countries: gpd.GeoDataFrame, iso3: str) -> pd.Series | None:
    """The row of ``countries`` with code ``iso3`` (any case), or None when there is none."""
    match = countries[countries["iso3"] == iso3.upper()]
    return match.iloc[0] if len(match) else None


@dataclass(frozen=True)
class Sites:
    """The registry layers shown on the map (None for a layer the workspace does not have)."""

    envr: gpd.GeoDataFrame | None
    projects: gpd.GeoDataFrame | None
    footprints: gpd.GeoDataFrame | None
    """Project footprints with light geometry (snapped to ``FOOTPRINT_GRID``)."""
    not_mapped: pd.DataFrame | None = None
    """Projects without geometry (their countries are not named), whatever the country: those
    of the period and those whose dates are unknown (``dates_unknown`` True). Listed beside the
    map, not drawn."""


def select_sites(
    envr: gpd.GeoDataFrame | None,
    projects: gpd.GeoDataFrame | None,
    footprints: gpd.GeoDataFrame | None,
    *,
    iso3: str | None = None,
    period: Period | None = None,
) -> Sites:
    """ENVR schools, project sites and footprints of one country and period.

    Parameters
    ----------
    envr, projects, footprints : the ``envr``, ``projects`` and ``project-countries`` layers as
        the caller may see them, or None
    iso3 : keep the schools of that country (``country_iso3``) and the projects and footprints
        whose ``countries`` (``;``-separated codes) name it; None or "" keeps all
    period : keep what exists in it, by the rule of every ``datetime`` selection
        (``geo.registries.periods``): projects whose [start, end] overlaps it (no end: ongoing),
        schools founded by its end and not planned; an unknown start matches no period

    Returns
    -------
    Sites
    """
    not_mapped = None
    if envr is not None:
        envr = envr[period_mask(envr, ENVR_SPAN, period)]
        if iso3:
            envr = envr[envr["country_iso3"] == iso3]
    if projects is not None:
        state = states(projects, PROJECT_SPAN, period)
        unnamed = projects["countries"].astype("string").fillna("").str.strip() == ""
        missing = (projects.geometry.isna() & unnamed).to_numpy()
        listed = missing & (state != "")
        not_mapped = pd.DataFrame(projects[listed].drop(columns=projects.geometry.name)).assign(
            dates_unknown=state[listed] == DATES_UNKNOWN
        )
        projects = projects[(state == ACTIVE) & ~missing]
        if iso3:
            named = projects["countries"].astype("string").str.split(";")
            projects = projects[named.apply(lambda codes: iso3 in codes if isinstance(codes, list) else False)]
    if footprints is not None:
        footprints = footprints[active_mask(footprints, period)]
        if iso3:
            footprints = footprints[footprints["countries"].astype("string").str.contains(iso3, regex=False)]
        footprints = light_geometry(footprints, FOOTPRINT_GRID)
    return Sites(envr, projects, footprints, not_mapped)


def site_points(frame: gpd.GeoDataFrame, names: list[str]) -> pd.DataFrame:
    """Point rows with the ``names`` columns the frame has, plus ``lon`` and ``lat`` (5 decimals);
    withheld (null or empty) geometries are skipped."""
    frame = frame[frame.geometry.notna() & ~frame.geometry.is_empty]
    columns = [n for n in names if n in frame.columns]
    return pd.DataFrame(frame[columns]).assign(lon=frame.geometry.x.round(5), lat=frame.geometry.y.round(5))


def events_in_view(store: Store, query: Query, bbox: BBox, iso3: str | None = None) -> gpd.GeoDataFrame:
    """The events in the period and filters of ``query`` inside ``bbox`` (of ``iso3`` when given).

    Parameters
    ----------
    store : the caller's store
    query : period and property filters (its bbox is not used: ``bbox`` is the view)
    bbox : the view (minx, miny, maxx, maxy) in degrees; an event on the edge is inside
    iso3 : the focus country, or None (or "") for every country

    Returns
    -------
    The rows of the ``conflict-events`` layer, in its stored order, with the columns the map draws
    (``geo.analytics.grid.POINT_COLUMNS`` and the geometry; empty without the layer)
    """
    arrays = prepared_events(store)
    selected = select_events(arrays, query, query.period, bbox=bbox, country=iso3 or None)
    events = read_events(store)
    # Only the columns the map draws: taking every column of a large selection copied them all.
    drawn = [name for name in POINT_COLUMNS if name in events.columns] + [events.geometry.name]
    return events[drawn].iloc[event_rows(arrays, selected)]


def events_view(store: Store, query: Query, bbox: BBox, zoom: int, iso3: str | None = None) -> GridView:
    """``events_in_view`` as points or grid cells for the map ``zoom`` (``geo.analytics.grid``)."""
    return grid_view(events_in_view(store, query, bbox, iso3), bbox, zoom)


def chart_events(store: Store, query: Query, iso3: str | tuple[str, ...]) -> pd.DataFrame:
    """``event_date``, ``event_type`` and ``fatalities`` of the events of ``iso3`` (a code, or a
    region's codes) in the period and filters of ``query`` (bbox not used), for
    ``geo.analytics.timeseries.monthly_by_type``."""
    arrays = prepared_events(store)
    chosen = select_events(arrays, query, query.period, country=iso3)
    types = np.append(arrays.event_type.labels.to_numpy(dtype=object), None)  # code -1: None
    return pd.DataFrame(
        {
            "event_date": arrays.dates[chosen],
            "event_type": types[arrays.event_type.codes[chosen]],
            "fatalities": arrays.fatalities[chosen],
        }
    )


@dataclass(frozen=True)
class PageFacts:
    """What a map page offers before any data is fetched."""

    months: list[str]
    """Every month (``YYYY-MM``) from the first to the last dated event, for the period slider."""
    event_types: list[str]
    """The event types present, sorted."""
    synthetic: bool
    """Whether any event is synthetic demo data."""


def page_facts(store: Store) -> PageFacts:
    """The months, event types and synthetic flag of the stored events (prepared arrays, so
    computed once per data version)."""
    arrays = prepared_events(store)
    ends = arrays.dates[[0, arrays.dated - 1]] if arrays.dated else arrays.dates[:0]
    return PageFacts(
        months=month_range(pd.DataFrame({"event_date": ends})),
        event_types=sorted(str(v) for v in arrays.event_type.labels),
        synthetic=bool(arrays.synthetic.any()),
    )


def density_params(args: Mapping[str, str]) -> dict[str, str]:
    """The raster vocabulary of ``geo.analytics.raster`` from the map's parameters and its zoom.

    The map's ``zoom`` (default 3) sets the ``resolution``: 0.5° up to zoom 4, 0.2° up to 6,
    0.05° beyond; ``bbox``, ``datetime`` and the raster's filters are kept when not empty.

    Examples
    --------
    >>> density_params({"zoom": "5", "bbox": "0,0,10,10", "lang": "fr", "event_type": ""})
    {'bbox': '0,0,10,10', 'resolution': '0.2'}
    """
    try:
        zoom = int(args.get("zoom", "3"))
    except ValueError:
        raise InvalidParameter("zoom", args.get("zoom"), "expected an integer from 0 to 22") from None
    resolution = "0.5" if zoom <= 4 else "0.2" if zoom <= 6 else "0.05"
    keep = ("bbox", "datetime", *FILTER_FIELDS)
    return {**{k: v for k, v in args.items() if k in keep and v}, "resolution": resolution}
