from __future__ import annotations

import csv

import geopandas as gpd
import numpy as np
import pytest
from pyproj import Geod
from shapely.geometry import Point

from cli.main import main
from geo.analytics.exposure import site_exposure, with_exposure
from geo.analytics.prepared import prepare_events
from geo.cache import RESULTS
from geo.errors import InvalidParameter
from geo.query import Query, parse_query
from geo.storage.store import ParquetStore
from layers import CATALOGUE
from tests.builders import make_events

GEOD = Geod(ellps="WGS84")
SITE = (15.04, 12.11)  # N'Djamena


def _at(
    distance_m: float, azimuth: float, date: str = "2024-06-01", fatalities: int = 0, site=SITE
) -> dict:
    lon, lat, _ = GEOD.fwd(site[0], site[1], azimuth, distance_m)
    return {
        "lon": lon,
        "lat": lat,
        "event_date": date,
        "fatalities": fatalities,
        "country_iso3": "TCD",
    }


def _exposure(events, lon=(SITE[0],), lat=(SITE[1],), **kwargs):
    return site_exposure(
        np.array(lon, float), np.array(lat, float), prepare_events(events), Query(), **kwargs
    )


def test_an_event_at_49_km_counts_and_one_at_51_km_does_not():
    events = make_events([_at(49_000, 30, fatalities=3), _at(51_000, 210, fatalities=7)])
    row = _exposure(events).iloc[0]
    assert (row["exposure_events"], row["exposure_fatalities"]) == (1, 3)
    assert row["nearest_event_m"] == pytest.approx(49_000, abs=1)
    assert row["exposure_radius_km"] == 50.0


def test_the_radius_is_a_parameter():
    events = make_events([_at(49_000, 30), _at(51_000, 210)])
    assert _exposure(events, radius_km=60).iloc[0]["exposure_events"] == 2
    assert _exposure(events, radius_km=10).iloc[0]["exposure_events"] == 0


@pytest.mark.parametrize(
    ("site", "event"),
    [
        ((2.35, 48.85), (13.40, 52.52)),  # Paris - Berlin
        ((10.0, 70.0), (20.0, 70.0)),  # along a parallel, far north
        ((-0.2, 5.6), (0.3, 5.55)),
    ],
)  # Accra, 56 km
def test_nearest_event_distance_is_geodesic_within_one_percent(site, event):
    events = make_events(
        [{"lon": event[0], "lat": event[1], "event_date": "2024-06-01", "fatalities": 0}]
    )
    _, _, expected = GEOD.inv(site[0], site[1], event[0], event[1])
    got = _exposure(events, lon=(site[0],), lat=(site[1],)).iloc[0]["nearest_event_m"]
    assert got == pytest.approx(expected, rel=0.01)


def test_only_the_last_12_months_of_data_count_by_default():
    events = make_events(
        [_at(10_000, 0, "2024-06-01"), _at(5_000, 0, "2023-05-31"), _at(20_000, 90, "2023-06-02")]
    )
    row = _exposure(events).iloc[0]
    assert row["exposure_events"] == 2
    assert row["exposure_period"] == "2023-06-02/2024-06-01"
    assert row["nearest_event_m"] == pytest.approx(10_000, abs=1)  # the older, closer event is out


def test_a_site_without_location_and_a_layer_without_events():
    events = make_events([_at(10_000, 0)])
    table = _exposure(events, lon=(SITE[0], np.nan), lat=(SITE[1], np.nan))
    # a site without a location has no exposure (null with a reason), not 0
    assert table["exposure_events"].isna().tolist() == [False, True]
    assert table["exposure_events"].iloc[0] == 1
    assert table["exposure_note"].tolist() == ["", "site without a location"]
    assert table["nearest_event_m"].isna().tolist() == [False, True]
    # no event loaded at all: the exposure is unknown, not 0
    empty = _exposure(events.iloc[:0])
    assert empty["exposure_events"].isna().all() and empty["nearest_event_m"].isna().all()
    assert empty.iloc[0]["exposure_note"] == "no event data loaded"


def test_bad_radius_is_refused():
    with pytest.raises(InvalidParameter, match="radius_km"):
        _exposure(make_events([_at(10_000, 0)]), radius_km=-1)
    with pytest.raises(InvalidParameter, match="radius_km"):
        _exposure(make_events([_at(10_000, 0)]), radius_km=20_000)


