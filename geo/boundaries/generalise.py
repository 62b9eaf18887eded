"""Generalising exact point locations to the province or country they fall in.

Used by the access policy (``layers/access.py``) to serve sensitive sites to the public at
province or country level only.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.boundaries.spatialindex import ready_sindex
from geo.storage.store import Store

GENERALISED_FIELD = "generalised"
"""Column added to a generalised frame: ``province`` | ``country`` | ``withheld`` (null for a
feature that had no geometry to generalise)."""


@dataclass(frozen=True)
class Boundaries:
    """The polygons a location may be generalised to.

    ``countries`` needs an ``iso3`` column; ``provinces`` (optional, admin-1) only geometry.
    """

    countries: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame | None = None


def load_boundaries(store: Store) -> Boundaries:
    """The workspace's countries, and its provinces when some were imported."""
    provinces = store.read("provinces") if store.has("provinces") else None
    return Boundaries(store.read("countries"), provinces)


def generalise_points(
    frame: gpd.GeoDataFrame, boundaries: Boundaries, *, country_field: str = "country_iso3"
) -> gpd.GeoDataFrame:
    """Replace each geometry by the representative point of its province, else of its country.

    The province is the loaded admin-1 polygon that covers the feature (its representative point
    for other geometries); without one, the country is the polygon of ``country_field``'s ISO3
    code, else the country polygon that covers the feature. A feature placed in neither keeps no
    geometry (``None``) rather than its exact one; a feature without geometry (a project not
    mapped) stays without, its ``generalised`` null.

    Parameters
    ----------
    frame : features with exact geometries
    boundaries : the country (and optionally province) polygons
    country_field : column holding the ISO 3166-1 alpha-3 code of each feature

    Returns
    -------
    A copy of ``frame`` in the boundaries' CRS, with generalised geometries and a
    ``generalised`` column saying which level each point stands for.

    Examples
    --------
    >>> out = generalise_points(sites, Boundaries(countries))  # doctest: +SKIP
    >>> out.generalised.tolist()  # doctest: +SKIP
    ['country', 'country']
    """
    countries = boundaries.countries
    if frame.crs is not None and countries.crs is not None and frame.crs != countries.crs:
        frame = frame.to_crs(countries.crs)
    anchors = _anchors(frame.geometry.values)
    n = len(frame)
    geoms = np.full(n, None, dtype=object)
    level = np.full(n, "withheld", dtype=object)
    if boundaries.provinces is not None and len(boundaries.provinces):
        _fill_by_cover(anchors, boundaries.provinces, geoms, level, "province")
    _fill_by_code(frame, country_field, countries, geoms, level)
    _fill_by_cover(anchors, countries, geoms, level, "country")
    level[shapely.is_missing(anchors) & (level == "withheld")] = None  # not mapped: nothing withheld
    out = frame.copy()
    out[GENERALISED_FIELD] = pd.array(level, dtype="string")
    return out.set_geometry(gpd.GeoSeries(geoms, index=frame.index, crs=countries.crs))


def _anchors(geoms: np.ndarray) -> np.ndarray:
    anchors = np.asarray(geoms, dtype=object).copy()
    present = ~shapely.is_missing(anchors) & ~shapely.is_empty(anchors)
    anchors[~present] = None
    non_point = present & (shapely.get_type_id(anchors) != 0)
    anchors[non_point] = shapely.point_on_surface(anchors[non_point])
    return anchors


def _fill_by_cover(anchors: np.ndarray, polygons: gpd.GeoDataFrame, geoms: np.ndarray,
                   level: np.ndarray, name: str) -> None:
    todo = np.flatnonzero(level == "withheld")
    todo = todo[~shapely.is_missing(anchors[todo])]
    if not len(todo):
        return
    source_idx, polygon_idx = ready_sindex(polygons).query(anchors[todo], predicate="intersects")
    if not len(source_idx):
        return
    first, where = np.unique(source_idx, return_index=True)
    chosen = polygon_idx[where]
    points = shapely.point_on_surface(polygons.geometry.values[chosen])
    rows = todo[first]
    geoms[rows] = points
    level[rows] = name


def _fill_by_code(frame: gpd.GeoDataFrame, country_field: str, countries: gpd.GeoDataFrame,
                  geoms: np.ndarray, level: np.ndarray) -> None:
    if country_field not in frame.columns:
        return
    codes = frame[country_field].astype("string").fillna("").str.strip().str.upper().to_numpy()
    by_iso = countries.drop_duplicates("iso3").set_index("iso3").geometry
    wanted = sorted({c for c in codes if c in by_iso.index})
    points = dict(zip(wanted, shapely.point_on_surface(by_iso.loc[wanted].values), strict=True))
    for i in np.flatnonzero(level == "withheld"):
        point = points.get(codes[i])
        if point is not None:
            geoms[i] = point
            level[i] = "country"
