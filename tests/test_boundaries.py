from __future__ import annotations

import geopandas as gpd
import pytest

from geo.boundaries.countries import SIMPLIFIED_VARIANTS, load_countries
from geo.config import REPO_ROOT

BOUNDARIES = REPO_ROOT / "data" / "boundaries"


@pytest.fixture(scope="module")
def countries() -> gpd.GeoDataFrame:
    return gpd.read_parquet(BOUNDARIES / "countries.parquet")


@pytest.mark.parametrize(
    ("iso3", "name", "name_fr"),
    [
        ("FRA", "France", "France"),
        ("NOR", "Norway", "Norvège"),
        ("COD", "Democratic Republic of the Congo", "République démocratique du Congo"),
        ("MLI", "Mali", "Mali"),
        ("LBN", "Lebanon", "Liban"),
        ("MNE", "Montenegro", "Monténégro"),
    ],
)
def test_country_resolves_with_its_names(countries, iso3, name, name_fr):
    row = countries[countries.iso3 == iso3]
    assert len(row) == 1
    assert row.name.item() == name
    assert row.name_fr.item() == name_fr


def test_countries_are_complete_valid_and_unique(countries):
    assert len(countries) >= 250
    assert countries.crs.to_epsg() == 4326
    assert countries.is_valid.all()
    assert countries.iso3.is_unique
    assert not countries.iso3.isin(["-99", ""]).any()


def test_france_is_the_mainland_not_clipperton(countries):
    france = countries[countries.iso3 == "FRA"]
    assert france.pop_est.item() > 60_000_000
    assert france.geometry.item().contains(gpd.points_from_xy([2.35], [48.85])[0])  # Paris


@pytest.mark.parametrize("variant", sorted(SIMPLIFIED_VARIANTS))
def test_simplified_variants_are_lighter_and_keep_every_country(countries, variant):
    simple = load_countries(BOUNDARIES, variant)
    assert list(simple.iso3) == list(countries.iso3)
    assert simple.is_valid.all()
    assert simple.get_coordinates().shape[0] < countries.get_coordinates().shape[0] / 2
