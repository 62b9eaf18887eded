"""A layer's vector tile as one caller may see it: the items' parameters, selection and policy.

A tile is the selection of its box (``geo.features.tiles.TileAddress.lonlat_box`` with the buffer)
and the request's filters, made by ``layers.selection`` like the items, so the same parameters mean
the same thing and the caller's ``SecuredStore`` applies the access policy (the public's project
tiles carry the generalised sites and no restricted field). When the store answers selections
itself for this layer and role (``layers.pushdown.eligible``: conflict events on PostGIS), it makes
the tile in one statement (``Store.tile``, ``geo.storage.pgtiles``); anything else is encoded in
memory (``geo.features.tiles``).

Points are grid cells below the layer's ``Tiling.aggregate_below`` zoom, and at any zoom when a
tile matches more than ``Tiling.max_points`` or encodes larger than ``MAX_TILE_BYTES``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import shapely

from geo.cache import LRUCache
from geo.errors import InvalidParameter, LayerNotFound
from geo.features.tiles import (
    BUFFER,
    EXTENT,
    MAX_TILE_BYTES,
    TileAddress,
    TileNotFound,
    Tiling,
    cell_grid,
    encode_cells,
    encode_features,
)
from geo.query import Query
from geo.storage.base import PushdownUnsupported
from geo.storage.pgtiles import TileSpec
from geo.storage.store import Store
from layers.catalogue import Field, Layer
from layers.pushdown import _span, eligible
from layers.selection import MemorySelection, request_query, select

TILE_RESERVED = ("f",)
"""Parameters of a tile request that are not filters."""


def tiling_of(layer: Layer) -> Tiling:
    """The layer's ``Tiling``; ``TileNotFound`` (404) for a layer without tiles."""
    if layer.tiling is None:
        raise TileNotFound(f"collection {layer.id!r} has no tiles")
    return layer.tiling


def tile(cache: LRUCache, layer: Layer, store: Store, params: Mapping[str, str], fields: Sequence[Field],
         address: TileAddress) -> bytes:
    """The Mapbox Vector Tile of ``layer`` at ``address`` for the caller of ``store``.

    Parameters
    ----------
    cache : the prepared layers of ``layers.selection`` (shared with the items)
    layer : the catalogue layer (with a ``tiling``)
    store : the store as the caller sees it (``webmap.context.store()``)
    params : the request's parameters: ``datetime`` and property filters, as for the items
    fields : the fields served to the caller (``layers.access.visible_fields``)
    address : the tile

    Raises
    ------
    InvalidParameter
        For a bad parameter, ``bbox`` included (the tile is the box).
    TileNotFound
        When the layer has no tiles.
    """
    tiling = tiling_of(layer)
    if "bbox" in params:
        raise InvalidParameter("bbox", params["bbox"], "a tile's box is its tileMatrix, tileRow and tileCol")
    wanted = {**params, "bbox": ",".join(repr(v) for v in address.lonlat_box(BUFFER))}
    query = request_query(layer, wanted, fields, TILE_RESERVED)
    made = _stored_tile(layer, store, query, fields, address, tiling)
    if made is not None:
        return made
    selection = select(cache, layer, store, wanted, fields, TILE_RESERVED)
    if isinstance(selection, MemorySelection):
        index, positions = selection.prepared.index, selection.positions
        points, frame = index.points, None
    else:
        frame = selection.frame()
        positions = np.arange(len(frame), dtype=np.int64)
        points = bool(len(frame)) and bool(np.all(shapely.get_type_id(np.asarray(frame.geometry.array)) == 0))
    cells = points and tiling.max_points is not None and (
        tiling.aggregates(address.zoom) or len(positions) > tiling.max_points)
    if not cells:
        if frame is None:
            frame = selection.frame()
        data = encode_features(frame, selection.fields, layer.id, address,
                               ids=positions + 1 if isinstance(selection, MemorySelection) else None)
        if not points or tiling.max_points is None or len(data) <= MAX_TILE_BYTES:
            return data
    if isinstance(selection, MemorySelection):
        x, y = index.x[positions], index.y[positions]
        source = index.frame
        weights = _weights(source, tiling.weight, positions)
    else:
        assert frame is not None
        geoms = np.asarray(frame.geometry.array)
        x, y = shapely.get_x(geoms), shapely.get_y(geoms)
        weights = _weights(frame, tiling.weight, None)
    return encode_cells(x, y, weights, layer.id, address, tiling)


def _weights(frame: pd.DataFrame, name: str | None, positions: np.ndarray | None) -> np.ndarray | None:
    if name is None or name not in frame.columns:
        return None
    values = pd.to_numeric(frame[name], errors="coerce").to_numpy(dtype=float, na_value=np.nan)
    return values if positions is None else values[positions]


def _stored_tile(layer: Layer, store: Store, query: Query, fields: Sequence[Field], address: TileAddress,
                 tiling: Tiling) -> bytes | None:
    """The tile made by the store in SQL, or None (make it in memory)."""
    raw = eligible(layer, store)
    if raw is None or any(name not in layer.field_names for name, _ in query.filters):
        return None
    layer_id = layer.source.layer_id  # type: ignore[attr-defined]
    rows = _span(layer, query)
    grid = cell_grid(address, tiling)
    cells = TileSpec(layer.id, address.xy_bounds, EXTENT, BUFFER, cell_size=tiling.cell_size, weight=tiling.weight,
                     lon_left=grid.lon_left, lon_step=grid.lon_step, lat_edges=grid.lat_edges)
    try:
        if tiling.max_points is not None and (
            tiling.aggregates(address.zoom) or raw.count_rows(layer_id, rows, tiling.max_points + 1) > tiling.max_points
        ):
            return raw.tile(layer_id, rows, cells)
        served = tuple(f.name for f in fields)
        dates = tuple(f.name for f in fields if f.type == "date")
        spec = TileSpec(layer.id, address.xy_bounds, EXTENT, BUFFER, columns=served, dates=dates)
        data = raw.tile(layer_id, rows, spec)
        if tiling.max_points is not None and len(data) > MAX_TILE_BYTES:
            return raw.tile(layer_id, rows, cells)
        return data
    except (PushdownUnsupported, LayerNotFound):
        return None
