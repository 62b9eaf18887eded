"""The synthetic demo set: deterministic, labelled synthetic, around the hotspots."""

from __future__ import annotations

import geopandas as gpd

from cli.main import main
from geo.boundaries.countries import load_countries
from geo.config import Settings
from geo.ingest.demo import demo_rows


def test_demo_rows_are_deterministic_and_inside_their_countries():
    countries = load_countries(Settings().boundaries_dir)
    first, second = demo_rows(3000, 5, countries), demo_rows(3000, 5, countries)
    assert first.equals(second)
    assert not first.equals(demo_rows(3000, 6, countries))
    assert set(first.column("tags").to_pylist()) == {"synthetic demo data"}


def test_fresh_workspace_has_synthetic_demo_events(runner, home):
    result = runner.invoke(main, ["layers"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.output.splitlines() if x.startswith("conflict-events "))
    assert int(line.split()[1]) == 2000  # COOPMAP_DEMO_EVENTS in tests/conftest.py
    events = gpd.read_parquet(home / "layers" / "conflict-events.parquet")
    assert set(events["source_dataset"]) == {"synthetic-demo"}
    assert events["notes"].str.contains("Synthetic demo event").all()
    assert events["event_date"].min().year == 2023 and events["event_date"].max().year == 2024


def test_demo_data_command_writes_the_set_and_a_csv(runner, home, tmp_path):
    out = tmp_path / "demo.csv"
    result = runner.invoke(main, ["demo-data", "--events", "4000", "--csv", str(out)])
    assert result.exit_code == 0, result.output
    assert "4,000 synthetic demo events" in result.output
    events = gpd.read_parquet(home / "layers" / "conflict-events.parquet")
    assert len(events) == 4000 and events["event_id"].str.startswith("DEMO").all()
    assert (events["assigned_by"] == "within").mean() > 0.99
    by_country = events["country_iso3"].value_counts()
    assert {"COD", "SDN", "BFA", "MLI", "NER", "NGA", "LBN", "SOM"} <= set(by_country.index)
    assert by_country.index[0] == "COD"
    again = runner.invoke(main, ["ingest", "acled", str(out)])  # the CSV is a valid ACLED export
    assert again.exit_code == 0, again.output
    assert "read 4,000  added 0  updated 0  unchanged 4,000" in again.output
    events = gpd.read_parquet(home / "layers" / "conflict-events.parquet")
    assert set(events["source_dataset"]) == {"synthetic-demo"}  # still labelled synthetic
