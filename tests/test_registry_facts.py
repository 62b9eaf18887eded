"""The registry facts a planner reads, checked against the documents they come from.

The four source documents (the project's seeds) are: Expertise France's project list (POCOREMO,
CRPG5), the ministry's ENVR page of February 2023 (AILCT, the Niamey border school, "Europe
balkanique depuis 2022"), the English Wikipedia DCSD article (the DCSD projects, FLC-GHA) and
Expertise France's UPS page (UPS, PROGRESS, EUSEC). ENVR cities and points come from
``shared/data/envr_reference.csv``, one source page per school. The expected sets below were read
from those documents by hand.
"""

from __future__ import annotations

import datetime as dt
import re

import pandas as pd
import pytest

from geo.boundaries.countries import load_countries
from geo.boundaries.geocode import Geocoder
from geo.config import REPO_ROOT, Settings
from geo.registries import load_envr, load_projects

REFERENCE = REPO_ROOT / "data" / "reference"
SEEDS = REPO_ROOT.parent / "shared" / "seeds"

SEED_NAMED_PROJECT_PLACES = {
    "UPS": "Ituri and North Kivu provinces (UPS page)",
    "PROGRESS": "the DRC (UPS page)",
    "EUSEC": "the DRC (UPS page)",
    "PARSIB": "Benin (Wikipedia)",
    "ASCEMAR": "Cameroon (Wikipedia)",
    "SCAD": "Madagascar, Côte d'Ivoire, Guinea (Wikipedia)",
    "UPC": "Guinea Conakry (Wikipedia)",
    "FLC-GHA": "Ghana (Wikipedia)",
}
DERIVED_PROJECT_PLACES = {"CRPG5", "POCOREMO"}
"""CRPG5: the list gives only the truncated title "... G5 S..."; POCOREMO: only "Litani River"."""
NOT_MAPPED = {"ACASA", "AFORMA", "ALCAO", "APCA", "JUSSEC", "THB"}
"""No country named: 22 states, 10 countries, "Africa" (x2), "Sahel-Saharan", "Gulf of Guinea"."""


@pytest.fixture(scope="module")
def geocoder():
    return Geocoder(load_countries(Settings().boundaries_dir))


@pytest.fixture(scope="module")
def envr(geocoder):
    result = load_envr(REFERENCE / "envr.csv", geocoder)
    assert result.rejects == []
    return result.frame.set_index("acronym")


@pytest.fixture(scope="module")
def projects(geocoder):
    result = load_projects(REFERENCE / "projects.csv", geocoder, today=dt.date(2025, 6, 1))
    assert result.rejects == []
    return result


def _rows(name: str) -> pd.DataFrame:
    return pd.read_csv(REFERENCE / name, dtype=str, keep_default_na=False).set_index("acronym")


def test_the_niamey_border_school_has_no_founding_year_and_is_on_integrated_border_management(envr):
    # Ministry page, February 2023: "l'ouverture d'une école sur la gestion intégrée des frontières à
    # Niamey (Niger)" among the prospects, with no year; the 2021 press article says it "will open soon".
    school = envr.loc["ENVR-Frontieres"]
    assert pd.isna(school["founded"])
    assert school["status"] == "planned"
    assert "gestion intégrée des frontières" in school["domain_detail"]
    assert (school["city"], school["country_iso3"]) == ("Niamey", "NER")
    # AILCT: "Créée en 2018" on the same page; the 2021 press date is the campus inauguration.
    assert envr.loc["AILCT", "founded"] == 2018


def test_flc_gha_2013_is_the_last_centre_opening_not_the_end_of_the_project(projects):
    # Wikipedia: "six French centers were opened between 2003 and 2013": no end date is given.
    flc = projects.frame[projects.frame["acronym"] == "FLC-GHA"].iloc[0]
    assert flc["start"] == pd.Timestamp("2003-01-01")
    assert pd.isna(flc["end"])
    assert flc["status"] == "unknown"  # started, end unknown: neither active nor closed
    assert "2013 the last opening" in flc["notes"]


