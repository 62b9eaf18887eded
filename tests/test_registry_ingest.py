"""``coopmap ingest projects|envr FILE``: a user's own registry, with bad rows rejected by line."""

from __future__ import annotations

import csv
from pathlib import Path

import geopandas as gpd
import orjson
import pytest

from cli.main import main

BAD_PROJECTS = """acronym,title,countries,sites,funder,start,end,budget_eur,lat,lon
GOOD,Good project,COD,Goma,EU,2020-01-01,2022-12-31,1000000,,
BADISO,Bad iso,XYZ,,EU,2020,2021,,,
SWAP,Swapped dates,BEN,Cotonou,EU,2024-05-01,2020-01-01,,,
LAT95,Lat out of range,SEN,Dakar,EU,2020,2021,,95,-17.4
MONEY,Budget words,GHA,Accra,EU,2020,2021,thirty million,,
AWAY,Site outside,MLI,Paris,EU,2020,2021,,48.85,2.35
TWO,"Two countries, two sites",COD;RWA,"Bunia;Kigali",EU,2021,,,,
"""

BAD_ENVR = """acronym,name,city,country_iso3,domain,founded,status,lat,lon
OK1,A good school,Dakar,SEN,cybersecurity,2018,open,,
BAD1,Lat 95,Dakar,SEN,health,2000,open,95,-17.4
BAD2,Unknown iso,Nowhere,ZZZ,health,,open,,
BAD3,Lomé put in Benin,Lomé,BEN,health,1994,open,6.13,1.22
OK2,"A school with a
two-line name",Thiès,SEN,officer training,1990,,,
BAD4,Bad status,Thiès,SEN,health,1990,closed?,,
"""


def _rejects(path: Path) -> dict[str, dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["acronym"]: row for row in csv.DictReader(fh)}


def _layer_rows(runner) -> dict[str, str]:
    result = runner.invoke(main, ["layers"])
    return {line.split()[0]: line.split()[1] for line in result.output.splitlines()[2:]}


def test_malformed_project_registry_rejects_bad_rows_by_line_and_loads_the_rest(
    runner, home, tmp_path
):
    source = tmp_path / "my_projects.csv"
    source.write_text(BAD_PROJECTS, encoding="utf-8")
    result = runner.invoke(main, ["ingest", "projects", str(source)])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    summary = result.output.splitlines()[0]
    assert summary.startswith("projects: 7 rows read, 2 loaded, 5 rejected (3 sites)")
    for reason in (
        "unknown iso3 x1",
        "end before start x1",
        "lat/lon out of range x1",
        "not a number x1",
        "outside its countries x1",
    ):
        assert reason in summary
    rejects = _rejects(home / "rejects" / "my_projects.projects.rejects.csv")
    assert sorted(rejects) == ["AWAY", "BADISO", "LAT95", "MONEY", "SWAP"]
    assert (rejects["BADISO"]["line"], rejects["BADISO"]["reason"]) == (
        "3",
        "countries 'XYZ' is not an ISO 3166-1 country code",
    )
    assert rejects["SWAP"]["line"] == "4" and "before start" in rejects["SWAP"]["reason"]
    assert (
        rejects["LAT95"]["line"] == "5"
        and "lat 95 is outside [-90, 90]" in rejects["LAT95"]["reason"]
    )
    assert (
        rejects["MONEY"]["line"] == "6"
        and "'thirty million' is not a number" in rejects["MONEY"]["reason"]
    )
    assert rejects["AWAY"]["line"] == "7" and "outside MLI" in rejects["AWAY"]["reason"]
    assert rejects["MONEY"]["budget_eur"] == "thirty million"  # the original row, as written

    sites = gpd.read_parquet(home / "layers" / "projects.parquet")
    assert sorted(sites["site_id"]) == ["GOOD-1", "TWO-1", "TWO-2"]
    assert dict(zip(sites["site"], sites["country_iso3"], strict=True)) == {
        "Goma": "COD",
        "Bunia": "COD",
        "Kigali": "RWA",
    }
    assert _layer_rows(runner)["projects"] == "3"
    assert _layer_rows(runner)["project-countries"] == "2"


