"""Assigning events to a country and a province: geometry, then the source's own word at borders.

Geometry decides first (``assign_points``: the polygon holding the point, else the nearest within
``MAX_DISTANCE_KM``). Coarse borders put border towns on the wrong side (Goma and Bukavu fall in
Rwanda on Natural Earth 1:10m), so when the export names a country (ACLED ``iso``/``country``,
UCDP ``country``) that differs from the geometric one and the point lies within
``tolerance_km`` of THAT country's polygon, the event takes the source's country
(``assigned_by = "source"``). Historical states (``HISTORICAL``) keep the geometric country.
The same holds for provinces: when ``admin1`` names a province of the assigned country (accents
and case ignored) within the tolerance, the event takes it.

Only rows whose geometric answer disagrees with the source are measured, so the rule costs
little on top of the join. Ingest and ``coopmap boundaries reassign`` both call ``assign_events``.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from geo.boundaries.joins import PolygonIndex, assign_points, assign_provinces, polygon_index
from geo.errors import InvalidParameter
from geo.ingest.common import map_values

MAX_DISTANCE_KM = 25.0
"""Events in no polygon take the nearest country within this distance (coasts, borders)."""

DEFAULT_TOLERANCE_KM = 10.0
"""Default border tolerance: how far outside its polygon the source's country is still believed."""

SOURCE = "source"
"""``assigned_by`` of an event whose country came from the export within the tolerance."""


@dataclass(frozen=True)
class Historical:
    """A source country that is a historical state: before ``before`` (any date when None) and,
    when ``geometric`` is given, only where geometry finds one of those countries."""

    source_iso3: str
    before: str | None = None
    geometric: frozenset[str] | None = None


HISTORICAL = (
    Historical("SDN", before="2011-07-09"),  # Sudan before South Sudan's independence
    Historical("SRB", before="2008-02-17"),  # UCDP "Serbia (Yugoslavia)" before Kosovo's declaration
    Historical("ISR", geometric=frozenset({"PSE"})),  # UCDP's "Israel" for West Bank rows
)
"""Source countries that keep the geometric country (UCDP's "Yugoslavia" maps to no ISO code)."""


@dataclass(frozen=True)
class Boundaries:
    """What events are assigned to: admin-0 ``countries`` (``iso3``), optional admin-1
    ``provinces`` (``iso3``, ``name``, ``code``), the border tolerance and the grid cache."""

    countries: gpd.GeoDataFrame
    provinces: gpd.GeoDataFrame | None = None
    tolerance_km: float = DEFAULT_TOLERANCE_KM
    cache_dir: Path | None = None

    def __post_init__(self) -> None:
        if not np.isfinite(self.tolerance_km) or self.tolerance_km < 0:
            raise InvalidParameter("border_tolerance_km", self.tolerance_km, "must be a number >= 0")

    @functools.cached_property
    def country_index(self) -> PolygonIndex:
        """The countries' ``PolygonIndex`` (looked up once, not per block)."""
        return polygon_index(self.countries, self.cache_dir)

    @functools.cached_property
    def province_index(self) -> PolygonIndex:
        """The provinces' ``PolygonIndex``."""
        assert self.provinces is not None
        return polygon_index(self.provinces, self.cache_dir)


def assign_events(
    lon: np.ndarray,
    lat: np.ndarray,
    boundaries: Boundaries,
    source_iso3: pa.Array | None = None,
    event_date: np.ndarray | None = None,
    admin1: pa.Array | None = None,
) -> dict[str, pa.Array]:
    """``country_iso3``, ``assigned_by`` and (with provinces) ``province`` of events.

    Parameters
    ----------
    lon, lat : coordinates in EPSG:4326
    boundaries : countries, provinces, tolerance
    source_iso3 : the export's own country per event (ISO alpha-3, null when it names none)
    event_date : per event (``datetime64``), for the historical states
    admin1 : the export's own province name per event

    Returns
    -------
    Arrow string arrays by column name; ``assigned_by`` is ``within``, ``nearest``, ``source``
    or ``none``.

    Examples
    --------
    >>> found = assign_events(lon, lat, Boundaries(countries), pa.array(["COD"]))  # doctest: +SKIP
    >>> found["assigned_by"].to_pylist()  # doctest: +SKIP
    ['source']
    """
    lon, lat = np.asarray(lon, float), np.asarray(lat, float)
    found = assign_points(lon, lat, boundaries.countries, MAX_DISTANCE_KM, None, boundaries.cache_dir)
    if source_iso3 is not None and boundaries.tolerance_km > 0:
        found = _source_countries(lon, lat, found, boundaries, source_iso3, event_date)
    provinces = boundaries.provinces
    if provinces is not None and len(provinces):
        province = assign_provinces(
            lon, lat, found["country_iso3"], provinces, MAX_DISTANCE_KM, boundaries.cache_dir
        )
        if admin1 is not None and boundaries.tolerance_km > 0:
            province = _named_provinces(lon, lat, found["country_iso3"], province, admin1, boundaries)
        found["province"] = province
    return found