def _workspace(home) -> ParquetStore:
    store = ParquetStore(home)
    events = make_events(
        [
            _at(49_000, 30, fatalities=3),
            _at(51_000, 210, fatalities=7),
            _at(1_000, 0, fatalities=1, site=(-8.0, 12.64)),
        ],
        dataset="synthetic-demo",
    )
    store.write("conflict-events", events, ["test"])
    store.write(
        "projects",
        gpd.GeoDataFrame(
            {
                "site_id": ["EMP-1", "EMP-2"],
                "acronym": ["EMP", "EMP"],
                "title": ["t", "t"],
                "countries": ["TCD;MLI"] * 2,
                "site": ["N'Djamena", "Bamako"],
                "country_iso3": ["TCD", "MLI"],
                "start": ["2022-01-01"] * 2,
                "end": [None, None],
                "status": ["active"] * 2,
                "budget_eur": [1.0, 1.0],
            },
            geometry=[Point(*SITE), Point(-8.0, 12.64)],
            crs="EPSG:4326",
        ),
        ["test"],
    )
    store.write(
        "envr",
        gpd.GeoDataFrame(
            {
                "acronym": ["FAR"],
                "name": ["Far away school"],
                "city": ["Dakar"],
                "country_iso3": ["SEN"],
                "domain": ["x"],
                "founded": [2000],
                "status": ["open"],
            },
            geometry=[Point(-17.45, 14.69)],
            crs="EPSG:4326",
        ),
        ["test"],
    )
    return store


def test_projects_and_envr_layers_carry_exposure_and_are_cached(tmp_path, monkeypatch):
    import geo.analytics.exposure as exposure

    calls = []
    original = exposure.site_exposure
    monkeypatch.setattr(
        exposure, "site_exposure", lambda *a, **k: calls.append(1) or original(*a, **k)
    )
    RESULTS.clear()
    store = _workspace(tmp_path)
    projects = CATALOGUE.get("projects").source.frame(store).set_index("site_id")
    assert projects.loc["EMP-1", "exposure_events"] == 1
    assert projects.loc["EMP-2", "exposure_events"] == 1
    assert set(projects["data_note"]) == {"synthetic demo data"}
    exposure_fields = {
        "exposure_events",
        "exposure_fatalities",
        "nearest_event_m",
        "exposure_radius_km",
        "exposure_period",
        "data_note",
    }
    assert exposure_fields <= set(CATALOGUE.get("projects").field_names) & set(projects.columns)
    envr = CATALOGUE.get("envr").source.frame(store)
    assert envr.loc[0, "exposure_events"] == 0 and envr.loc[0, "nearest_event_m"] > 1_000_000
    CATALOGUE.get("projects").source.frame(store)
    assert len(calls) == 2  # projects once, envr once; the repeated read is a cache hit


def test_with_exposure_refuses_other_layers(tmp_path):
    with pytest.raises(InvalidParameter, match="layer"):
        with_exposure(ParquetStore(tmp_path), "countries")


def test_exposure_command_prints_a_table_and_writes_csv(runner, home, tmp_path):
    _workspace(home)
    out = tmp_path / "exposure.csv"
    result = runner.invoke(main, ["exposure", "--radius-km", "50", "-o", str(out)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[1].split()[:2] == ["projects", "EMP-1"] or lines[1].split()[:2] == [
        "projects",
        "EMP-2",
    ]
    assert "synthetic demo data" in result.output
    with out.open() as fh:
        rows = {r["id"]: r for r in csv.DictReader(fh)}
    assert rows["EMP-1"]["exposure_events"] == "1" and rows["EMP-1"]["exposure_fatalities"] == "3"
    assert rows["FAR"]["exposure_events"] == "0"
    assert float(rows["EMP-1"]["longitude"]) == SITE[0]


def test_exposure_command_errors_are_one_line(runner, home):
    _workspace(home)
    result = runner.invoke(main, ["exposure", "--datetime", "2024-13"])
    assert (
        result.exit_code == 2
        and "invalid datetime" in result.output
        and "Traceback" not in result.output
    )
    result = runner.invoke(main, ["exposure", "--event-type", "Battles", "--months", "0"])
    assert result.exit_code == 2 and "months" in result.output


def test_filters_use_the_query_vocabulary(tmp_path):
    store = _workspace(tmp_path)
    none = with_exposure(store, "projects", {"event_type": "Protests"})
    assert none["exposure_events"].sum() == 0
    query = parse_query({"datetime": "2024-06"}, ["event_type"])
    assert str(query.period) == "2024-06-01/2024-06-30"
    june = with_exposure(store, "projects", {"datetime": "2024-06"})
    assert june["exposure_events"].sum() == 2