def test_malformed_envr_registry_rejects_bad_rows_and_keeps_multiline_records(
    runner, home, tmp_path
):
    source = tmp_path / "schools.csv"
    source.write_text(BAD_ENVR, encoding="utf-8")
    result = runner.invoke(main, ["ingest", "envr", str(source)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith("envr: 6 rows read, 2 loaded, 4 rejected")
    rejects = _rejects(home / "rejects" / "schools.envr.rejects.csv")
    # OK2 spans lines 6-7, so BAD4 starts on line 8.
    assert {k: v["line"] for k, v in rejects.items()} == {
        "BAD1": "3",
        "BAD2": "4",
        "BAD3": "5",
        "BAD4": "8",
    }
    assert "outside BEN" in rejects["BAD3"]["reason"]
    assert "not one of open, planned, suspended, unknown" in rejects["BAD4"]["reason"]
    schools = gpd.read_parquet(home / "layers" / "envr.parquet").set_index("acronym")
    assert sorted(schools.index) == ["OK1", "OK2"]
    assert (
        schools.loc["OK2", "geocode_precision"] == "city"
        and schools.loc["OK2", "status"] == "unknown"
    )
    assert _layer_rows(runner)["envr"] == "2"


def test_clean_geojson_registry_exits_0_and_clears_old_rejects(runner, home, tmp_path):
    stale = home / "rejects" / "mine.projects.rejects.csv"
    stale.parent.mkdir(parents=True)
    stale.write_text("line,reason\n")
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "MultiPoint", "coordinates": [[30.25, 1.56], [29.3, -1.6]]},
            "properties": {
                "acronym": "X1",
                "title": "Two given sites",
                "countries": "COD",
                "sites": "A;B",
                "start": "2024-01",
                "end": "2025",
                "budget_eur": 2.5e6,
            },
        },
        {
            "type": "Feature",
            "geometry": None,
            "properties": {"acronym": "X2", "title": "Country only", "countries": ["MLI", "NER"]},
        },
    ]
    path = tmp_path / "mine.geojson"
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))
    result = runner.invoke(main, ["ingest", "projects", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("projects: 2 rows read, 2 loaded, 0 rejected (4 sites)")
    assert not stale.exists()
    sites = gpd.read_parquet(home / "layers" / "projects.parquet").set_index("site_id")
    assert sites.loc["X1-2", "geocode_precision"] == "exact"
    assert sites.loc["X1-2"].geometry.coords[0] == pytest.approx((29.3, -1.6))
    assert set(sites.loc[["X2-1", "X2-2"], "country_iso3"]) == {"MLI", "NER"}
    assert str(sites.loc["X1-1", "end"].date()) == "2025-12-31"


def test_geojson_rejects_are_numbered_by_feature(runner, home, tmp_path):
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-17.4, 14.7]},
            "properties": {"acronym": "S1", "name": "Fine", "country_iso3": "SEN"},
        },
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [-17.4, 95]},
            "properties": {"acronym": "S2", "name": "Lat 95", "country_iso3": "SEN"},
        },
    ]
    path = tmp_path / "schools.geojson"
    path.write_bytes(orjson.dumps({"type": "FeatureCollection", "features": features}))
    result = runner.invoke(main, ["ingest", "envr", str(path)])
    assert result.exit_code == 1
    rejects = _rejects(home / "rejects" / "schools.envr.rejects.csv")
    assert rejects["S2"]["line"] == "2" and "lat 95" in rejects["S2"]["reason"]
    assert '"coordinates":[-17.4,95' in rejects["S2"]["geometry"]


def test_a_file_missing_a_column_is_one_line_and_changes_nothing(runner, home, tmp_path):
    path = tmp_path / "nocountry.csv"
    path.write_text("acronym,title\nA,B\n", encoding="utf-8")
    result = runner.invoke(main, ["ingest", "projects", str(path)])
    assert result.exit_code == 2
    assert "missing column(s) ['countries']" in result.output
    assert "Traceback" not in result.output
    assert _layer_rows(runner)["projects"] == "23"


def test_when_every_row_is_rejected_the_layers_are_left_unchanged(runner, home, tmp_path):
    path = tmp_path / "allbad.csv"
    path.write_text("acronym,title,countries\nA,B,XXX\n", encoding="utf-8")
    result = runner.invoke(main, ["ingest", "projects", str(path)])
    assert result.exit_code == 1
    assert "left unchanged" in result.output
    assert _layer_rows(runner)["projects"] == "23"


def test_a_row_with_an_unquoted_comma_is_rejected_not_misread(runner, home, tmp_path):
    path = tmp_path / "commas.csv"
    path.write_text(
        "acronym,title,countries\nA,Title, with comma,COD\nB,Fine,BEN\n", encoding="utf-8"
    )
    result = runner.invoke(main, ["ingest", "projects", str(path)])
    assert result.exit_code == 1
    rejects = _rejects(home / "rejects" / "commas.projects.rejects.csv")
    assert (
        rejects["A"]["line"] == "2" and "more cells than header columns" in rejects["A"]["reason"]
    )
    assert _layer_rows(runner)["projects"] == "1"
