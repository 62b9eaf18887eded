"""Country (admin-0) boundaries from the committed Natural Earth files."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geo.errors import InvalidParameter

SIMPLIFIED_VARIANTS = {"countries_z4": 0.02, "countries_z2": 0.1}
"""File stem → simplification tolerance in degrees, for low zoom levels."""

COUNTRY_COLUMNS = ["iso3", "iso2", "iso3_official", "name", "name_fr", "continent", "region",
                   "subregion", "pop_est", "pop_year", "label_x", "label_y", "min_label"]


def load_countries(boundaries_dir: Path, detail: str = "countries") -> gpd.GeoDataFrame:
    """Read the committed admin-0 polygons.

    Parameters
    ----------
    boundaries_dir : the ``data/boundaries`` folder
    detail : ``"countries"`` (1:10m) or a key of ``SIMPLIFIED_VARIANTS``

    Returns
    -------
    GeoDataFrame in EPSG:4326 with ``COUNTRY_COLUMNS`` and geometry
    """
    if detail != "countries" and detail not in SIMPLIFIED_VARIANTS:
        raise InvalidParameter("detail", detail, f"use 'countries' or one of {sorted(SIMPLIFIED_VARIANTS)}")
    return gpd.read_parquet(Path(boundaries_dir) / f"{detail}.parquet")
