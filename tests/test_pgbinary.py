"""Arrow tables as binary COPY rows (``geo.storage.pgbinary``), checked byte by byte and on a real server."""

from __future__ import annotations

import datetime as dt

import psycopg
import pyarrow as pa
import pytest
import shapely

from geo.storage.pgbinary import HEADER, TRAILER, copy_out, read_rows, rows
from geo.storage.postgis import PostgisStore


def test_rows_are_length_prefixed_big_endian_fields():
    """Two rows of (smallint, text, timestamptz); the second all NULL.

    Row 1: field count 3 -> 00 03; smallint 258 -> length 00000002, value 01 02; text "ab" ->
    length 00000002, bytes 61 62; 2000-01-01T00:00:01Z is 1,000,000 µs after PostgreSQL's epoch
    (2000-01-01) = 0x0F4240 -> length 00000008, value 00000000 000F4240.
    Row 2: 00 03, then three NULL fields, each length -1 = ffffffff.
    """
    table = pa.table({
        "n": pa.array([258, None], pa.int16()),
        "s": pa.array(["ab", None]),
        "t": pa.array([dt.datetime(2000, 1, 1, 0, 0, 1, tzinfo=dt.UTC), None], pa.timestamp("ms", tz="UTC")),
    })
    expected = (
        "0003" "00000002" "0102" "00000002" "6162" "00000008" "00000000000f4240"
        "0003" "ffffffff" "ffffffff" "ffffffff"
    )
    assert rows(table).to_pybytes().hex() == expected
    assert HEADER == b"PGCOPY\n\xff\r\n\x00" + bytes(8) and TRAILER == b"\xff\xff"


def test_geometries_go_as_ewkb_with_srid_4326():
    """POINT(1 2) as little-endian WKB is 01 01000000 <x> <y>; EWKB sets the SRID flag (0x20 in the
    type's high byte: 01000020) and inserts 4326 = 0x10E6 little-endian (e6100000): 9 + 16 bytes = 25."""
    table = pa.table({"geometry": pa.array([shapely.to_wkb(shapely.Point(1, 2))], pa.binary())})
    body = rows(table).to_pybytes().hex()
    assert body[:4 + 8] == "0001" + "00000019"  # one field of 25 bytes
    assert body[12:30] == "0101000020e6100000"


def test_every_property_type_reads_back_unchanged(pg_url):
    """Each Arrow type the store maps (pg_type), with its extremes and a null, through write_batches and scan."""
    big = 2**64 - 1
    table = pa.table({
        "i8": pa.array([-128, 127, None], pa.int8()),
        "u8": pa.array([0, 255, None], pa.uint8()),
        "i32": pa.array([-(2**31), 2**31 - 1, None], pa.int32()),
        "u16": pa.array([0, 65535, None], pa.uint16()),
        "u32": pa.array([0, 2**32 - 1, None], pa.uint32()),
        "i64": pa.array([-(2**63), 2**63 - 1, None], pa.int64()),
        "u64": pa.array([0, big, None], pa.uint64()),
        "f16": pa.array([0.5, -2.0, None], pa.float16()),
        "f32": pa.array([1.5, -1e30, None], pa.float32()),
        "day": pa.array([dt.date(1970, 1, 1), dt.date(1899, 12, 31), None], pa.date32()),
        "naive": pa.array([dt.datetime(1999, 12, 31, 23, 59, 59, 999000), dt.datetime(2030, 1, 1), None],
                          pa.timestamp("ms")),
        "secs": pa.array([dt.datetime(1960, 5, 1, 12), dt.datetime(2000, 1, 1), None], pa.timestamp("s", tz="UTC")),
        "flag": pa.array([True, False, None]),
        "word": pa.array(["", "é\n\"x\",\t\\", None], pa.large_string()),
        "kind": pa.array(["a", "b", None]).dictionary_encode(),
        "geometry": pa.array([shapely.to_wkb(shapely.Point(1, 2)), shapely.to_wkb(shapely.box(0, 0, 1, 1)), None],
                             pa.binary()),
    })
    with PostgisStore(pg_url) as store:
        with store.write_batches("types", table.schema, ["Point", "Polygon"]) as out:
            out.write(table.slice(0, 2))
            out.write(table.slice(2))
        got = pa.concat_tables(store.scan("types"))
    assert got.num_rows == 3
    for name in table.column_names:
        assert got.column(name).to_pylist() == table.column(name).to_pylist(), name


def test_an_empty_layer_reads_back_empty(pg_url):
    schema = pa.schema([("name", pa.string()), ("geometry", pa.binary())])
    with PostgisStore(pg_url) as store:
        with store.write_batches("nothing", schema, []):
            pass
        got = list(store.scan("nothing"))
    assert sum(t.num_rows for t in got) == 0


def test_copy_out_reads_rows_and_raises_the_servers_error(pg_url):
    """Two rows by hand: (1, 'ab', 2000-01-02 UTC, NULL) and (-2, '', NULL, 0.5); 2000-01-02 is one day,
    86,400,000,000 µs, after PostgreSQL's epoch, which read_rows turns back into that date."""
    schema = pa.schema([("n", pa.int16()), ("s", pa.string()), ("t", pa.timestamp("us", tz="UTC")),
                        ("x", pa.float64())])
    query = (b"COPY (VALUES (1::int2, 'ab', '2000-01-02T00:00Z'::timestamptz, NULL::float8), "
             b"(-2::int2, '', NULL, 0.5)) TO STDOUT (FORMAT binary)")
    with psycopg.connect(pg_url) as conn:
        got = read_rows(copy_out(conn, query), schema)
        assert got.to_pylist() == [
            {"n": 1, "s": "ab", "t": dt.datetime(2000, 1, 2, tzinfo=dt.UTC), "x": None},
            {"n": -2, "s": "", "t": None, "x": 0.5},
        ]
        with pytest.raises(ValueError, match="int16 column needs fields of 2 bytes"):
            read_rows(copy_out(conn, b"COPY (SELECT 1::int4) TO STDOUT (FORMAT binary)"), pa.schema([schema[0]]))
        with pytest.raises(psycopg.errors.UndefinedTable):
            copy_out(conn, b"COPY (SELECT * FROM no_such_table) TO STDOUT (FORMAT binary)")
        conn.rollback()
        assert conn.execute("SELECT 41 + 1").fetchone() == (42,)  # the connection is usable again
