"""One period rule for projects and schools, unknown dates apart, projects not mapped, budgets.

Expected answers are worked out by hand from ``data/reference/projects.csv`` and ``envr.csv``
(the default workspace) or from the small frames below.
"""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pyarrow.parquet as pq
import pyogrio
import pytest
from shapely.geometry import Point

from geo.analytics.summaries import SUMMARY_FILTERS, country_summary
from geo.boundaries.countries import load_countries
from geo.config import REPO_ROOT
from geo.query import parse_query
from geo.registries.periods import ENVR_SPAN, PROJECT_SPAN, dates_unknown, period_mask
from geo.types import Period
from layers.tokens import FileTokenStore
from tests.builders import make_events

UNMAPPED = {"ACASA", "AFORMA", "ALCAO", "APCA", "JUSSEC", "THB"}
NO_START = {"PARSIB", "SCAD", "UPC", "ASCEMAR", "ALCAO", "APCA", "JUSSEC", "THB"}


def _year(year: int) -> Period:
    return Period(dt.date(year, 1, 1), dt.date(year, 12, 31))


# -- the rule itself, on frames small enough to check by eye ------------------------------------


def _spans() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "acronym": ["UPS", "CRPG5", "ACASA", "PARSIB"],
            "start": pd.to_datetime(["2023-03-01", "2017-01-01", "2011-03-01", None]),
            "end": pd.to_datetime(["2027-02-28", "2024-12-31", None, None]),
        }
    )


def _chosen(frame: pd.DataFrame, span, period: Period) -> list[str]:
    return frame.loc[period_mask(frame, span, period), "acronym"].tolist()


def test_a_project_matches_every_period_its_start_end_overlaps():
    frame = _spans()
    # 2024: UPS (2023-03..2027-02), CRPG5 (2017..2024), ACASA (since 2011, no end: ongoing).
    assert _chosen(frame, PROJECT_SPAN, _year(2024)) == ["UPS", "CRPG5", "ACASA"]
    # 2025: CRPG5 ended on 2024-12-31.
    assert _chosen(frame, PROJECT_SPAN, _year(2025)) == ["UPS", "ACASA"]
    # 2010: before every known start; PARSIB's dates are unknown, so not "always active".
    assert _chosen(frame, PROJECT_SPAN, _year(2010)) == []
    assert _chosen(frame, PROJECT_SPAN, _year(1990)) == []
    # Open intervals: ../2011-02-28 ends the day before ACASA starts; 2027-02-28/.. is UPS's last day.
    assert _chosen(frame, PROJECT_SPAN, Period(None, dt.date(2011, 2, 28))) == []
    assert _chosen(frame, PROJECT_SPAN, Period(dt.date(2027, 2, 28), None)) == ["UPS", "ACASA"]
    assert dates_unknown(frame, PROJECT_SPAN).tolist() == [False, False, False, True]


def test_a_school_exists_from_its_founding_year_and_a_planned_one_not_yet():
    frame = pd.DataFrame(
        {
            "acronym": ["EMP-ABB", "EMA", "ENVR-Frontieres"],
            "founded": pd.array([1999, None, 2021], dtype="Int64"),
            "status": ["unknown", "unknown", "planned"],
        }
    )
    assert _chosen(frame, ENVR_SPAN, _year(1998)) == []
    assert _chosen(frame, ENVR_SPAN, _year(1999)) == ["EMP-ABB"]  # founded by the end of 1999
    assert _chosen(frame, ENVR_SPAN, _year(2024)) == ["EMP-ABB"]  # EMA unknown, Frontières planned
    assert dates_unknown(frame, ENVR_SPAN).tolist() == [False, True, False]  # planned is not unknown


# -- summaries: dates unknown apart, budgets null when withheld or unknown ----------------------


@pytest.fixture(scope="module")
def countries() -> gpd.GeoDataFrame:
    return load_countries(REPO_ROOT / "data" / "boundaries")


