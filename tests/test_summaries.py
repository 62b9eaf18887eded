from __future__ import annotations

import geopandas as gpd
import orjson
import pytest
from shapely.geometry import Point

from geo.analytics.provinces import province_summary, province_summary_layer
from geo.analytics.summaries import (
    SUMMARY_FILTERS,
    country_summary,
    country_summary_layer,
)
from geo.boundaries.countries import load_countries
from geo.boundaries.provinces import import_provinces
from geo.cache import RESULTS
from geo.config import REPO_ROOT
from geo.query import parse_query
from geo.storage.store import Store
from tests.builders import make_events


@pytest.fixture(scope="module")
def countries() -> gpd.GeoDataFrame:
    return load_countries(REPO_ROOT / "data" / "boundaries")


def _event(lon: float, lat: float, date: str, iso3: str | None, **extra) -> dict:
    row = {
        "lon": lon,
        "lat": lat,
        "event_date": date,
        "country_iso3": iso3,
        "fatalities": 0,
        "event_type": "Battles",
        "admin1": None,
    }
    row.update(extra)
    return row


def _query(**params: str):
    return parse_query(params, SUMMARY_FILTERS)


def _row(summary: gpd.GeoDataFrame, iso3: str):
    return summary.set_index("iso3").loc[iso3]


def test_events_on_both_sides_of_a_border_count_in_their_own_country(countries):
    # Mali / Niger border near Ménaka: two events 20 km west of it, one 20 km east.
    events = make_events(
        [
            _event(3.3, 15.5, "2024-03-01", "MLI", fatalities=2),
            _event(3.3, 15.6, "2024-03-02", "MLI", fatalities=1),
            _event(4.2, 15.5, "2024-03-03", "NER", fatalities=5),
        ]
    )
    summary = country_summary(events, countries, _query(datetime="2024"))
    assert (_row(summary, "MLI")["events"], _row(summary, "MLI")["fatalities"]) == (2, 3)
    assert (_row(summary, "NER")["events"], _row(summary, "NER")["fatalities"]) == (1, 5)
    assert summary["events"].sum() == 3


def test_change_against_the_previous_year_is_plus_25_percent(countries):
    rows = [_event(-2, 16, f"2023-0{m}-10", "MLI") for m in range(1, 5)]
    rows += [_event(-2, 16, f"2024-0{m}-10", "MLI") for m in range(1, 6)]
    summary = country_summary(make_events(rows), countries, _query(datetime="2024"))
    mali = _row(summary, "MLI")
    assert (mali["events"], mali["events_previous"], mali["change_pct"]) == (5, 4, 25.0)
    assert mali["period"] == "2024-01-01/2024-12-31"
    assert mali["previous_period"] == "2023-01-01/2023-12-31"


def test_countries_without_events_are_present_with_zero(countries):
    events = make_events([_event(-2, 16, "2024-05-01", "MLI")])
    summary = country_summary(events, countries, _query(datetime="2024"))
    assert len(summary) == len(countries)
    norway = _row(summary, "NOR")
    assert (norway["events"], norway["fatalities"], norway["events_per_100k"]) == (0, 0, 0.0)
    assert orjson.loads(norway["events_by_type"]) == {}


def test_events_per_100k_inhabitants_use_the_boundary_population(countries):
    pop = int(_row(countries, "MLI")["pop_est"])
    events = make_events([_event(-2, 16, "2024-05-01", "MLI") for _ in range(50)])
    summary = country_summary(events, countries, _query(datetime="2024"))
    assert _row(summary, "MLI")["events_per_100k"] == pytest.approx(round(50 / pop * 100_000, 3))


def test_filters_and_events_by_type(countries):
    events = make_events(
        [
            _event(-2, 16, "2024-05-01", "MLI"),
            _event(-2, 16, "2024-05-02", "MLI", event_type="Protests"),
            _event(-2, 16, "2024-05-03", "MLI", event_type="Protests"),
        ]
    )
    everything = _row(country_summary(events, countries, _query(datetime="2024")), "MLI")
    assert orjson.loads(everything["events_by_type"]) == {"Battles": 1, "Protests": 2}
    protests = _row(
        country_summary(events, countries, _query(datetime="2024", event_type="Protests")), "MLI"
    )
    assert protests["events"] == 2


