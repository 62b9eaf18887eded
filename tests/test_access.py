"""The access policy on hand-built frames: who gets which layers, fields and coordinates."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import orjson
import pandas as pd
import pytest
from shapely.geometry import Point, box

from geo.boundaries.generalise import Boundaries
from geo.cache import LRUCache
from geo.errors import LayerNotFound
from layers import CATALOGUE, Catalogue
from layers.access import (
    SECURE_CACHE_SIZE,
    is_restricted_view,
    secure_frame,
    unlocated_place_text,
    visible_fields,
    visible_layer,
    visible_layers,
)

# Two exact sites: one in the Ituri box of the test provinces, one in Mali (no provinces there).
ITURI_SITE = (29.1234567, 1.7654321)
MALI_SITE = (-7.9876543, 12.6543219)


def sites() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {"site_id": ["P1-1", "P2-1"], "acronym": ["P1", "P2"], "title": ["Barracks refit", "School support"],
         "site": ["Bunia", "Bamako"], "country_iso3": ["COD", "MLI"], "budget_eur": [1_234_567.0, 7_654_321.0],
         "status": ["active", "active"], "lat": [ITURI_SITE[1], MALI_SITE[1]]},
        geometry=[Point(*ITURI_SITE), Point(*MALI_SITE)], crs="EPSG:4326",
    )


@pytest.fixture(scope="module")
def countries() -> gpd.GeoDataFrame:
    from geo.boundaries.countries import load_countries
    from geo.config import default_data_dir

    return load_countries(default_data_dir() / "boundaries")


@pytest.fixture(scope="module")
def provinces() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame({"iso3": ["COD"], "name": ["Ituri"]}, geometry=[box(28.5, 1.0, 30.0, 2.5)],
                            crs="EPSG:4326")


PROJECTS = CATALOGUE.get("projects")


def test_public_gets_province_or_country_points_and_no_budget(countries, provinces):
    public = secure_frame(PROJECTS, sites(), "public", Boundaries(countries, provinces))
    assert "budget_eur" not in public.columns and "lat" not in public.columns
    assert public.generalised.tolist() == ["province", "country"]
    ituri = box(28.5, 1.0, 30.0, 2.5)
    assert ituri.contains(public.geometry.iloc[0])
    assert public.geometry.iloc[0].coords[0] == ituri.representative_point().coords[0]
    mali = countries.set_index("iso3").geometry["MLI"]
    assert mali.contains(public.geometry.iloc[1])
    assert public.geometry.iloc[1].distance(Point(*MALI_SITE)) > 0.5
    blob = orjson.dumps(public.to_geo_dict()) + public.to_json().encode()
    for lon, lat in (ITURI_SITE, MALI_SITE):
        for value in (lon, lat):
            assert repr(value).encode() not in blob
            assert f"{value:.4f}".encode() not in blob
            assert repr(value)[:repr(value).index(".") + 5].encode() not in blob


def test_without_provinces_the_country_point_is_used(countries):
    public = secure_frame(PROJECTS, sites(), "public", Boundaries(countries))
    assert public.generalised.tolist() == ["country", "country"]
    drc = countries.set_index("iso3").geometry["COD"]
    assert drc.contains(public.geometry.iloc[0])


def test_a_site_in_no_known_country_is_withheld(countries):
    frame = sites()
    frame.loc[1, "country_iso3"] = "XXX"
    frame.loc[1, "geometry"] = Point(-30.0, -30.0)  # open Atlantic
    public = secure_frame(PROJECTS, frame, "public", Boundaries(countries))
    assert public.generalised.tolist()[1] == "withheld"
    assert public.geometry.iloc[1] is None


def test_planner_gets_exact_points_without_budget_analyst_gets_budget(countries):
    planner = secure_frame(PROJECTS, sites(), "planner", Boundaries(countries))
    assert planner.geometry.iloc[0].coords[0] == ITURI_SITE
    assert "budget_eur" not in planner.columns and "generalised" not in planner.columns
    for role in ("analyst", "admin"):
        full = secure_frame(PROJECTS, sites(), role, Boundaries(countries))
        assert full.budget_eur.tolist() == [1_234_567.0, 7_654_321.0]
        assert full.geometry.iloc[1].coords[0] == MALI_SITE


def test_restricted_layer_is_absent_for_the_public_only():
    secret = dataclasses.replace(CATALOGUE.get("envr"), id="secret-sites", access="restricted")
    catalogue = Catalogue((CATALOGUE.get("countries"), secret))
    assert [layer.id for layer in visible_layers(catalogue, "public")] == ["countries"]
    assert [layer.id for layer in visible_layers(catalogue, "planner")] == ["countries", "secret-sites"]
    with pytest.raises(LayerNotFound) as hidden:
        visible_layer(catalogue, "secret-sites", "public")
    with pytest.raises(LayerNotFound) as unknown:
        visible_layer(catalogue, "no-such-layer", "public")
    # the same answer as for a layer that does not exist: nothing says it is there
    assert str(hidden.value).replace("secret-sites", "X") == str(unknown.value).replace("no-such-layer", "X")
    with pytest.raises(LayerNotFound):
        secure_frame(secret, sites(), "public", None)
    assert len(secure_frame(secret, sites(), "planner", None)) == 2


def test_visible_fields_and_restricted_views():
    public_fields = [f.name for f in visible_fields(PROJECTS, "public")]
    assert "budget_eur" not in public_fields and public_fields[-1] == "generalised"
    assert "budget_eur" in [f.name for f in visible_fields(PROJECTS, "analyst")]
    assert not is_restricted_view(PROJECTS, "public")
    assert is_restricted_view(PROJECTS, "planner")
    assert not is_restricted_view(CATALOGUE.get("countries"), "admin")


def test_generalised_frames_are_cached_by_version_layer_and_role(countries):
    cache = LRUCache(SECURE_CACHE_SIZE)
    bounds = Boundaries(countries)
    first = secure_frame(PROJECTS, sites(), "public", bounds, version="v1", cache=cache)
    again = secure_frame(PROJECTS, sites(), "public", bounds, version="v1", cache=cache)
    assert again is first
    planner = secure_frame(PROJECTS, sites(), "planner", bounds, version="v1", cache=cache)
    assert planner is not first and "generalised" not in planner.columns
    moved = sites()
    moved.loc[1, "country_iso3"] = "COD"
    newer = secure_frame(PROJECTS, moved, "public", bounds, version="v2", cache=cache)
    assert newer.generalised.tolist() == ["country", "country"]
    assert newer.geometry.iloc[0].equals(newer.geometry.iloc[1])
    uncached = secure_frame(PROJECTS, moved, "public", bounds, cache=cache)
    assert uncached is not newer and len(cache) == 3


def test_place_names_go_with_the_exact_points(countries):
    public = secure_frame(PROJECTS, sites(), "public", Boundaries(countries))
    assert "site" not in public.columns
    assert b"Bunia" not in public.to_json().encode()
    assert "site" not in [f.name for f in visible_fields(PROJECTS, "public")]
    # the region and notes are kept for a feature without any location only (null on the others)
    assert {f.name for f in unlocated_place_text(PROJECTS, "public")} >= {"region", "notes"}
    assert unlocated_place_text(PROJECTS, "planner") == ()
    assert secure_frame(PROJECTS, sites(), "planner", Boundaries(countries)).site.tolist() == ["Bunia", "Bamako"]


def test_view_keys_separate_what_differs_and_share_what_does_not():
    from layers.access import view_key

    keys = {role: view_key(PROJECTS, role) for role in ("public", "planner", "analyst", "admin")}
    assert keys == {"public": "generalised-public", "planner": "exact-public", "analyst": "exact-all",
                    "admin": "exact-all"}
    secret = dataclasses.replace(PROJECTS, access="restricted")
    assert view_key(secret, "public") == "hidden"


def test_exposure_computed_after_the_policy_is_trimmed_for_the_public(countries):
    from layers.access import trim_fields

    exposed = secure_frame(PROJECTS, sites(), "public", Boundaries(countries)).assign(
        nearest_event_m=[1200.0, 800.0], exposure_events=[3, 1], exposure_radius_km=50.0)
    trimmed = trim_fields(PROJECTS, exposed, "public")
    assert "nearest_event_m" not in trimmed and "exposure_events" not in trimmed
    assert trimmed.exposure_radius_km.tolist() == [50.0, 50.0]
    assert "nearest_event_m" in trim_fields(PROJECTS, exposed, "planner")


def test_sites_of_a_project_in_one_place_are_one_public_feature_with_an_opaque_id(countries, provinces):
    # P1 has two sites in the Ituri box, 0.2 degrees apart; P2 one site in Mali (no provinces there)
    frame = pd.concat([sites(), sites().iloc[[0]]], ignore_index=True)
    frame.loc[2, ["site_id", "site"]] = ["P1-2", "Mahagi"]
    frame.loc[2, "geometry"] = Point(ITURI_SITE[0] + 0.2, ITURI_SITE[1])
    frame["region"] = ["Ituri province", "Bamako district", "Ituri province"]
    frame["notes"] = ["near the airport", None, "north of the lake"]
    public = secure_frame(PROJECTS, frame, "public", Boundaries(countries, provinces))
    # 3 sites -> 2 features: P1 at the Ituri point (its 2 sites are identical once trimmed), P2 in Mali
    assert public.acronym.tolist() == ["P1", "P2"]
    assert public.generalised.tolist() == ["province", "country"]
    assert all(i.startswith("g") and "-" not in i for i in public.site_id)
    assert not {"site", "region", "notes"} & set(public.columns)
    again = secure_frame(PROJECTS, frame.iloc[::-1].reset_index(drop=True), "public", Boundaries(countries, provinces))
    assert sorted(again.site_id) == sorted(public.site_id)  # the id is the place's, not the row's
    planner = secure_frame(PROJECTS, frame, "planner", Boundaries(countries, provinces))
    assert planner.site_id.tolist() == ["P1-1", "P2-1", "P1-2"] and planner.notes.iloc[2] == "north of the lake"


def test_place_text_of_footprints_is_withheld_from_the_public_and_keyed_apart():
    from layers.access import view_key

    footprints = CATALOGUE.get("project-countries")
    frame = gpd.GeoDataFrame({"acronym": ["P1"], "region": ["Ituri and North Kivu provinces"]},
                             geometry=[box(28.5, 1.0, 30.0, 2.5)], crs="EPSG:4326")
    assert "region" not in secure_frame(footprints, frame, "public", None).columns
    assert secure_frame(footprints, frame, "planner", None).region.tolist() == ["Ituri and North Kivu provinces"]
    assert "region" not in [f.name for f in visible_fields(footprints, "public")]
    assert view_key(footprints, "public") != view_key(footprints, "planner")
    assert is_restricted_view(footprints, "planner") and not is_restricted_view(footprints, "public")