def _projects() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "acronym": ["TWO", "TWO", "NOBUD", "NEB", "UNDATED"],
            "countries": ["MLI", "MLI", "MLI", "NER", "BFA"],
            "country_iso3": ["MLI", "MLI", "MLI", "NER", "BFA"],
            "start": pd.to_datetime(["2022-01-01", "2022-01-01", "2024-05-01", "2020-01-01", None]),
            "end": pd.to_datetime(["2025-12-31", "2025-12-31", None, "2026-12-31", None]),
            "budget_eur": [2_000_000.0, 2_000_000.0, None, None, 9.0],
        },
        geometry=[Point(-8.0, 12.6), Point(-4.2, 14.5), Point(-6.3, 13.4), Point(2.1, 13.5), Point(-1.5, 12.4)],
        crs="EPSG:4326",
    )


def _summary(countries, projects, datetime="2024", envr=None):
    events = make_events([{"lon": -2, "lat": 16, "event_date": "2024-05-01", "country_iso3": "MLI"}])
    query = parse_query({"datetime": datetime}, SUMMARY_FILTERS)
    return country_summary(events, countries, query, projects, envr).set_index("iso3")


def test_budgets_sum_known_ones_once_and_say_how_many_are_unknown(countries):
    table = _summary(countries, _projects())
    mali, niger, burkina, norway = (table.loc[c] for c in ("MLI", "NER", "BFA", "NOR"))
    # Mali: TWO (two sites, budget counted once: 2,000,000) + NOBUD (unknown) -> partial sum.
    assert (mali["projects_active"], mali["projects_budget_eur"]) == (2, 2_000_000.0)
    assert (mali["projects_budget_status"], mali["projects_budget_unknown"]) == ("partial", 1)
    # Niger: its only project has no budget -> unknown, not 0.
    assert pd.isna(niger["projects_budget_eur"])
    assert (niger["projects_budget_status"], niger["projects_budget_unknown"]) == ("unknown", 1)
    # Burkina Faso: UNDATED has no start -> not active in 2024, counted apart; no budget summed.
    assert (burkina["projects_active"], burkina["projects_dates_unknown"]) == (0, 1)
    assert (burkina["projects_budget_eur"], burkina["projects_budget_status"]) == (0.0, "complete")
    assert (norway["projects_active"], norway["projects_dates_unknown"]) == (0, 0)


def test_budgets_withheld_from_the_caller_are_null_and_say_so(countries):
    table = _summary(countries, _projects().drop(columns="budget_eur"))
    assert table["projects_budget_eur"].isna().all()
    assert set(table["projects_budget_status"]) == {"withheld"}
    assert table["projects_budget_unknown"].isna().all()
    assert table.loc["MLI", "projects_active"] == 2  # the counts are not withheld


def test_schools_without_founding_year_are_counted_apart(countries):
    envr = gpd.GeoDataFrame(
        {
            "acronym": ["OLD", "NOYEAR", "PLAN"],
            "country_iso3": ["MLI", "MLI", "MLI"],
            "founded": pd.array([1999, None, 2021], dtype="Int64"),
            "status": ["open", "open", "planned"],
        },
        geometry=[Point(-8.0, 12.6)] * 3,
        crs="EPSG:4326",
    )
    mali = _summary(countries, None, "1990", envr).loc["MLI"]
    assert (mali["envr_count"], mali["envr_dates_unknown"]) == (0, 1)  # OLD not yet founded in 1990
    mali = _summary(countries, None, "2024", envr).loc["MLI"]
    assert (mali["envr_count"], mali["envr_acronyms"], mali["envr_dates_unknown"]) == (1, "OLD", 1)


# -- the default workspace through the API, downloads, map data and snapshots -------------------


@pytest.fixture(scope="module")
def workspace(new_workspace) -> Path:
    return new_workspace("periods")


@pytest.fixture(scope="module")
def web(app_on, workspace):
    return app_on(workspace).test_client()


@pytest.fixture(scope="module")
def analyst(workspace) -> dict[str, str]:
    return {"Authorization": f"Bearer {FileTokenStore(workspace).create('periods-analyst', 'analyst')}"}


