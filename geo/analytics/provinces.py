"""Province (admin-1) summaries, on imported polygons or, failing them, on the events' admin1 names.

Two bases, named in every row's ``admin1_basis``:

``polygon``
    The ``provinces`` layer exists: each event, project site and school is placed in the
    province polygon that contains it (point in polygon, the first when polygons overlap).
    Every imported province is present, with 0 when it has no events (null when the event data
    do not cover the period: ``geo.analytics.coverage``). Population is unknown
    per province, so ``events_per_100k`` is null.
``name``
    No provinces imported: events are grouped by (``country_iso3``, ``admin1``) as written in
    the ACLED / UCDP export. There is no boundary: the geometry is the convex hull of all the
    events carrying that name (a point or a line when they have one or two distinct places),
    an approximate extent, not a border. Project sites and schools carry no admin1 name, so
    their columns are null.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.analytics.counts import envr_pairs, event_counts, registry_columns, states
from geo.analytics.prepared import (
    FILTER_FIELDS,
    EventArrays,
    prepare_events,
    prepared_events,
    read_events,
    read_optional,
    resolve_period,
)
from geo.boundaries.spatialindex import ready_sindex
from geo.cache import PREPARED, RESULTS
from geo.query import Query, parse_query
from geo.registries.periods import PROJECT_SPAN
from geo.schema import SUMMARY_FIELDS
from geo.storage.store import Store
from geo.types import WGS84, Period

NULL_REGISTRY = {
    "projects_active": "Int64",
    "projects_dates_unknown": "Int64",
    "projects_budget_eur": "Float64",
    "projects_budget_status": "string",
    "projects_budget_unknown": "Int64",
    "project_acronyms": "string",
    "envr_count": "Int64",
    "envr_dates_unknown": "Int64",
    "envr_acronyms": "string",
}


@dataclass(frozen=True)
class ProvinceUnits:
    """The rows of a province summary and where each event falls among them."""

    basis: str
    table: gpd.GeoDataFrame
    """province_id, province, iso3, geometry — one row per province."""
    rows: np.ndarray
    """For each event, its row in ``table`` (-1 when it falls in none)."""


def locate(points: gpd.GeoSeries, polygons: gpd.GeoDataFrame) -> np.ndarray:
    """For each point, the position of the first polygon containing it (boundary included) or -1."""
    out = np.full(len(points), -1, dtype=np.int64)
    if not len(points) or not len(polygons):
        return out
    if points.crs is not None and polygons.crs is not None and points.crs != polygons.crs:
        raise ValueError(f"CRS mismatch: points are {points.crs}, polygons are {polygons.crs}")
    hit_point, hit_polygon = ready_sindex(polygons).query(points.values, predicate="intersects")
    order = np.lexsort((hit_polygon, hit_point))[
        ::-1
    ]  # so the smallest polygon index is written last
    out[hit_point[order]] = hit_polygon[order]
    return out


def polygon_units(events: gpd.GeoDataFrame, provinces: gpd.GeoDataFrame) -> ProvinceUnits:
    """Units from imported province polygons."""
    table = gpd.GeoDataFrame(
        {
            "province_id": provinces["code"].astype("string").to_numpy(),
            "province": provinces["name"].astype("string").to_numpy(),
            "iso3": provinces["iso3"].astype("string").to_numpy(),
        },
        geometry=provinces.geometry.to_numpy(),
        crs=provinces.crs,
    )
    return ProvinceUnits("polygon", table, locate(events.geometry, provinces))


def name_units(events: gpd.GeoDataFrame) -> ProvinceUnits:
    """Units from the events' own (country_iso3, admin1) names, with convex-hull geometries."""
    iso3 = events["country_iso3"].astype("string").fillna("")
    admin1 = events["admin1"].astype("string").str.strip()
    key = (iso3 + "/" + admin1).where(admin1.notna() & (admin1 != ""))
    codes, labels = pd.factorize(key, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    labels = pd.Index(labels, dtype=object)
    valid = np.flatnonzero(codes >= 0)
    order = valid[np.argsort(codes[valid], kind="stable")]
    coords = np.column_stack(
        [events.geometry.x.to_numpy()[order], events.geometry.y.to_numpy()[order]]
    )
    groups = codes[order]
    keep = _maybe_on_hull(coords, groups)
    hulls = (
        shapely.convex_hull(shapely.multipoints(coords[keep], indices=groups[keep])) if len(order) else []
    )
    parts = labels.str.split("/", n=1)
    table = gpd.GeoDataFrame(
        {
            "province_id": pd.array(list(labels), dtype="string"),
            "province": pd.array([p[1] for p in parts], dtype="string"),
            "iso3": pd.array([p[0] or None for p in parts], dtype="string"),
        },
        geometry=list(hulls),
        crs=WGS84,
    )
    return ProvinceUnits("name", table, codes)


def _maybe_on_hull(coords: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """False for the points strictly inside the octagon of their group's extreme points (lowest
    and highest x, y, x + y, x - y): they cannot be on the group's convex hull, so the hull of the
    others is the same, and building a million point geometries is avoided.

    ``groups`` is sorted: each group's points are contiguous.
    """
    if not len(groups):
        return np.zeros(0, dtype=bool)
    x, y = coords[:, 0], coords[:, 1]
    starts = np.flatnonzero(np.r_[True, groups[1:] != groups[:-1]])
    corners = []
    for score in (x, x + y, y, y - x, -x, -x - y, -y, x - y):  # counter-clockwise around the hull
        best = np.maximum.reduceat(score, starts)
        hit = np.flatnonzero(score == np.repeat(best, np.diff(np.r_[starts, len(groups)])))
        first = hit[np.unique(groups[hit], return_index=True)[1]]  # one extreme point per group
        corners.append(first)
    inside = np.ones(len(groups), dtype=bool)
    rank = np.searchsorted(groups[starts], groups)  # the group's position among those present
    for a, b in zip(corners, corners[1:] + corners[:1], strict=True):
        ax, ay, bx, by = x[a][rank], y[a][rank], x[b][rank], y[b][rank]
        cross = (bx - ax) * (y - ay) - (by - ay) * (x - ax)
        # strictly left of every edge of the counter-clockwise octagon (edges of length 0 skipped)
        inside &= (cross > 0) | ((ax == bx) & (ay == by))
    inside[np.concatenate(corners)] = False  # the corners themselves stay
    return ~inside


def province_summary(
    events: gpd.GeoDataFrame,
    countries: gpd.GeoDataFrame,
    query: Query,
    provinces: gpd.GeoDataFrame | None = None,
    projects: gpd.GeoDataFrame | None = None,
    envr: gpd.GeoDataFrame | None = None,
    *,
    prepared: EventArrays | None = None,
    units: ProvinceUnits | None = None,
) -> gpd.GeoDataFrame:
    """Per province: the columns of the country summary, plus province_id, province, admin1_basis.

    Parameters
    ----------
    events : the ``conflict-events`` layer
    countries : the ``countries`` layer (for the country names)
    query : period and filters, as for ``country_summary``
    provinces : the imported ``provinces`` layer; None or empty selects the ``name`` basis
    projects, envr : the registries (counted on the ``polygon`` basis only)
    prepared, units : precomputed ``prepare_events(events)`` and province units (cached by callers)

    Returns
    -------
    GeoDataFrame with one row per province
    """
    arrays = prepared if prepared is not None else prepare_events(events)
    if units is None:
        has_polygons = provinces is not None and len(provinces) > 0
        units = polygon_units(events, provinces) if has_polygons else name_units(events)
    table = units.table.reset_index(drop=True)
    counts = event_counts(arrays, units.rows[arrays.order], len(table), query)
    names = countries.set_index("iso3")["name"]
    out = pd.DataFrame(
        {
            "province_id": table["province_id"],
            "province": table["province"],
            "admin1_basis": units.basis,
            "iso3": table["iso3"],
            "name": table["iso3"].map(names).astype("string"),
        }
    )
    out = pd.concat([out, counts], axis=1)
    out["events_per_100k"] = pd.array([pd.NA] * len(out), dtype="Float64")
    if units.basis == "polygon" and provinces is not None:
        period = resolve_period(query, arrays)
        keys = pd.Index(table["province_id"].astype(str))
        project_pairs = _site_pairs(projects, provinces, keys, period)
        school_pairs = envr_pairs(_with_key(envr, provinces, keys), period, "key")
        out = pd.concat([out, registry_columns(keys, project_pairs, school_pairs)], axis=1)
    else:
        for name, dtype in NULL_REGISTRY.items():
            out[name] = pd.array([pd.NA] * len(out), dtype=dtype)
    columns = ["province_id", "province", "admin1_basis", *(f.name for f in SUMMARY_FIELDS)]
    return gpd.GeoDataFrame(out[columns], geometry=table.geometry.values, crs=table.crs)


def _with_key(
    points: gpd.GeoDataFrame | None, provinces: gpd.GeoDataFrame, keys: pd.Index
) -> gpd.GeoDataFrame | None:
    if points is None or not len(points):
        return points
    rows = locate(points.geometry, provinces)
    labels = np.append(keys.to_numpy(dtype=object), None)
    return points.assign(key=pd.array(labels[rows], dtype="string"))


def _site_pairs(
    projects: gpd.GeoDataFrame | None,
    provinces: gpd.GeoDataFrame,
    keys: pd.Index,
    period: Period | None,
) -> pd.DataFrame:
    located = _with_key(projects, provinces, keys)
    if located is None or not len(located):
        return pd.DataFrame({"key": [], "acronym": [], "state": [], "budget_eur": []})
    state = states(located, PROJECT_SPAN, period)
    counted = located[state != ""]
    columns = {"key": counted["key"], "acronym": counted["acronym"].astype("string"), "state": state[state != ""]}
    if "budget_eur" in counted:  # absent when the access policy withheld budgets from the caller
        columns["budget_eur"] = pd.to_numeric(counted["budget_eur"], errors="coerce")
    return pd.DataFrame(columns)


def province_summary_layer(store: Store, params: Mapping[str, str]) -> gpd.GeoDataFrame:
    """The ``province-summary`` layer: imported polygons when present, else admin1 names."""
    query = parse_query(params, FILTER_FIELDS)
    version = store.data_version
    key = (version, "province-summary", query.key())

    def units() -> object:
        events, provinces = read_events(store), read_optional(store, "provinces")
        return (
            polygon_units(events, provinces)
            if provinces is not None and len(provinces)
            else name_units(events)
        )

    def compute() -> gpd.GeoDataFrame:
        return province_summary(
            read_events(store),
            store.read("countries"),
            query,
            read_optional(store, "provinces"),
            read_optional(store, "projects"),
            read_optional(store, "envr"),
            prepared=prepared_events(store),
            units=PREPARED.get_or_compute((version, "province-units"), units),
        )

    return RESULTS.get_or_compute(key, compute).copy(deep=False)


def name_summary_layer(store: Store, params: Mapping[str, str]) -> gpd.GeoDataFrame:
    """The province summary by the admin1 names of the events, even where polygons are imported.

    The fallback of a country with no imported polygon while other countries have some (cached by
    data version, like ``province_summary_layer``).
    """
    query = parse_query(params, FILTER_FIELDS)
    key = (store.data_version, "province-summary-names", query.key())

    def compute() -> gpd.GeoDataFrame:
        return province_summary(
            read_events(store), store.read("countries"), query, prepared=prepared_events(store)
        )

    return RESULTS.get_or_compute(key, compute)
