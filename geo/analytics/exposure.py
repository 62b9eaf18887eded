"""Conflict exposure of project sites and ENVR schools.

For every site: the events and fatalities within ``radius_km`` over a period (default: the last
12 months of data), and the distance to the nearest event of that period, in metres.

Method: events become unit vectors on the sphere and go into a KD-tree (``scipy.spatial``),
built once per (data version, period, filters). A radius search with a 1% margin finds the
candidates of each site; their exact distances on the WGS84 ellipsoid (``pyproj.Geod``,
geodesic) decide whether they count, so an event at 49.9 km counts and one at 50.1 km does not.
The nearest event is the geodesic minimum among the events within 1% of the spherical nearest.
No distance is ever measured in degrees.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import Geod
from scipy.spatial import cKDTree

from geo.analytics.coverage import NONE, period_coverage
from geo.analytics.prepared import (
    DEFAULT_MONTHS,
    FILTER_FIELDS,
    EventArrays,
    prepared_events,
    resolve_period,
    select_events,
    selection_note,
)
from geo.cache import PREPARED, RESULTS
from geo.errors import InvalidParameter
from geo.i18n import text
from geo.query import Query, parse_query
from geo.storage.store import Store
from geo.types import Period

DEFAULT_RADIUS_KM = 50.0
MAX_RADIUS_KM = 1000.0
"""Larger radii would pair every site with a large share of all events."""
EARTH_RADIUS_M = 6_371_008.8
"""Mean Earth radius (IUGG), for the KD-tree's sphere only; reported distances are geodesic."""
MARGIN = 1.01
"""Sphere and ellipsoid distances differ by < 0.6%: search 1% wider, then measure exactly."""
EXPOSURE_LAYERS = ("projects", "envr")
EXPOSURE_PARAMS = ("radius_km", "months")

_GEOD = Geod(ellps="WGS84")


@dataclass(frozen=True)
class EventTree:
    """The events of one selection in a KD-tree on the unit sphere."""

    tree: cKDTree | None
    index: np.ndarray
    """Positions, in the event arrays, of the tree's points."""
    period: Period | None
    note: str
    no_data: str = ""
    """The coverage note when the event data do not cover the period at all (counts unknown)."""


def unit_vectors(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """Longitude/latitude in degrees → (n, 3) unit vectors."""
    lam, phi = np.radians(lon), np.radians(lat)
    cos_phi = np.cos(phi)
    return np.column_stack([cos_phi * np.cos(lam), cos_phi * np.sin(lam), np.sin(phi)])


def chord_of(metres: np.ndarray | float) -> np.ndarray:
    """Great-circle distance on the mean sphere → chord length on the unit sphere."""
    return 2.0 * np.sin(np.minimum(np.asarray(metres, float) / (2.0 * EARTH_RADIUS_M), np.pi / 2))


def arc_of(chord: np.ndarray | float) -> np.ndarray:
    """Chord length on the unit sphere → great-circle distance in metres on the mean sphere."""
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.clip(np.asarray(chord, float) / 2.0, 0.0, 1.0))


def event_tree(arrays: EventArrays, query: Query, months: int = DEFAULT_MONTHS) -> EventTree:
    """The KD-tree of the events selected by ``query`` (default period: the last ``months``)."""
    period = resolve_period(query, arrays, months)
    selected = select_events(arrays, query, period)
    selected &= np.isfinite(arrays.lon) & np.isfinite(arrays.lat)
    index = np.flatnonzero(selected)
    tree = cKDTree(unit_vectors(arrays.lon[index], arrays.lat[index])) if len(index) else None
    coverage = period_coverage(arrays, period, query)
    no_data = coverage.note() if coverage.state == NONE else ""
    return EventTree(tree, index, period, selection_note(arrays, selected), no_data)


