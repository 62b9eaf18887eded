"""The border rule: an export's own country (and admin1 province) wins within the tolerance.

Hand-built boundaries straddle the equator so distances are easy to check by hand: at latitude
0-0.5 one degree of longitude is 2π × 6371.0088 km / 360 = 111.195 km (cos 0.5° = 0.99996), so a
point 0.027° east of a border is 0.027 × 111.195 = 3.00 km over it and one 0.27° east is 30.0 km.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pytest
import shapely
from shapely.geometry import box

from cli.main import main
from geo.config import REPO_ROOT, Settings
from geo.storage.store import ParquetStore
from tests.test_ingest_events import UCDP_HEADER, acled_row, ucdp_row, write_acled

GOMA = (-1.6792, 29.2228)
BUKAVU = (-2.5083, 28.8608)


def _squares(home: Path) -> None:
    """Replace the workspace's countries with pairs of 1° squares sharing a border at lon 1:
    COD | RWA (lat -1..1), SDN | SSD (lat 2..3), ISR | PSE (lat 4..5)."""
    countries = gpd.GeoDataFrame(
        {"iso3": ["COD", "RWA", "SDN", "SSD", "ISR", "PSE"], "name": ["c", "r", "s", "ss", "i", "p"]},
        geometry=[box(0, -1, 1, 1), box(1, -1, 2, 1), box(0, 2, 1, 3), box(1, 2, 2, 3),
                  box(0, 4, 1, 5), box(1, 4, 2, 5)],
        crs="EPSG:4326",
    )
    ParquetStore(home).write("countries", countries, ["hand-built squares"])


def _events(home: Path) -> gpd.GeoDataFrame:
    return gpd.read_parquet(home / "layers" / "conflict-events.parquet").set_index("event_id")


def test_goma_and_bukavu_fall_in_rwanda_on_ne_but_count_for_cod(runner, home, tmp_path):
    countries = gpd.read_parquet(REPO_ROOT / "data" / "boundaries" / "countries.parquet")
    rwanda = countries.loc[countries.iso3 == "RWA"].geometry.item()
    for lat, lon in (GOMA, BUKAVU):  # the premise: NE 1:10m puts both towns in Rwanda
        assert rwanda.contains(shapely.Point(lon, lat))
    path = write_acled(tmp_path / "drc.csv", [
        acled_row("DRC1", "2024-01-10", str(GOMA[0]), str(GOMA[1])),
        acled_row("DRC2", "2024-01-11", str(BUKAVU[0]), str(BUKAVU[1]), admin1="Sud-Kivu"),
        # Kigali, ~90 km from the DRC: a DRC label does not move it
        acled_row("DRC3", "2024-01-12", "-1.9441", "30.0619"),
    ])
    result = runner.invoke(main, ["ingest", "acled", str(path)])
    assert result.exit_code == 0, result.output
    events = _events(home)
    assert events.loc[["DRC1", "DRC2", "DRC3"], "country_iso3"].tolist() == ["COD", "COD", "RWA"]
    assert events.loc[["DRC1", "DRC2", "DRC3"], "assigned_by"].tolist() == ["source", "source", "within"]
    assert "source 2" in result.output
    assert "1 events disagree with the file's own country (COD->RWA: 1)" in result.output


def test_acled_label_wins_3_km_over_the_border_not_30(runner, home, tmp_path):
    _squares(home)
    path = write_acled(tmp_path / "border.csv", [
        acled_row("A3", "2024-01-10", "0.5", "1.027"),  # 3.00 km into RWA, labelled DRC (iso 180)
        acled_row("A30", "2024-01-10", "0.5", "1.27"),  # 30.0 km into RWA, labelled DRC
        acled_row("A9", "2024-01-10", "0.5", "1.089"),  # 0.089 × 111.195 = 9.90 km: within 10
        acled_row("A11", "2024-01-10", "0.5", "1.0908"),  # 10.10 km: beyond 10
        # labelled by name only ("Democratic Republic of Congo", iso empty): 3 km over
        acled_row("N3", "2024-01-10", "-0.5", "1.027", iso=""),
        acled_row("R3", "2024-01-10", "0.5", "0.973", iso="646", country="Rwanda"),  # 3 km into COD
    ])
    result = runner.invoke(main, ["ingest", "acled", str(path)])
    assert result.exit_code == 0, result.output
    events = _events(home)
    ids = ["A3", "A30", "A9", "A11", "N3", "R3"]
    assert events.loc[ids, "country_iso3"].tolist() == ["COD", "RWA", "COD", "RWA", "COD", "RWA"]
    assert events.loc[ids, "assigned_by"].tolist() == ["source", "within", "source", "within", "source", "source"]
    # A30 and A11 stay in the disagreement report
    report = (home / "rejects" / "border.country-disagreements.csv").read_text()
    assert sorted(line.split(",")[1] for line in report.splitlines()[1:]) == ["A11", "A30"]


def test_tolerance_is_a_cli_option_and_a_setting(runner, home, tmp_path, monkeypatch):
    _squares(home)
    row = acled_row("A3", "2024-01-10", "0.5", "1.027")  # 3.00 km into RWA, labelled DRC
    path = write_acled(tmp_path / "one.csv", [row])
    result = runner.invoke(main, ["ingest", "acled", str(path), "--border-tolerance-km", "2"])
    assert result.exit_code == 0, result.output
    assert _events(home).loc["A3", "country_iso3"] == "RWA"  # 3 km > 2 km
    monkeypatch.setenv("COOPMAP_BORDER_TOLERANCE_KM", "0")
    assert Settings().border_tolerance_km == 0
    monkeypatch.setenv("COOPMAP_BORDER_TOLERANCE_KM", "4")
    result = runner.invoke(main, ["ingest", "acled", str(path)])
    assert _events(home).loc["A3", "country_iso3"] == "COD"  # 3 km <= 4 km
    result = runner.invoke(main, ["ingest", "acled", str(path), "--border-tolerance-km", "-1"])
    assert result.exit_code == 2 and "-1" in result.output
    monkeypatch.setenv("COOPMAP_BORDER_TOLERANCE_KM", "ten")
    with pytest.raises(Exception, match="COOPMAP_BORDER_TOLERANCE_KM.*ten"):
        Settings()


def test_ucdp_label_wins_except_for_historical_states(runner, home, tmp_path):
    _squares(home)
    rows = [
        ucdp_row("1", "1", "1", "0.5", "1.027", "2", "2020-05-01", country="DR Congo (Zaire)"),
        ucdp_row("2", "1", "1", "0.5", "1.27", "2", "2020-05-01", country="DR Congo (Zaire)"),
        # 3 km into SSD (cos 2.5° = 0.999: 3.00 km), labelled Sudan: before independence it
        # stays in SSD (historical state), after it goes to SDN
        ucdp_row("3", "1", "1", "2.5", "1.027", "2", "2010-05-01", country="Sudan"),
        ucdp_row("4", "1", "1", "2.5", "1.027", "2", "2012-05-01", country="Sudan"),
        # UCDP's "Israel" for a West Bank point 3 km from Israel: stays PSE
        ucdp_row("5", "1", "1", "4.5", "1.027", "2", "2020-05-01", country="Israel"),
        # no country name, Gleditsch-Ward 490 (DR Congo): 3 km into RWA
        ucdp_row("6", "1", "1", "-0.5", "1.027", "2", "2020-05-01", country="", country_id="490"),
    ]
    path = tmp_path / "ged.csv"
    path.write_text(UCDP_HEADER + "\n" + "".join(rows), encoding="utf-8")
    result = runner.invoke(main, ["ingest", "ucdp", str(path)])
    assert result.exit_code == 0, result.output
    events = _events(home)
    ids = [f"UCDP-{i}" for i in range(1, 7)]
    assert events.loc[ids, "country_iso3"].tolist() == ["COD", "RWA", "SSD", "SDN", "PSE", "COD"]
    assert events.loc[ids, "assigned_by"].tolist() == [
        "source", "within", "within", "source", "within", "source"
    ]
    # re-assigning reads each event's own country back from its source row: nothing moves
    result = runner.invoke(main, ["boundaries", "reassign"])
    assert result.exit_code == 0, result.output
    assert "re-assigned 6 events: country changed 0, province changed 0" in result.output
    assert "source 3" in result.output


@pytest.fixture
def cod_provinces(tmp_path: Path) -> Path:
    """Three DRC provinces of the squares: Équateur (lon 0-0.5), Nord-Kivu (0.5-1, lat 0-1),
    Sud-Kivu (0.5-1, lat -1-0)."""
    frame = gpd.GeoDataFrame(
        {"shapeName": ["Équateur", "Nord-Kivu", "Sud-Kivu"], "shapeISO": ["CD-EQ", "CD-NK", "CD-SK"],
         "shapeGroup": ["COD"] * 3},
        geometry=[box(0, -1, 0.5, 1), box(0.5, 0, 1, 1), box(0.5, -1, 1, 0)],
        crs="EPSG:4326",
    )
    path = tmp_path / "cod-adm1.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def test_reassign_applies_the_rule_to_stored_events_after_a_province_import(
    runner, home, tmp_path, cod_provinces
):
    _squares(home)
    path = write_acled(tmp_path / "kivu.csv", [
        acled_row("E1", "2024-01-10", "0.5", "1.027"),  # 3 km into RWA, labelled DRC / Nord-Kivu
        # in Nord-Kivu, 0.027° = 3 km from Équateur, which admin1 names (accents and case differ)
        acled_row("E2", "2024-01-10", "0.5", "0.527", admin1="EQUATEUR"),
        acled_row("E3", "2024-01-10", "0.5", "0.77", admin1="equateur"),  # 0.27° = 30 km: no
        acled_row("E4", "2024-01-10", "0.5", "1.27"),  # 30 km into RWA: RWA, no province
    ])
    result = runner.invoke(main, ["ingest", "acled", str(path), "--border-tolerance-km", "0"])
    assert result.exit_code == 0, result.output
    before = _events(home)
    assert before.loc["E1", "country_iso3"] == "RWA" and before["province"].isna().all()
    version = ParquetStore(home).data_version
    result = runner.invoke(main, ["boundaries", "import", str(cod_provinces)])
    assert result.exit_code == 0, result.output
    result = runner.invoke(main, ["boundaries", "reassign"])
    assert result.exit_code == 0, result.output
    after = _events(home)
    ids = ["E1", "E2", "E3", "E4"]
    assert after.loc[ids, "country_iso3"].tolist() == ["COD", "COD", "COD", "RWA"]
    assert after.loc[ids, "assigned_by"].tolist() == ["source", "within", "within", "within"]
    assert after.loc[ids, "province"].fillna("").tolist() == ["CD-NK", "CD-EQ", "CD-NK", ""]
    # E1 moved country; E1, E2, E3 gained a province; the other stored events have none here
    assert "country changed 1, province changed 3" in result.output
    assert "RWA->COD: 1" in result.output
    assert ParquetStore(home).data_version != version
    assert len(after) == len(before)