def test_default_period_is_the_last_12_months_of_data(countries):
    events = make_events(
        [
            _event(-2, 16, "2023-06-30", "MLI"),  # 12 months and a day before the latest: left out
            _event(-2, 16, "2023-07-01", "MLI"),
            _event(-2, 16, "2024-06-30", "MLI"),
        ]
    )
    mali = _row(country_summary(events, countries, _query()), "MLI")
    assert mali["period"] == "2023-07-01/2024-06-30"
    assert mali["events"] == 2


def _projects() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "acronym": ["EMP", "EMP", "OLD", "NEW", "NOPE"],
            "title": ["two sites", "two sites", "ended", "open-ended", "starts later"],
            "countries": ["MLI;NER", "MLI;NER", "MLI", "", "MLI"],
            "site": ["Bamako", "Niamey", "Mopti", "Ségou", "Gao"],
            "country_iso3": ["MLI", "NER", "MLI", "MLI", "MLI"],
            "start": ["2022-01-01", "2022-01-01", "2020-01-01", "2024-06-01", "2025-01-01"],
            "end": ["2025-12-31", "2025-12-31", "2023-12-31", None, None],
            "status": ["active", "active", "closed", "active", "planned"],
            "budget_eur": [1_000_000.0, 1_000_000.0, 300_000.0, 500_000.0, 70_000.0],
        },
        geometry=[
            Point(-8.0, 12.64),
            Point(2.11, 13.51),
            Point(-4.2, 14.5),
            Point(-6.27, 13.45),
            Point(-0.04, 16.27),
        ],
        crs="EPSG:4326",
    )


def _envr() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "acronym": ["EMP-B", "CPADD", "FUT"],
            "name": ["a", "b", "c"],
            "city": ["Bamako", "Niamey", "x"],
            "country_iso3": ["MLI", "NER", "MLI"],
            "domain": ["pk", "pk", "pk"],
            "founded": [2007, 2017, 2030],
            "status": ["open", "open", "planned"],
        },
        geometry=[Point(-8.0, 12.64), Point(2.11, 13.51), Point(-7.0, 13.0)],
        crs="EPSG:4326",
    )


def test_projects_active_in_the_period_and_their_budget(countries):
    events = make_events([_event(-2, 16, "2024-05-01", "MLI")])
    summary = country_summary(events, countries, _query(datetime="2024"), _projects(), _envr())
    mali, niger = _row(summary, "MLI"), _row(summary, "NER")
    # EMP (both countries, counted once despite two sites) and NEW (country from country_iso3).
    assert (mali["projects_active"], mali["projects_budget_eur"]) == (2, 1_500_000.0)
    assert mali["project_acronyms"] == "EMP, NEW"
    assert (niger["projects_active"], niger["projects_budget_eur"]) == (1, 1_000_000.0)
    # Schools founded by the end of the period.
    assert (mali["envr_count"], mali["envr_acronyms"]) == (1, "EMP-B")
    assert niger["envr_count"] == 1
    assert _row(summary, "NOR")["projects_active"] == 0


def test_synthetic_events_are_labelled(countries):
    events = make_events([_event(-2, 16, "2024-05-01", "MLI")], dataset="synthetic-demo")
    summary = country_summary(events, countries, _query(datetime="2024"))
    assert set(summary["data_note"]) == {"synthetic demo data"}


def _drc_events():
    return make_events(
        [
            _event(29.0, 2.0, "2024-02-01", "COD", admin1="Ituri", fatalities=3),
            _event(29.5, 1.5, "2024-02-02", "COD", admin1="Ituri", fatalities=1),
            _event(29.2, 2.2, "2024-02-03", "COD", admin1="Ituri"),
            _event(28.5, -1.0, "2024-02-04", "COD", admin1="Nord-Kivu", fatalities=7),
            _event(23.0, -3.0, "2024-02-05", "COD", admin1="Kasai"),
            _event(29.0, 2.0, "2023-02-01", "COD", admin1="Ituri"),
        ]
    )