def _acronyms(web, url: str, headers=None) -> set[str]:
    response = web.get(url, headers=headers or {})
    assert response.status_code == 200, response.get_data(as_text=True)
    return {f["properties"]["acronym"] for f in response.get_json()["features"]}


def test_projects_of_2024_are_those_whose_dates_overlap_it(web):
    # projects.csv: UPS 2023-03..2027-02, CRPG5 2017..2024, ACASA since 2011-03 and AFORMA since
    # 2011 and FLC-GHA since 2003 (no end given: ongoing; 2013 is its last centre opening).
    # PROGRESS ended 2021, EUSEC 2015, POCOREMO 2022; the eight without a start are not active in
    # any year.
    assert _acronyms(web, "/ogc/collections/projects/items?datetime=2024&limit=100") == {
        "UPS", "CRPG5", "ACASA", "AFORMA", "FLC-GHA"
    }
    assert _acronyms(web, "/ogc/collections/project-countries/items?datetime=2024") == {"UPS", "CRPG5", "FLC-GHA"}
    # 1990: before every known start; PARSIB, SCAD, UPC, ASCEMAR are not "always active".
    assert _acronyms(web, "/ogc/collections/projects/items?datetime=1990&limit=100") == set()
    # Without a period, every project (16 of them) is returned.
    assert len(_acronyms(web, "/ogc/collections/projects/items?limit=100")) == 16


def test_temporal_extents_start_at_the_first_start_and_stay_open_while_a_project_is_ongoing(web):
    footprints = web.get("/ogc/collections/project-countries").get_json()["extent"]["temporal"]
    # First start: EUSEC 2005 is after FLC-GHA 2003; FLC-GHA gives no end (ongoing), so the
    # extent is open at its end (UPS's 2027-02-28 is the last known end, not the last day).
    assert footprints["interval"] == [["2003-01-01T00:00:00Z", None]]
    sites = web.get("/ogc/collections/projects").get_json()["extent"]["temporal"]
    assert sites["interval"] == [["2003-01-01T00:00:00Z", None]]  # ACASA and AFORMA are ongoing


def test_schools_of_a_year_are_those_founded_by_its_end(web):
    # envr.csv: founded by 1995 -> EAI (1990) and ESSAL (1994).
    assert _acronyms(web, "/ogc/collections/envr/items?datetime=1995&limit=100") == {"EAI", "ESSAL"}
    # 2024: 21 schools less EMA and PANVR (no year) and ENVR-Frontieres (planned) = 18.
    assert len(_acronyms(web, "/ogc/collections/envr/items?datetime=2024&limit=100")) == 18


def test_projects_whose_countries_are_not_named_are_served_without_geometry(web):
    features = web.get("/ogc/collections/projects/items?limit=100").get_json()["features"]
    unmapped = {f["properties"]["acronym"]: f for f in features if f["geometry"] is None}
    assert set(unmapped) == UNMAPPED
    assert unmapped["ACASA"]["properties"]["region"] == "Africa: 22 states (not named in the source)"
    assert unmapped["ACASA"]["properties"]["generalised"] is None  # nothing withheld: nothing known
    one = web.get(f"/ogc/collections/projects/items/{unmapped['AFORMA']['id']}").get_json()
    assert one["geometry"] is None and one["properties"]["acronym"] == "AFORMA"
    # A bbox (even the whole world) selects located features only: 23 features - 6 = 17.
    world = web.get("/ogc/collections/projects/items?bbox=-180,-90,180,90&limit=100").get_json()
    assert world["numberMatched"] == 16  # 17 sites, UPS's two DRC sites one public feature
    assert UNMAPPED.isdisjoint({f["properties"]["acronym"] for f in world["features"]})


def test_exposure_of_a_project_not_mapped_is_null_not_zero(web, analyst):
    response = web.get("/ogc/collections/projects/items?acronym=ACASA", headers=analyst)
    properties = response.get_json()["features"][0]["properties"]
    assert properties["exposure_events"] is None and properties["nearest_event_m"] is None