def site_exposure(
    lon: np.ndarray,
    lat: np.ndarray,
    arrays: EventArrays,
    query: Query,
    radius_km: float = DEFAULT_RADIUS_KM,
    months: int = DEFAULT_MONTHS,
    *,
    tree: EventTree | None = None,
    country_level: np.ndarray | None = None,
) -> pd.DataFrame:
    """Events, fatalities within ``radius_km`` and the nearest event, for each site.

    Parameters
    ----------
    lon, lat : site coordinates in degrees (EPSG:4326); NaN for a site without a location
    arrays : ``prepare_events`` of the event layer
    query : period and filters; without a period, the last ``months`` months of data
    radius_km : search radius in kilometres (geodesic)
    months : length of the default period
    tree : ``event_tree(arrays, query, months)`` when the caller caches it
    country_level : True for the sites located only to their country (a point at its centre):
        their exposure is null, with ``exposure_note`` saying why (as for every site when the
        event data do not cover the period)

    Returns
    -------
    DataFrame with exposure_events, exposure_fatalities (null, with exposure_note, for a site
    without a location or located only to its country, or a period without event data),
    nearest_event_m (geodesic metres, null without events or location), exposure_radius_km,
    exposure_period, data_note, exposure_note — one row per site

    Examples
    --------
    >>> arrays = prepare_events(events)  # doctest: +SKIP
    >>> site_exposure(np.array([29.2]), np.array([-1.6]), arrays, Query())  # doctest: +SKIP
    """
    check_radius(radius_km)
    tree = tree if tree is not None else event_tree(arrays, query, months)
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    n = len(lon)
    events = np.zeros(n, dtype=np.int64)
    fatalities = np.zeros(n, dtype=np.int64)
    nearest = np.full(n, np.nan)
    vague = np.zeros(n, dtype=bool) if country_level is None else np.asarray(country_level, dtype=bool)
    placed = np.isfinite(lon) & np.isfinite(lat)
    unknown = np.ones(n, dtype=bool) if tree.no_data else vague | ~placed
    located = np.flatnonzero(placed & ~vague)
    if tree.tree is not None and len(located):
        xyz = unit_vectors(lon[located], lat[located])
        site, event, metres = _pairs_within(
            tree, xyz, lon[located], lat[located], chord_of(radius_km * 1000 * MARGIN)
        )
        inside = metres <= radius_km * 1000
        events[located] = np.bincount(site[inside], minlength=len(located))
        weights = arrays.fatalities[event[inside]]
        fatalities[located] = np.bincount(
            site[inside], weights=weights, minlength=len(located)
        ).astype(np.int64)
        nearest[located] = _nearest(tree, xyz, lon[located], lat[located])
    return pd.DataFrame(
        {
            "exposure_events": _unless(events, unknown),
            "exposure_fatalities": _unless(fatalities, unknown),
            "nearest_event_m": pd.array(np.round(nearest, 1), dtype="Float64"),
            "exposure_radius_km": float(radius_km),
            "exposure_period": pd.array(
                [str(tree.period) if tree.period else None] * n, dtype="string"
            ),
            "data_note": tree.note,
            "exposure_note": pd.array(
                np.where(
                    vague,
                    text("en", "exposure_country_level"),
                    np.where(placed, tree.no_data, text("en", "exposure_no_location")),
                ),
                dtype="string",
            ),
        }
    )


def _unless(counts: np.ndarray, unknown: np.ndarray) -> pd.arrays.IntegerArray:
    """Counts as nullable integers, null where ``unknown``."""
    return pd.array(np.where(unknown, None, counts), dtype="Int64")


def country_level(sites: pd.DataFrame) -> np.ndarray:
    """True for the sites geocoded only to their country (``geocode_precision`` ``country``)."""
    if "geocode_precision" not in sites:
        return np.zeros(len(sites), dtype=bool)
    precision = sites["geocode_precision"].astype("string").str.strip().str.lower()
    return (precision == "country").fillna(False).to_numpy(bool)


