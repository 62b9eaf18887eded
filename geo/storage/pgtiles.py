"""Vector tiles the PostGIS store makes itself: ``ST_AsMVTGeom`` and ``ST_AsMVT`` in one statement.

The rows of a tile are those of ``geo.storage.pgquery.where`` for the tile's box and the request's
filters, so a tile holds what the items of the same query hold. Two kinds, as the embedded
encoder (``geo.features.tiles``) makes them:

- points: each matching row with the served columns, its ``fid`` as the MVT feature id;
- cells: the matching points counted (and a weight summed) per square cell of the tile, one point
  at the cell's centre, id ``row * cells_per_side + column``.

Values are bound parameters; identifiers are quoted with ``psycopg.sql``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from psycopg import sql

from geo.storage.migrations import SCHEMA


@dataclass(frozen=True)
class TileSpec:
    """What to put in one tile: its layer name, box (EPSG:3857), kind and columns."""

    name: str
    xy_bounds: tuple[float, float, float, float]
    extent: int
    buffer: int
    columns: tuple[str, ...] = ()
    """Served columns of a point tile."""
    dates: tuple[str, ...] = ()
    """Those of ``columns`` written as ISO dates (``YYYY-MM-DD``, as the GeoJSON has them)."""
    cell_size: int = 0
    """Side of a cell in tile coordinates (cells only)."""
    weight: str | None = None
    """Column summed per cell (cells only)."""
    lon_left: float = 0.0
    """West edge of the first column of cells, in degrees (cells only)."""
    lon_step: float = 0.0
    """Width of a column of cells in degrees (cells only)."""
    lat_edges: tuple[float, ...] = ()
    """Latitudes of the rows' edges, ascending (``geo.features.tiles.CellGrid``; cells only)."""


def _table(table: str) -> sql.Composed:
    return sql.SQL("{}.{}").format(sql.Identifier(SCHEMA), sql.Identifier(table))


def count_sql(table: str, condition: sql.Composable, limit: int) -> sql.Composed:
    """The number of matching rows, counted up to ``limit`` (enough to decide the tile's kind)."""
    return sql.SQL("SELECT count(*) FROM (SELECT 1 FROM {} WHERE {} LIMIT {}) AS matched").format(
        _table(table), condition, sql.Literal(int(limit)))


def points_sql(table: str, condition: sql.Composable, params: list[Any], spec: TileSpec,
               present: Sequence[str]) -> tuple[sql.Composed, list[Any]]:
    """The point tile of the rows matching ``condition`` (with ``params``) and its parameters."""
    left, bottom, right, top = spec.xy_bounds
    columns = [sql.SQL("{}::date AS {}").format(sql.Identifier(c), sql.Identifier(c)) if c in spec.dates
               else sql.Identifier(c) for c in spec.columns if c in present]
    statement = sql.SQL(
        "SELECT ST_AsMVT(tile, %s, %s, 'geom', 'fid') FROM ("
        "SELECT fid, {columns}ST_AsMVTGeom(ST_Transform(geom, 3857), ST_MakeEnvelope(%s, %s, %s, %s, 3857), "
        "%s, %s, true) AS geom FROM {table} WHERE {condition}) AS tile WHERE geom IS NOT NULL"
    ).format(
        columns=sql.SQL("").join(sql.SQL("{}, ").format(c) for c in columns),
        table=_table(table),
        condition=condition,
    )
    return statement, [spec.name, spec.extent, left, bottom, right, top, spec.extent, spec.buffer, *params]


def cells_sql(table: str, condition: sql.Composable, params: list[Any], spec: TileSpec,
              present: Sequence[str]) -> tuple[sql.Composed, list[Any]]:
    """The cell tile of the points matching ``condition`` (with ``params``): count and weight sum
    per cell, and its parameters. A point's column is a step of longitude and its row the bucket of
    its latitude among the edges (``width_bucket``): no projection per row."""
    per_side = len(spec.lat_edges) - 1
    half = spec.cell_size / 2
    weight = spec.weight if spec.weight is not None and spec.weight in present else None
    summed = sql.SQL(", sum({})::float8 AS {}").format(sql.Identifier(weight), sql.Identifier(weight)) if weight \
        else sql.SQL("")
    carried = sql.SQL(", {}").format(sql.Identifier(weight)) if weight else sql.SQL("")
    statement = sql.SQL(
        "SELECT ST_AsMVT(tile, %s, %s, 'geom', 'id') FROM ("
        "SELECT r * %s + k AS id, count{carried}, ST_MakePoint(k * %s + %s, r * %s + %s) AS geom FROM ("
        "SELECT floor((ST_X(geom) - %s) / %s)::int AS k, %s - width_bucket(ST_Y(geom), %s::float8[]) AS r, "
        "count(*)::int AS count{summed} FROM {table} WHERE {condition} GROUP BY 1, 2) AS cells "
        "WHERE k >= 0 AND k < %s AND r >= 0 AND r < %s) AS tile"
    ).format(carried=carried, summed=summed, table=_table(table), condition=condition)
    head = [spec.name, spec.extent, per_side, spec.cell_size, half, spec.cell_size, half,
            spec.lon_left, spec.lon_step, per_side, list(spec.lat_edges)]
    return statement, [*head, *params, per_side, per_side]