def _source_countries(
    lon: np.ndarray,
    lat: np.ndarray,
    found: dict[str, pa.Array],
    boundaries: Boundaries,
    source_iso3: pa.Array,
    event_date: np.ndarray | None,
) -> dict[str, pa.Array]:
    countries = boundaries.countries
    iso = countries["iso3"].astype(object).to_numpy()
    position = pc.index_in(source_iso3, pa.array(iso, pa.string()))
    ours = found["country_iso3"]
    differ = pc.and_(
        pc.is_valid(position), pc.not_equal(pc.fill_null(ours, ""), pc.fill_null(source_iso3, ""))
    )
    candidates = np.flatnonzero(differ.to_numpy(zero_copy_only=False))
    if not len(candidates):
        return found
    theirs = np.asarray(source_iso3.take(pa.array(candidates)).to_pylist(), dtype=object)
    geometric = np.asarray(ours.take(pa.array(candidates)).to_pylist(), dtype=object)
    keep = ~_historical(theirs, geometric, None if event_date is None else event_date[candidates])
    candidates, theirs = candidates[keep], theirs[keep]
    target = position.to_numpy(zero_copy_only=False)[candidates].astype(np.int64)
    near = boundaries.country_index.distance_km(lon[candidates], lat[candidates], target, boundaries.tolerance_km)
    take = candidates[near <= boundaries.tolerance_km]
    if not len(take):
        return found
    mask = _mask(len(lon), take)
    return {
        "country_iso3": pc.replace_with_mask(
            ours, mask, pa.array(theirs[near <= boundaries.tolerance_km], pa.string())
        ),
        "assigned_by": pc.replace_with_mask(
            found["assigned_by"], mask, pa.array(np.full(len(take), SOURCE, dtype=object), pa.string())
        ),
    }


def _mask(n: int, rows: np.ndarray) -> pa.Array:
    mask = np.zeros(n, dtype=bool)
    mask[rows] = True
    return pa.array(mask)


def _historical(theirs: np.ndarray, geometric: np.ndarray, dates: np.ndarray | None) -> np.ndarray:
    """True where the source's country is a historical state (``HISTORICAL``)."""
    out = np.zeros(len(theirs), dtype=bool)
    for state in HISTORICAL:
        rows = theirs == state.source_iso3
        if state.before is not None:
            if dates is None:
                continue  # no dates: the state is taken at its present borders
            rows &= np.asarray(dates, "datetime64[ms]") < np.datetime64(state.before, "ms")
        if state.geometric is not None:
            rows &= np.isin(geometric, list(state.geometric))
        out |= rows
    return out


def _named_provinces(
    lon: np.ndarray,
    lat: np.ndarray,
    country: pa.Array,
    province: pa.Array,
    admin1: pa.Array,
    boundaries: Boundaries,
) -> pa.Array:
    provinces = boundaries.provinces
    assert provinces is not None
    keys = provinces["iso3"].astype(str) + "\x1f" + provinces["name"].astype(str).map(name_key)
    unique = ~keys.duplicated(keep=False).to_numpy()  # two provinces of one name: no match
    position = np.flatnonzero(unique)
    wanted = pc.binary_join_element_wise(
        pc.cast(country, pa.string()), map_values(pc.cast(admin1, pa.string()), name_key), "\x1f"
    )
    hit = pc.index_in(wanted, pa.array(keys.to_numpy(dtype=object)[position], pa.string()))
    codes = provinces["code"].astype(object).to_numpy()
    named = pc.take(pa.array(codes[position], pa.string()), hit)
    differ = pc.and_(pc.is_valid(hit), pc.not_equal(pc.fill_null(province, ""), named))
    candidates = np.flatnonzero(pc.fill_null(differ, False).to_numpy(zero_copy_only=False))
    if not len(candidates):
        return province
    target = position[hit.to_numpy(zero_copy_only=False)[candidates].astype(np.int64)]
    near = boundaries.province_index.distance_km(lon[candidates], lat[candidates], target, boundaries.tolerance_km)
    take = candidates[near <= boundaries.tolerance_km]
    if not len(take):
        return province
    chosen = pa.array(codes[target[near <= boundaries.tolerance_km]], pa.string())
    return pc.replace_with_mask(province, _mask(len(lon), take), chosen)


_SEPARATORS = re.compile(r"[\s\-_'’.]+")


@functools.lru_cache(maxsize=4096)
def name_key(name: str) -> str:
    """A province name without accents, case or separators ("Nord-Kivu" = "nord kivu")."""
    plain = unicodedata.normalize("NFKD", name)
    plain = "".join(c for c in plain if not unicodedata.combining(c))
    return _SEPARATORS.sub(" ", plain.casefold()).strip()