def test_province_summary_on_imported_polygons(countries, province_file):
    provinces = import_provinces(province_file, countries).provinces
    summary = province_summary(
        _drc_events(), countries, _query(datetime="2024"), provinces, _projects()
    )
    table = summary.set_index("province")
    assert sorted(table.index) == ["Ituri", "Nord-Kivu"]
    assert set(summary["admin1_basis"]) == {"polygon"}
    assert (table.loc["Ituri", "events"], table.loc["Ituri", "fatalities"]) == (3, 4)
    assert (table.loc["Ituri", "events_previous"], table.loc["Ituri", "change_pct"]) == (1, 200.0)
    assert (table.loc["Nord-Kivu", "events"], table.loc["Nord-Kivu", "fatalities"]) == (1, 7)
    assert table.loc["Ituri", "province_id"] == "CD-IT"
    assert table.loc["Ituri", "name"] == "Democratic Republic of the Congo"
    assert table.loc["Ituri", "geometry"].geom_type == "Polygon"
    assert table.loc["Ituri", "projects_active"] == 0


def test_province_summary_by_admin1_names_without_polygons(countries):
    summary = province_summary(_drc_events(), countries, _query(datetime="2024"), None)
    table = summary.set_index("province_id")
    assert set(summary["admin1_basis"]) == {"name"}
    assert sorted(table.index) == ["COD/Ituri", "COD/Kasai", "COD/Nord-Kivu"]
    assert (table.loc["COD/Ituri", "events"], table.loc["COD/Kasai", "events"]) == (3, 1)
    # The geometry is the hull of every Ituri event; a single place is a point.
    assert table.loc["COD/Ituri", "geometry"].geom_type == "Polygon"
    assert table.loc["COD/Kasai", "geometry"].geom_type == "Point"
    assert table["projects_active"].isna().all()


def _store(open_store, events) -> Store:
    """A store of the test's backend holding ``events``, written by another store on the same
    data: the summaries read them back from storage."""
    writer = open_store()
    writer.write("countries", load_countries(REPO_ROOT / "data" / "boundaries"), ["ne"])
    writer.write("conflict-events", events, ["test"])
    return open_store()


def test_a_repeated_request_is_served_from_the_cache(open_store, monkeypatch):
    import geo.analytics.summaries as summaries

    calls = []
    original = summaries.country_summary
    monkeypatch.setattr(
        summaries, "country_summary", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    RESULTS.clear()
    store = _store(open_store, make_events([_event(-2, 16, "2024-05-01", "MLI")]))
    first = country_summary_layer(store, {"datetime": "2024"})
    second = country_summary_layer(store, {"datetime": "2024"})
    assert len(calls) == 1 and RESULTS.stats.hits == 1
    assert _row(first, "MLI")["events"] == _row(second, "MLI")["events"] == 1
    country_summary_layer(store, {"datetime": "2023"})
    assert len(calls) == 2
    # New data, new version: the cached result is not served.
    store.write("conflict-events", make_events([_event(-2, 16, "2024-05-01", "MLI")] * 3), ["test"])
    assert _row(country_summary_layer(store, {"datetime": "2024"}), "MLI")["events"] == 3
    assert len(calls) == 3


def test_province_layer_switches_basis_when_polygons_arrive(open_store, countries, province_file):
    store = _store(open_store, _drc_events())
    by_name = province_summary_layer(store, {"datetime": "2024"})
    assert set(by_name["admin1_basis"]) == {"name"}
    store.write("provinces", import_provinces(province_file, countries).provinces, ["file"])
    by_polygon = province_summary_layer(store, {"datetime": "2024"})
    assert set(by_polygon["admin1_basis"]) == {"polygon"}
    assert by_polygon["events"].sum() == 4
