"""Ingest of hand-written ACLED and UCDP GED files: normalised values, rejects, upsert."""

from __future__ import annotations

import csv
import gzip
import io
from pathlib import Path

import geopandas as gpd
import orjson
import pandas as pd
import pytest

from cli.main import main
from geo.ingest.pipeline import read_export

ACLED_HEADER = (
    "event_id_cnty,event_date,year,time_precision,disorder_type,event_type,sub_event_type,actor1,"
    "assoc_actor_1,inter1,actor2,assoc_actor_2,inter2,interaction,civilian_targeting,iso,region,"
    "country,admin1,admin2,admin3,location,latitude,longitude,geo_precision,source,source_scale,"
    "notes,fatalities,tags,timestamp,analyst_flag"
)


def acled_row(
    event_id: str,
    date: str,
    lat: str,
    lon: str,
    fatalities: str = "2",
    notes: str = "Clash.",
    iso: str = "180",
    country: str = "Democratic Republic of Congo",
    precision: str = "1",
    event_type: str = "Battles",
    admin1: str = "Nord-Kivu",
) -> str:
    values = [
        event_id,
        date,
        date[-4:] if " " in date else date[:4],
        "1",
        "Political violence",
        event_type,
        "Armed clash",
        "Military Forces of the DRC",
        "",
        "State forces",
        "M23",
        "",
        "Rebel group",
        "State forces-Rebel group",
        "",
        iso,
        "Middle Africa",
        country,
        admin1,
        "Rutshuru",
        "",
        "Kibumba",
        lat,
        lon,
        precision,
        "Radio Okapi",
        "National",
        notes,
        fatalities,
        "",
        "1704153600",
        "extra-1",
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def write_acled(path: Path, rows: list[str]) -> Path:
    path.write_text(ACLED_HEADER + "\n" + "".join(rows), encoding="utf-8")
    return path


GOOD_ROWS = [
    acled_row(
        "DRC1001",
        "2024-01-15",
        "-1.5",
        "29.35",
        notes='M23 attacked "positions" near Kibumba.\nTwo killed.',
    ),
    acled_row("DRC1002", "15 January 2024", "-1.18", "29.45", fatalities="0", precision="2"),
    acled_row(
        "DRC1003",
        "2024-02-29",
        "1.56",
        "30.25",
        precision="3",
        event_type="Violence against civilians",
    ),
]
BAD_ROWS = [
    acled_row("DRC2001", "2024-01-16", "95", "29.3"),
    acled_row("DRC2002", "2024-01-17", "0", "0"),
    acled_row("DRC2003", "someday", "-1.5", "29.3"),
    acled_row("DRC2004", "2024-01-18", "-1.5", "29.3", fatalities="-3"),
    acled_row("", "2024-01-19", "-1.5", "29.3"),
]


@pytest.fixture
def acled_file(tmp_path: Path) -> Path:
    return write_acled(tmp_path / "acled_drc.csv", GOOD_ROWS + BAD_ROWS)


def test_acled_rows_are_normalised(acled_file):
    result = read_export(acled_file, "acled")
    events = result.events.set_index("event_id")
    assert result.read == 8 and len(events) == 3
    assert str(events.loc["DRC1002", "event_date"].date()) == "2024-01-15"  # "15 January 2024"
    assert events.loc["DRC1001", "fatalities"] == 2
    assert events.loc["DRC1001", "notes"] == 'M23 attacked "positions" near Kibumba.\nTwo killed.'
    assert list(events["precision"]) == [1, 2, 3]
    assert set(events["source_dataset"]) == {"acled"}
    assert events.loc["DRC1003", "event_type"] == "Violence against civilians"
    original = orjson.loads(events.loc["DRC1001", "original"])
    assert original["analyst_flag"] == "extra-1"  # unknown extra column kept
    assert original["notes"].endswith("Two killed.")
    assert (
        events.loc["DRC1001", "line"] == 2 and events.loc["DRC1002", "line"] == 4
    )  # quoted newline


def test_bad_acled_rows_go_to_the_rejects_file_with_their_line(runner, home, acled_file):
    result = runner.invoke(main, ["ingest", "acled", str(acled_file)])
    assert result.exit_code == 1, result.output
    assert "read 8  added 3  updated 0  unchanged 0  rejected 5" in result.output
    rejects = pd.read_csv(
        home / "rejects" / "acled_drc.rejects.csv", dtype=str, keep_default_na=False
    )
    by_line = dict(zip(rejects["line"].astype(int), rejects["reason"], strict=True))
    assert by_line[6] == "latitude outside -90..90"
    assert by_line[7] == "coordinates are (0, 0)"
    assert by_line[8].startswith("event_date is not a date")
    assert by_line[9] == "fatalities is negative"
    assert by_line[10] == "event_id_cnty is missing"
    assert rejects.loc[rejects["line"] == "6", "latitude"].item() == "95"
    assert rejects.loc[rejects["line"] == "6", "analyst_flag"].item() == "extra-1"
    stored = gpd.read_parquet(home / "layers" / "conflict-events.parquet")
    assert sorted(stored["event_id"]) == ["DRC1001", "DRC1002", "DRC1003"]  # demo rows replaced
    assert set(stored["country_iso3"]) == {"COD"}


def test_reingest_upserts_changed_rows(runner, home, tmp_path):
    path = write_acled(tmp_path / "acled.csv", GOOD_ROWS)
    first = runner.invoke(main, ["ingest", "acled", str(path)])
    assert first.exit_code == 0, first.output
    assert "added 3  updated 0  unchanged 0  rejected 0" in first.output
    changed = GOOD_ROWS[:2] + [
        GOOD_ROWS[2].replace(",1704153600,", ",1704240000,").replace(",2,,", ",7,,")
    ]
    write_acled(path, changed + [acled_row("DRC1004", "2024-03-01", "-1.6", "29.2")])
    second = runner.invoke(main, ["ingest", "acled", str(path)])
    assert second.exit_code == 0, second.output
    assert "read 4  added 1  updated 1  unchanged 2  rejected 0" in second.output
    stored = gpd.read_parquet(home / "layers" / "conflict-events.parquet").set_index("event_id")
    assert len(stored) == 4 and stored.loc["DRC1003", "fatalities"] == 7


def test_gzip_export_and_a_row_with_missing_fields(tmp_path):
    text = ACLED_HEADER + "\n" + GOOD_ROWS[0] + "DRC3001,2024-01-02,2024\n" + GOOD_ROWS[1]
    path = tmp_path / "acled.csv.gz"
    path.write_bytes(gzip.compress(text.encode()))
    result = read_export(path, "acled")
    assert sorted(result.events["event_id"]) == ["DRC1001", "DRC1002"]
    assert [(r.line, r.reason) for r in result.rejects] == [(4, "expected 32 fields, found 3")]


def test_a_row_with_a_nul_byte_is_rejected_not_stored(tmp_path):
    # header line 1; DRC1001 spans lines 2-3 (a quoted newline); DRC1002 line 4; the NUL row line 5
    nul = acled_row("DRC4001", "2024-01-02", "-1.5", "29.3", notes="bad\x00byte")
    path = write_acled(tmp_path / "acled.csv", GOOD_ROWS[:2] + [nul, GOOD_ROWS[2]])
    result = read_export(path, "acled")
    assert sorted(result.events["event_id"]) == ["DRC1001", "DRC1002", "DRC1003"]
    assert [(r.line, r.reason) for r in result.rejects] == [(5, "contains a NUL byte (\\x00), which is not text")]


def test_repeated_id_is_rejected_with_the_first_line(tmp_path):
    path = write_acled(tmp_path / "dup.csv", [GOOD_ROWS[1], GOOD_ROWS[1]])
    result = read_export(path, "acled")
    assert len(result.events) == 1
    assert [(r.line, r.reason) for r in result.rejects] == [
        (3, "event id DRC1002 repeated (first at line 2)")
    ]


def test_not_an_acled_file_is_one_line_and_exit_2(runner, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("a,b\n1,2\n")
    result = runner.invoke(main, ["ingest", "acled", str(path)])
    assert result.exit_code == 2
    assert "not a acled export: missing columns" in result.output


UCDP_HEADER = (
    "id,relid,year,active_year,code_status,type_of_violence,conflict_dset_id,conflict_new_id,"
    "conflict_name,dyad_dset_id,dyad_new_id,dyad_name,side_a_dset_id,side_a_new_id,side_a,"
    "side_b_dset_id,side_b_new_id,side_b,number_of_sources,source_article,source_office,"
    "source_date,source_headline,source_original,where_prec,where_coordinates,where_description,"
    "adm_1,adm_2,latitude,longitude,geom_wkt,priogrid_gid,country,country_id,region,event_clarity,"
    "date_prec,date_start,date_end,deaths_a,deaths_b,deaths_civilians,deaths_unknown,best,high,low,"
    "gwnoa,gwnob"
)


def ucdp_row(
    uid: str,
    violence: str,
    prec: str,
    lat: str,
    lon: str,
    best: str,
    start: str,
    country: str = "Mali",
    country_id: str = "432",
) -> str:
    values = [
        uid,
        f"MLI-2020-{uid}",
        start[:4],
        "1",
        "Clear",
        violence,
        "1",
        "1",
        "Mali: Government",
        "1",
        "1",
        "Government of Mali - JNIM",
        "1",
        "1",
        "Government of Mali",
        "2",
        "2",
        "JNIM",
        "1",
        'AFP, "attack"\non camp',
        "AFP",
        "",
        "Attack on camp",
        "",
        prec,
        "Mopti town",
        "Mopti",
        "Mopti region",
        "",
        lat,
        lon,
        f"POINT ({lon} {lat})",
        "1",
        country,
        country_id,
        "Africa",
        "1",
        "1",
        start,
        start,
        "1",
        "2",
        "0",
        "0",
        best,
        "5",
        "2",
        "432",
        "",
    ]
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(values)
    return buffer.getvalue()


def test_ucdp_rows_are_normalised(tmp_path):
    path = tmp_path / "ged.csv"
    path.write_text(
        UCDP_HEADER
        + "\n"
        + "".join(
            [
                ucdp_row("11", "1", "1", "14.49", "-4.19", "3", "2020-05-01"),
                ucdp_row("12", "2", "3", "14.49", "-4.19", "0", "2020-05-02 00:00:00.000"),
                ucdp_row("13", "3", "5", "14.49", "-4.19", "4", "2020-05-03"),
                ucdp_row("14", "3", "7", "14.49", "-4.19", "1", "2020-05-04"),
                ucdp_row("15", "4", "1", "14.49", "-4.19", "1", "2020-05-05"),
                ucdp_row("16", "1", "1", "14.49", "-4.19", "-1", "2020-05-06"),
            ]
        )
    )
    result = read_export(path, "ucdp")
    events = result.events.set_index("event_id")
    assert list(events.index) == ["UCDP-11", "UCDP-12", "UCDP-13", "UCDP-14"]
    assert list(events["event_type"]) == ["state-based", "non-state", "one-sided", "one-sided"]
    assert list(events["precision"]) == [1, 2, 3, 4]
    assert list(events["fatalities"]) == [3, 0, 4, 1]
    assert str(events.loc["UCDP-12", "event_date"].date()) == "2020-05-02"
    assert (
        events.loc["UCDP-11", "actor1"] == "Government of Mali"
        and events.loc["UCDP-11", "actor2"] == "JNIM"
    )
    assert set(events["source_dataset"]) == {"ucdp-ged"} and set(events["export_iso3"]) == {"MLI"}
    assert list(events["line"]) == [2, 4, 6, 8]  # source_article holds a quoted newline
    assert [(r.line, r.reason) for r in result.rejects] == [
        (10, "type_of_violence must be 1, 2 or 3"),
        (12, "best is negative"),
    ]


def test_small_blocks_keep_lines_repeats_and_upserts(runner, home, tmp_path, monkeypatch):
    """Blocks of a few hundred bytes: records with quoted newlines straddle block ends, a
    repeated id is found in a later block, and stored rows missing from the file are kept."""
    import functools

    from geo.ingest import pipeline, reader

    monkeypatch.setattr(
        pipeline, "iter_blocks", functools.partial(reader.iter_blocks, block_bytes=300)
    )
    first = write_acled(tmp_path / "first.csv", GOOD_ROWS)
    assert runner.invoke(main, ["ingest", "acled", str(first)]).exit_code == 0
    rows = [acled_row("DRC1004", "2024-03-01", "-1.6", "29.2"), GOOD_ROWS[0], GOOD_ROWS[0]]
    second = write_acled(tmp_path / "second.csv", rows)
    result = runner.invoke(main, ["ingest", "acled", str(second)])
    assert result.exit_code == 1, result.output
    assert "read 3  added 1  updated 0  unchanged 1  rejected 1" in result.output
    rejects = pd.read_csv(home / "rejects" / "second.rejects.csv", dtype=str)
    assert rejects[["line", "reason"]].values.tolist() == [
        ["5", "event id DRC1001 repeated (first at line 3)"]
    ]
    from geo.storage.store import read_layer_file  # the layer in its own order (the file's is spatial)

    stored = read_layer_file(home / "layers" / "conflict-events.parquet")
    assert list(stored["event_id"]) == ["DRC1004", "DRC1001", "DRC1002", "DRC1003"]
    kept = stored.set_index("event_id").loc["DRC1003"]
    assert kept["event_type"] == "Violence against civilians" and kept["country_iso3"] == "COD"
    assert (kept.geometry.x, kept.geometry.y) == (30.25, 1.56)


def test_block_size_does_not_change_lines(tmp_path):
    from geo.ingest.reader import iter_blocks

    path = write_acled(tmp_path / "a.csv", GOOD_ROWS + ["\n"] + BAD_ROWS)
    whole = [int(n) for b in iter_blocks(path) for n in b.lines]
    small = [int(n) for b in iter_blocks(path, block_bytes=100) for n in b.lines]
    assert whole == small == [2, 4, 5, 7, 8, 9, 10, 11]
