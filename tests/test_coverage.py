"""Unknown is not zero: event-data coverage, the previous period, country-level sites, extreme periods.

Every expected number is worked out by hand from the small fixtures below.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import urllib.error
import urllib.parse
import urllib.request

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from geo.analytics.coverage import period_coverage
from geo.analytics.exposure import site_exposure, with_exposure
from geo.analytics.prepared import prepare_events
from geo.analytics.provinces import province_summary
from geo.analytics.summaries import SUMMARY_FILTERS, country_summary
from geo.boundaries.countries import load_countries
from geo.config import REPO_ROOT
from geo.query import Query, parse_datetime, parse_query, previous_period
from geo.storage.store import ParquetStore
from geo.types import Period
from tests.builders import make_events
from tests.live import serve
from tests.mapfixtures import analyst_token

D = dt.date


@pytest.fixture(scope="module")
def countries() -> gpd.GeoDataFrame:
    return load_countries(REPO_ROOT / "data" / "boundaries")


def _event(lon: float, lat: float, date: str, iso3: str, **extra) -> dict:
    row = {"lon": lon, "lat": lat, "event_date": date, "country_iso3": iso3, "fatalities": 1,
           "event_type": "Battles", "admin1": None}
    row.update(extra)
    return row


def _summary(events: gpd.GeoDataFrame, countries: gpd.GeoDataFrame, **params: str) -> pd.DataFrame:
    return country_summary(events, countries, parse_query(params, SUMMARY_FILTERS)).set_index("iso3")


# --- the previous period -------------------------------------------------------------------------

@pytest.mark.parametrize(
    "period, expected",
    [
        ("2023-03", "2023-02-01/2023-02-28"),  # a calendar month: February (28 days), not 31 days back
        ("2024-03", "2024-02-01/2024-02-29"),  # leap February
        ("2024-01", "2023-12-01/2023-12-31"),  # across the year
        ("2024-04-01/2024-06-30", "2024-01-01/2024-03-31"),  # Q2 -> Q1 (91 vs 91 days, by chance)
        ("2024-01-01/2024-03-31", "2023-10-01/2023-12-31"),  # Q1 (91 days) -> Q4 (92 days)
        ("2024", "2023-01-01/2023-12-31"),
        ("2020/2021", "2018-01-01/2019-12-31"),  # two whole years -> the two before
        # other intervals: the same number of days just before
        ("2024-03-05/2024-03-14", "2024-02-24/2024-03-04"),  # 10 days: Feb 24..29 (6) + Mar 1..4 (4)
        ("2024-01-01/2024-02-29", "2023-11-02/2023-12-31"),  # 60 days: Nov 2..30 (29) + Dec (31)
        ("2024-02-01/2024-04-30", "2023-11-03/2024-01-31"),  # not a calendar quarter: 29+31+30 = 90
        # days; Nov 3..30 (28) + Dec (31) + Jan (31) = 90
        ("0001-02", "0001-01-01/0001-01-31"),
    ],
)
def test_the_previous_period_of_a_month_quarter_or_year_is_the_calendar_one(period, expected):
    assert str(previous_period(parse_datetime(period))) == expected


@pytest.mark.parametrize("period", ["0001/9999", "0001", "0001-01", "0001-01-01/0001-01-10", "../2024", "2024/.."])
def test_no_previous_period_before_year_1_or_for_an_open_period(period):
    assert previous_period(parse_datetime(period)) is None


# --- coverage of the event data ------------------------------------------------------------------

def _mali_2023_2024() -> gpd.GeoDataFrame:
    # ACLED covers 2023-01-10 .. 2024-05-10: four events in 2023, five in 2024, all in Mali.
    rows = [_event(-2, 16, f"2023-0{m}-10", "MLI") for m in range(1, 5)]
    rows += [_event(-2, 16, f"2024-0{m}-10", "MLI") for m in range(1, 6)]
    return make_events(rows)


def test_a_year_without_loaded_events_is_no_data_not_zero_nor_minus_100(countries):
    summary = _summary(_mali_2023_2024(), countries, datetime="2025")
    mali, norway = summary.loc["MLI"], summary.loc["NOR"]
    for row in (mali, norway):
        assert pd.isna(row["events"]) and pd.isna(row["fatalities"]) and pd.isna(row["change_pct"])
        assert pd.isna(row["events_previous"]) and pd.isna(row["events_per_100k"])
        assert row["coverage"] == "none"
    assert mali["coverage_note"] == "no data for this period (event data loaded: 2023-01-10/2024-05-10)"
    assert mali["change_note"] == mali["coverage_note"]


def test_a_partly_covered_period_counts_the_covered_part_and_says_so(countries):
    mali = _summary(_mali_2023_2024(), countries, datetime="2024").loc["MLI"]
    # 2024 events: Jan..May 10th = 5; the previous year 2023 holds 4 (from Jan 10th): +25 %
    assert (mali["events"], mali["events_previous"], mali["change_pct"]) == (5, 4, 25.0)
    assert mali["coverage"] == "partial"
    assert mali["coverage_note"] == "event data cover only 2024-01-01/2024-05-10 of this period"
    # 2023 starts on Jan 10th: the previous period is partly covered, and the note says so
    assert mali["change_note"] == (
        "event data cover only 2023-01-10/2023-12-31 of the previous period 2023-01-01/2023-12-31"
    )


def test_a_covered_period_keeps_zero_for_a_country_without_events(countries):
    summary = _summary(_mali_2023_2024(), countries, datetime="2024-02")
    # February 2024 lies inside 2023-01-10..2024-05-10: Mali 1 event (Feb 10th), Norway truly 0
    assert summary.loc["MLI", "events"] == 1 and summary.loc["NOR", "events"] == 0
    assert summary.loc["MLI", "coverage"] == "full" and summary.loc["MLI", "coverage_note"] == ""
    # the previous period is January 2024 (1 event on Jan 10th): 1 vs 1 is 0 %
    assert summary.loc["MLI", "previous_period"] == "2024-01-01/2024-01-31"
    assert summary.loc["MLI", "change_pct"] == 0.0
    assert summary.loc["NOR", "change_note"] == "no events in the previous period 2024-01-01/2024-01-31: no percentage"


def test_a_previous_period_outside_the_data_gives_no_change_rather_than_a_percentage(countries):
    # data only from 2024-03-01: March is covered, February is not
    events = make_events([_event(-2, 16, "2024-03-01", "MLI"), _event(-2, 16, "2024-03-31", "MLI")])
    mali = _summary(events, countries, datetime="2024-03").loc["MLI"]
    assert mali["events"] == 2
    assert pd.isna(mali["events_previous"]) and pd.isna(mali["change_pct"])
    assert mali["change_note"] == "no event data for the previous period 2024-02-01/2024-02-29"


def test_coverage_is_per_dataset_and_follows_the_source_dataset_filter(countries):
    # ACLED covers 2020-05-01..2020-06-01, UCDP 2023-02-01..2023-02-03
    events = pd.concat(
        [
            make_events([_event(-2, 16, "2020-05-01", "MLI"), _event(-2, 16, "2020-06-01", "MLI")], "acled"),
            make_events([_event(-2, 16, "2023-02-01", "MLI"), _event(-2, 16, "2023-02-03", "MLI")], "ucdp-ged"),
        ],
        ignore_index=True,
    )
    arrays = prepare_events(events)
    assert {k: str(v) for k, v in arrays.coverage.items()} == {
        "acled": "2020-05-01/2020-06-01",
        "ucdp-ged": "2023-02-01/2023-02-03",
    }
    period = Period(D(2023, 2, 1), D(2023, 2, 3))
    assert period_coverage(arrays, period).state == "full"
    acled_only = parse_query({"source_dataset": "acled"}, SUMMARY_FILTERS)
    assert period_coverage(arrays, period, acled_only).state == "none"
    # 2021 lies between the two datasets: no data at all, although both are loaded
    summary = _summary(events, countries, datetime="2021")
    assert pd.isna(summary.loc["MLI", "events"])
    assert summary.loc["MLI", "coverage_note"] == (
        "no data for this period (event data loaded: 2020-05-01/2020-06-01, 2023-02-01/2023-02-03)"
    )


def test_province_summary_is_no_data_outside_coverage(countries):
    events = make_events([_event(29.0, 2.0, "2024-02-01", "COD", admin1="Ituri"),
                          _event(28.5, -1.0, "2024-02-04", "COD", admin1="Nord-Kivu")])
    summary = province_summary(events, countries, parse_query({"datetime": "2025"}, SUMMARY_FILTERS))
    assert sorted(summary["province"]) == ["Ituri", "Nord-Kivu"]
    assert summary["events"].isna().all() and summary["change_pct"].isna().all()
    assert set(summary["coverage"]) == {"none"}


# --- exposure of sites located only to their country ---------------------------------------------

def test_a_country_level_site_has_no_exposure_but_a_reason():
    # one event 10 km east of N'Djamena; two sites on N'Djamena, the second known only to Chad
    events = make_events([_event(15.132, 12.11, "2024-06-01", "TCD", fatalities=4)])
    out = site_exposure(np.array([15.04, 15.04]), np.array([12.11, 12.11]), prepare_events(events), Query(),
                        country_level=np.array([False, True]))
    assert (out.loc[0, "exposure_events"], out.loc[0, "exposure_fatalities"]) == (1, 4)
    assert out.loc[0, "exposure_note"] == ""
    assert pd.isna(out.loc[1, "exposure_events"]) and pd.isna(out.loc[1, "exposure_fatalities"])
    assert pd.isna(out.loc[1, "nearest_event_m"])
    assert out.loc[1, "exposure_note"] == "site located only to its country: distances to events are meaningless"


def test_exposure_over_a_period_without_event_data_is_unknown_not_zero():
    # the only event is in June 2024; 2025 is outside the data: no count, not 0
    events = make_events([_event(15.132, 12.11, "2024-06-01", "TCD")])
    arrays = prepare_events(events)
    out = site_exposure(np.array([15.04]), np.array([12.11]), arrays, parse_query({"datetime": "2025"}, []))
    assert pd.isna(out.loc[0, "exposure_events"]) and pd.isna(out.loc[0, "nearest_event_m"])
    assert out.loc[0, "exposure_note"] == "no data for this period (event data loaded: 2024-06-01/2024-06-01)"
    covered = site_exposure(np.array([15.04]), np.array([12.11]), arrays, parse_query({"datetime": "2024"}, []))
    assert covered.loc[0, "exposure_events"] == 1  # 10 km away, within 50 km


def test_crpg5_burkina_faso_point_has_null_exposure_in_the_api_and_downloads(home, client):
    store = ParquetStore(home)
    projects = with_exposure(store, "projects")
    crpg5 = projects[(projects["acronym"] == "CRPG5") & (projects["country_iso3"] == "BFA")].iloc[0]
    assert crpg5["geocode_precision"] == "country"
    assert pd.isna(crpg5["exposure_events"]) and crpg5["exposure_note"].startswith("site located only")
    token = analyst_token(home)
    headers = {"Authorization": f"Bearer {token}"}
    body = client.get("/ogc/collections/projects/items?limit=200", headers=headers).get_json()
    props = [f["properties"] for f in body["features"] if f["properties"]["acronym"] == "CRPG5"]
    assert props and all(p["exposure_events"] is None and p["exposure_note"] for p in props)
    exact = [f["properties"] for f in body["features"]  # a project not mapped has no exposure either
             if f["geometry"] is not None and f["properties"]["geocode_precision"] != "country"]
    assert exact and all(p["exposure_events"] is not None and p["exposure_note"] == "" for p in exact)
    text = client.get("/ogc/collections/projects/items?limit=200&f=csv", headers=headers).get_data(as_text=True)
    rows = [r for r in csv.DictReader(io.StringIO(text)) if r["acronym"] == "CRPG5"]
    assert rows and all(r["exposure_events"] == "" and r["exposure_note"] for r in rows)


# --- through HTTP: the API, the map data, the snapshot -------------------------------------------

def test_the_api_map_and_snapshot_say_no_data_for_a_year_without_events(client, tmp_path):
    # the demo events run from 2023-01-01 to 2024-12-31: 2025 has none loaded
    body = client.get("/ogc/collections/country-summary/items?iso3=COD&datetime=2025").get_json()
    props = body["features"][0]["properties"]
    assert props["events"] is None and props["fatalities"] is None and props["change_pct"] is None
    assert props["coverage"] == "none" and props["coverage_note"].startswith("no data for this period")
    legend = client.get("/map-data/choropleth?datetime=2025&lang=fr").get_json()["legend"]
    assert legend["note"].startswith("Pas de données pour cette période")
    country = client.get("/map-data/country/COD?datetime=2025").get_json()
    assert country["note"].startswith("No data for this period")
    svg = client.get("/snapshot.svg?iso3=COD&datetime=2025&layers=country-summary")
    assert svg.status_code == 200
    assert b"No data for this period" in svg.data
    gpkg = tmp_path / "summary.gpkg"
    with client.get("/download/country-summary.gpkg?datetime=2025") as download:
        gpkg.write_bytes(download.get_data())
    frame = gpd.read_file(gpkg).set_index("iso3")
    assert frame["events"].isna().all() and (frame["coverage"] == "none").all()
    # a covered year has no note
    assert client.get("/map-data/choropleth?datetime=2024").get_json()["legend"]["note"] is None


def test_the_api_compares_a_month_with_the_previous_calendar_month(client):
    props = client.get("/ogc/collections/country-summary/items?iso3=COD&datetime=2023-03").get_json()
    assert props["features"][0]["properties"]["previous_period"] == "2023-02-01/2023-02-28"


EXTREME_PERIODS = [
    "0001/9999",
    "0001",
    "9999",
    "0001-01/0001-02",
    "9999-12",
    "../0001-01-01",
    "9999-12-31/..",
    "1677-09-21/2262-04-12",
    "0001-01-01T00:00:00Z/9999-12-31T23:59:59Z",
]
ENDPOINTS = [
    "/ogc/collections/country-summary/items?iso3=COD&datetime={}",
    "/ogc/collections/province-summary/items?limit=2&datetime={}",
    "/ogc/collections/conflict-events/items?limit=2&datetime={}",
    "/ogc/collections/projects/items?limit=2&datetime={}",
    "/map-data/choropleth?metric=change_pct&datetime={}",
    "/map-data/country/COD?datetime={}",
    "/map-data/events?bbox=0,0,30,10&zoom=4&datetime={}",
    "/snapshot.png?iso3=COD&width=300&height=200&datetime={}",
]


def test_extreme_periods_answer_or_say_why_never_500(app):
    failures = []
    with serve(app) as base:
        for period in EXTREME_PERIODS:
            for endpoint in ENDPOINTS:
                url = base + endpoint.format(urllib.parse.quote(period, safe=""))
                try:
                    with urllib.request.urlopen(url, timeout=60) as response:
                        status = response.status
                except urllib.error.HTTPError as error:
                    status = error.code
                    if status == 400:
                        assert "datetime" in json.loads(error.read())["description"]
                if status not in (200, 400):
                    failures.append((status, endpoint, period))
    assert failures == []