def _pairs_within(
    tree: EventTree, xyz: np.ndarray, lon: np.ndarray, lat: np.ndarray, chord: np.ndarray | float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(site, event position, geodesic metres) for the events within ``chord`` of each site."""
    hits = tree.tree.query_ball_point(xyz, chord, workers=-1)
    lengths = np.fromiter((len(h) for h in hits), dtype=np.int64, count=len(hits))
    if not lengths.sum():
        empty = np.empty(0, dtype=np.int64)
        return empty, empty, np.empty(0)
    site = np.repeat(np.arange(len(hits)), lengths)
    local = np.concatenate([np.asarray(h, dtype=np.int64) for h in hits if len(h)])
    event = tree.index[local]
    points = tree.tree.data[local]
    ev_lon = np.degrees(np.arctan2(points[:, 1], points[:, 0]))
    ev_lat = np.degrees(np.arcsin(np.clip(points[:, 2], -1, 1)))
    _, _, metres = _GEOD.inv(lon[site], lat[site], ev_lon, ev_lat)
    return site, event, np.asarray(metres)


def _nearest(tree: EventTree, xyz: np.ndarray, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    chord, _ = tree.tree.query(xyz, k=1, workers=-1)
    site, _, metres = _pairs_within(tree, xyz, lon, lat, np.asarray(chord) * MARGIN + 1e-12)
    out = np.full(len(lon), np.inf)
    np.minimum.at(out, site, metres)
    return out


def check_radius(radius_km: float) -> None:
    """Refuse a radius that is not a positive number of kilometres up to ``MAX_RADIUS_KM``."""
    if not (np.isfinite(radius_km) and 0 < radius_km <= MAX_RADIUS_KM):
        raise InvalidParameter(
            "radius_km", radius_km, f"must be a number of kilometres in (0, {MAX_RADIUS_KM:g}]"
        )


def exposure_params(params: Mapping[str, str]) -> tuple[Query, float, int]:
    """Parse the exposure vocabulary: ``datetime``, event filters, ``radius_km``, ``months``."""
    query = parse_query(params, FILTER_FIELDS, strict=True, reserved=EXPOSURE_PARAMS)
    radius = _number(params, "radius_km", DEFAULT_RADIUS_KM, float)
    months = _number(params, "months", DEFAULT_MONTHS, int)
    check_radius(radius)
    if months < 1:
        raise InvalidParameter(
            "months", params.get("months"), "must be a whole number of months, at least 1"
        )
    return query, radius, months


def _number(params: Mapping[str, str], name: str, default: float, kind: type) -> float:
    raw = params.get(name)
    if raw is None or str(raw).strip() == "":
        return default
    try:
        return kind(str(raw).strip())
    except ValueError:
        raise InvalidParameter(
            name, raw, f"must be a {'whole ' if kind is int else ''}number"
        ) from None


def with_exposure(
    store: Store, layer_id: str, params: Mapping[str, str] | None = None
) -> gpd.GeoDataFrame:
    """The stored ``projects`` or ``envr`` layer with exposure columns, cached by data version.

    Parameters
    ----------
    store : the workspace store
    layer_id : ``"projects"`` or ``"envr"``
    params : ``radius_km``, ``months``, ``datetime`` and event filters (defaults: 50 km, the
        last 12 months of data, every event)

    Returns
    -------
    The layer's frame with exposure_events, exposure_fatalities, nearest_event_m,
    exposure_radius_km, exposure_period, data_note, exposure_note (sites located only to their
    country have null exposure: a point at the country's centre is no place to measure from)
    """
    if layer_id not in EXPOSURE_LAYERS:
        raise InvalidParameter(
            "layer", layer_id, f"exposure is computed for {list(EXPOSURE_LAYERS)}"
        )
    params = dict(params or {})
    query, radius, months = exposure_params(params)
    version = store.data_version

    def compute() -> gpd.GeoDataFrame:
        sites = store.read(layer_id)
        arrays = prepared_events(store)
        tree = PREPARED.get_or_compute(
            (version, "event-tree", query.key(), months), lambda: event_tree(arrays, query, months)
        )
        lon, lat = shapely.get_x(sites.geometry.values), shapely.get_y(sites.geometry.values)
        columns = site_exposure(
            lon, lat, arrays, query, radius, months, tree=tree, country_level=country_level(sites)
        )
        columns.index = sites.index
        return pd.concat([sites.drop(columns=[c for c in columns if c in sites]), columns], axis=1)

    return RESULTS.get_or_compute(
        (version, "exposure", layer_id, query.key(), radius, months), compute
    ).copy(deep=False)