@pytest.mark.parametrize("fmt", ["geojson", "gpkg", "csv", "parquet", "fgb"])
def test_downloads_keep_the_projects_without_geometry(web, fmt, tmp_path):
    with web.get(f"/download/projects.{fmt}") as response:  # file downloads hold an open file
        assert response.status_code == 200, response.get_data(as_text=True)[:300]
        body = response.get_data()
    path = tmp_path / f"projects.{fmt}"
    path.write_bytes(body)
    if fmt == "csv":
        table = pd.read_csv(io.BytesIO(body))
        acasa = table[table["acronym"] == "ACASA"].iloc[0]
        assert pd.isna(acasa["longitude"]) and pd.isna(acasa["latitude"])
        # the public download: 23 features, less UPS's two DRC sites merged into one generalised
        # feature (one feature per project per generalised place) = 22
        assert len(table) == 22
        return
    frame = gpd.read_parquet(path) if fmt == "parquet" else gpd.read_file(path)
    assert len(frame) == 22  # (17 sites - 1 merged UPS site) + 6 projects not mapped
    assert set(frame.loc[frame.geometry.isna(), "acronym"]) == UNMAPPED
    if fmt == "parquet":
        assert b"coopmap" in pq.read_schema(path).metadata
    if fmt == "gpkg":
        assert pyogrio.read_info(path)["features"] == 22


def test_country_summary_public_budget_is_null_and_dates_unknown_counted(web, analyst):
    def row(iso3: str, datetime: str, headers=None) -> dict:
        url = f"/ogc/collections/country-summary/items?iso3={iso3}&datetime={datetime}"
        return web.get(url, headers=headers or {}).get_json()["features"][0]["properties"]

    public = row("COD", "2024")
    assert public["projects_active"] == 1  # UPS
    assert public["projects_budget_eur"] is None and public["projects_budget_status"] == "withheld"
    full = row("COD", "2024", analyst)
    assert (full["projects_budget_eur"], full["projects_budget_status"]) == (30_000_000.0, "complete")
    # CRPG5 has no budget: Mali's 2024 sum is unknown, not 0.
    mali = row("MLI", "2024", analyst)
    assert mali["projects_budget_eur"] is None
    assert (mali["projects_budget_status"], mali["projects_budget_unknown"]) == ("unknown", 1)
    # Benin 1990: PARSIB has no dates -> 0 active, 1 with dates unknown.
    benin = row("BEN", "1990")
    assert (benin["projects_active"], benin["projects_dates_unknown"]) == (0, 1)
    # Mali 2024: EMA (no founding year) apart from EMP-ABB and EEM-Koulikoro.
    mali = row("MLI", "2024")
    assert (mali["envr_count"], mali["envr_dates_unknown"]) == (2, 1)


def test_map_draws_the_period_and_lists_the_projects_not_mapped(web):
    data = web.get("/map-data/sites?datetime=2024").get_json()
    assert {p["acronym"] for p in data["projects"]} == {"UPS", "CRPG5", "FLC-GHA"}  # FLC-GHA: no end
    listed = {p["acronym"]: p for p in data["not_mapped"]}
    assert set(listed) == UNMAPPED  # ACASA, AFORMA active; the four others with dates unknown
    assert [a for a, p in sorted(listed.items()) if p["dates_unknown"]] == ["ALCAO", "APCA", "JUSSEC", "THB"]
    assert listed["THB"]["region"] == "Gulf of Guinea"
    assert len(data["envr"]) == 18
    choropleth = web.get("/map-data/choropleth?datetime=2024").get_json()
    guinea = next(f["properties"] for f in choropleth["features"] if f["properties"]["iso3"] == "GIN")
    assert (guinea["projects_active"], guinea["projects_dates_unknown"]) == (0, 2)  # SCAD, UPC


@pytest.mark.parametrize("query", ["datetime=2024&layers=projects,envr", "iso3=COD&datetime=1990"])
def test_snapshots_draw_with_projects_without_geometry(web, query):
    response = web.get(f"/snapshot.png?{query}&width=400&height=300")
    assert response.status_code == 200 and response.mimetype == "image/png"
