"""Builders of the default ``envr``, ``projects`` and ``project-countries`` layers.

They read the committed registries under ``data/reference`` and fail loudly when a row of the
curated files does not validate: the defaults never load silently incomplete.
"""

from __future__ import annotations

import functools
from pathlib import Path

import geopandas as gpd

from geo.boundaries.countries import load_countries
from geo.boundaries.geocode import Geocoder
from geo.config import Settings
from geo.errors import InputFileError
from geo.registries.envr import load_envr
from geo.registries.fields import RegistryLoad
from geo.registries.projects import load_projects


def _checked(result: RegistryLoad) -> RegistryLoad:
    if result.rejects:
        first = result.rejects[0]
        raise InputFileError(
            result.path, f"line {first.line}: {first.reason} ({len(result.rejects)} rejected rows)"
        )
    return result


def _geocoder(settings: Settings) -> Geocoder:
    path = settings.boundaries_dir / "countries.parquet"
    return _cached_geocoder(str(path), path.stat().st_mtime_ns)


@functools.lru_cache(maxsize=4)
def _cached_geocoder(path: str, mtime_ns: int) -> Geocoder:
    """One geocoder per boundaries file version: the three builders share one read of it."""
    return Geocoder(load_countries(Path(path).parent))


def build_envr(settings: Settings) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The ``envr`` layer from ``data/reference/envr.csv``."""
    path = settings.reference_dir / "envr.csv"
    return _checked(load_envr(path, _geocoder(settings))).frame, [str(path)]


def build_projects(settings: Settings) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The ``projects`` layer (one point per site) from ``data/reference/projects.csv``."""
    path = settings.reference_dir / "projects.csv"
    return _checked(load_projects(path, _geocoder(settings))).frame, [str(path)]


def build_project_countries(settings: Settings) -> tuple[gpd.GeoDataFrame, list[str]]:
    """The ``project-countries`` layer (one footprint per project) from the same file."""
    path = settings.reference_dir / "projects.csv"
    result = _checked(load_projects(path, _geocoder(settings)))
    assert result.footprints is not None
    return result.footprints, [str(path), str(settings.boundaries_dir / "countries.parquet")]