def test_ups_credits_french_and_belgian_military_cooperation(projects):
    # UPS page: "support from French and Belgian military cooperation and private service providers".
    ups = projects.frame[projects.frame["acronym"] == "UPS"].iloc[0]
    implementers = ups["implementers"].split(";")
    assert implementers[:2] == ["Expertise France (lead)", "Enabel"]
    assert "French military cooperation (support)" in implementers
    assert "Belgian military cooperation (support)" in implementers


def test_every_registry_row_says_where_its_place_comes_from(envr, projects):
    located = projects.frame[projects.frame.geometry.notna() & ~projects.frame.geometry.is_empty]
    mapped = located.drop_duplicates("acronym").set_index("acronym")
    all_projects = _rows("projects.csv")["location_source"]
    # 16 projects = 8 with seed-named places + 2 derived + 6 not mapped (8 + 2 + 6 = 16).
    assert len(all_projects) == len(SEED_NAMED_PROJECT_PLACES) + len(DERIVED_PROJECT_PLACES) + len(NOT_MAPPED)
    assert (all_projects.str.len() > 20).all() and (envr["location_source"].str.len() > 20).all()
    named = {a for a, text in all_projects.items() if "named by the source" in text}
    assert named == set(SEED_NAMED_PROJECT_PLACES)
    assert {a for a, text in all_projects.items() if text.startswith("derived, not in the source")} == (
        DERIVED_PROJECT_PLACES
    )
    assert {a for a, text in all_projects.items() if text.startswith("not mapped:")} == NOT_MAPPED
    assert set(mapped.index) == set(SEED_NAMED_PROJECT_PLACES) | DERIVED_PROJECT_PLACES
    # The served footprints carry it too: CRPG5's five countries say they are derived.
    crpg5 = projects.footprints.set_index("acronym").loc["CRPG5"]
    assert "derived" in crpg5["location_source"] and "G5 Sahel" in crpg5["location_source"]
    assert "countries derived" in mapped.loc["CRPG5", "notes"]


@pytest.mark.skipif(not SEEDS.is_dir(), reason="the seed documents are not next to the checkout")
def test_an_envr_city_is_said_to_come_from_the_ministry_page_only_when_that_page_names_it(envr):
    seeds = " ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt")))
    # By hand: of the 18 cities, only Niamey occurs in any seed, and only for the border school
    # (EPPAN's Niamey comes from its own page); none of Bamako, Koulikoro, ..., Jacqueville (AILCT)
    # or Podgorica (WB3C) does.
    in_seeds = {a for a, city in envr["city"].items() if re.split(r" \(", city)[0] in seeds}
    assert in_seeds == {"ENVR-Frontieres", "EPPAN"}
    claims = {a for a, text in envr["location_source"].items() if "named by the ministry's page" in text}
    assert claims == {"ENVR-Frontieres"}
    others = envr.drop(index=sorted(claims))["location_source"]
    assert others.str.startswith("not in the ministry's").all()  # 20 rows say where the city comes from
    assert len(others) == 20


def test_wb3c_and_ailct_say_which_document_places_them(envr):
    wb3c = envr.loc["WB3C", "location_source"]
    assert "Europe balkanique depuis 2022" in wb3c and "joint communique (2024)" in wb3c
    assert "Podgorica (Montenegro)" in wb3c
    ailct = envr.loc["AILCT", "location_source"]
    assert "names no city" in ailct and "Jacqueville from the press source" in ailct


def test_the_api_serves_the_corrected_facts_and_their_provenance(client):
    def one(collection: str, acronym: str) -> dict:
        response = client.get(f"/ogc/collections/{collection}/items", query_string={"acronym": acronym})
        assert response.status_code == 200, response.get_data(as_text=True)
        features = response.get_json()["features"]
        assert features, (collection, acronym)
        return features[0]["properties"]

    assert one("envr", "ENVR-Frontieres")["founded"] is None
    assert "joint communique (2024)" in one("envr", "WB3C")["location_source"]
    flc = one("projects", "FLC-GHA")
    assert flc["end"] is None and flc["start"] == "2003-01-01"
    # a project's location_source names its places: the public, who get countries only, do not get it
    assert "location_source" not in one("project-countries", "CRPG5")
