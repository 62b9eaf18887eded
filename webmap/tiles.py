"""OGC API - Tiles over the layer catalogue, under ``/ogc``: tile matrix sets, each collection's
tilesets (with a TileJSON document) and its Mapbox Vector Tiles.

The views parse the request and call ``layers.tileset.tile`` through the caller's store
(``webmap.context.store()``): the same filters and access policy as the items. Tiles are cached by
their ETag (data version as the caller sees it, path and parameters) in a bounded LRU.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, request, url_for

from geo.cache import LRUCache
from geo.features.tiles import MVT_MEDIA, TILE_MATRIX_SET, TileNotFound, tile_address, tile_matrix_set
from layers.access import is_restricted_view
from layers.catalogue import Layer
from layers.tileset import TILE_RESERVED, tile, tiling_of
from webmap import guard, http
from webmap.auth import current_role
from webmap.context import catalogue, store
from webmap.ogc_links import link
from webmap.security import mark_restricted
from webmap.tilelinks import REL

bp = Blueprint("tiles", __name__, url_prefix="/ogc")
http.install(bp)

TILES_CACHED = 4096
"""Tiles kept per app, within ``TILE_CACHE_BYTES``."""
TILE_CACHE_BYTES = 64 * 2**20
TILEJSON_MEDIA = "application/vnd.mapbox.tile+json"
WEB_MERCATOR = "http://www.opengis.net/def/crs/EPSG/0/3857"
TMS_URI = "http://www.opengis.net/def/tilematrixset/OGC/1.0/WebMercatorQuad"
TILESET_FORMATS = ("json", "tilejson")
MAX_ZOOM = 22
"""The deepest zoom a TileJSON client is told about (beyond, tiles are still served)."""


def tile_cache() -> LRUCache:
    """The app's cache of encoded tiles (created on first use)."""
    return current_app.extensions.setdefault(
        "coopmap.tiles", LRUCache(TILES_CACHED, max_bytes=TILE_CACHE_BYTES, sizeof=len))


def _json(document: Any, media: str = "application/json") -> Response:
    return Response(orjson.dumps(document), mimetype=media)


def _format(formats: tuple[str, ...]) -> str:
    chosen = request.args.get("f", formats[0])
    if chosen not in formats:
        from geo.errors import InvalidParameter

        raise InvalidParameter("f", chosen, f"use one of {list(formats)}")
    return chosen


def _validated() -> tuple[str, dt.datetime | None, Response | None]:
    manifest = store().manifest()
    etag = http.etag_for(manifest.data_version)
    modified = http.last_modified(record.updated for record in manifest.layers.values())
    return etag, modified, http.not_modified(etag, modified)


def _tiled(collection_id: str) -> Layer:
    layer = catalogue().get(collection_id)
    tiling_of(layer)
    return layer


def _tms_id(tile_matrix_set_id: str) -> None:
    if tile_matrix_set_id != TILE_MATRIX_SET:
        raise TileNotFound(f"unknown tile matrix set {tile_matrix_set_id!r}: use {TILE_MATRIX_SET}")


@bp.get("/tileMatrixSets")
def tile_matrix_sets() -> Response:
    _format(("json",))
    here = url_for(".tile_matrix_set_doc", tile_matrix_set_id=TILE_MATRIX_SET, _external=True)
    return _json({
        "links": [link(url_for(".tile_matrix_sets", _external=True), "self", "application/json")],
        "tileMatrixSets": [{
            "id": TILE_MATRIX_SET,
            "title": tile_matrix_set().title,
            "uri": TMS_URI,
            "links": [link(here, f"{REL}tiling-scheme", "application/json", TILE_MATRIX_SET)],
        }],
    })


@bp.get("/tileMatrixSets/<tile_matrix_set_id>")
def tile_matrix_set_doc(tile_matrix_set_id: str) -> Response:
    _format(("json",))
    _tms_id(tile_matrix_set_id)
    return Response(tile_matrix_set().model_dump_json(exclude_none=True, by_alias=True),
                    mimetype="application/json")


@bp.get("/collections/<collection_id>/tiles")
def tilesets(collection_id: str) -> Response:
    layer = _tiled(collection_id)
    _format(("json",))
    return _json({
        "links": [link(url_for(".tilesets", collection_id=layer.id, _external=True), "self", "application/json")],
        "tilesets": [_tileset_summary(layer)],
    })


def _tileset_summary(layer: Layer) -> dict[str, Any]:
    tileset = url_for(".tileset", collection_id=layer.id, tile_matrix_set_id=TILE_MATRIX_SET, _external=True)
    return {
        "title": layer.title,
        "dataType": "vector",
        "crs": WEB_MERCATOR,
        "tileMatrixSetURI": TMS_URI,
        "links": [
            link(tileset, "self", "application/json", f"{layer.title}: tileset metadata"),
            link(url_for(".tile_matrix_set_doc", tile_matrix_set_id=TILE_MATRIX_SET, _external=True),
                 f"{REL}tiling-scheme", "application/json", TILE_MATRIX_SET),
        ],
    }


def _template(layer: Layer) -> str:
    base = url_for(".tileset", collection_id=layer.id, tile_matrix_set_id=TILE_MATRIX_SET, _external=True)
    return base + "/{tileMatrix}/{tileRow}/{tileCol}?f=mvt"


@bp.get("/collections/<collection_id>/tiles/<tile_matrix_set_id>")
def tileset(collection_id: str, tile_matrix_set_id: str) -> Response:
    layer = _tiled(collection_id)
    _tms_id(tile_matrix_set_id)
    fmt = _format(TILESET_FORMATS)
    fields = guard.fields(layer)
    here = url_for(".tileset", collection_id=layer.id, tile_matrix_set_id=TILE_MATRIX_SET, _external=True)
    if fmt == "tilejson":
        template = _template(layer).replace("{tileMatrix}/{tileRow}/{tileCol}", "{z}/{y}/{x}")
        return _json({
            "tilejson": "3.0.0",
            "name": layer.title,
            "description": layer.description,
            "attribution": layer.attribution,
            "tiles": [template],
            "minzoom": 0,
            "maxzoom": MAX_ZOOM,
            "bounds": [-180.0, -85.0511287798066, 180.0, 85.0511287798066],
            "vector_layers": [{
                "id": layer.id,
                "fields": {f.name: f.type for f in fields},
                "minzoom": 0,
                "maxzoom": MAX_ZOOM,
            }],
        }, "application/json")
    tiling = tiling_of(layer)
    doc = {
        **_tileset_summary(layer),
        "links": [
            link(here, "self", "application/json", f"{layer.title}: tileset metadata"),
            link(here + "?f=tilejson", "alternate", TILEJSON_MEDIA, "TileJSON"),
            link(url_for(".tile_matrix_set_doc", tile_matrix_set_id=TILE_MATRIX_SET, _external=True),
                 f"{REL}tiling-scheme", "application/json", TILE_MATRIX_SET),
            link(url_for("features.collection", collection_id=layer.id, _external=True), "collection",
                 "application/json", layer.title),
            {**link(_template(layer), "item", MVT_MEDIA, "Mapbox vector tiles"), "templated": True},
        ],
        "layers": [{
            "id": layer.id,
            "dataType": "vector",
            "geometryDimension": 0 if layer.geometry_type == "Point" else 2,
            "description": layer.description if not tiling.max_points else (
                f"{layer.description} Below zoom {tiling.aggregate_below}, and in tiles matching more than "
                f"{tiling.max_points} features, grid cells with count and {tiling.weight}."),
            "propertiesSchema": {
                "type": "object",
                "properties": {f.name: {"type": f.type, "description": f.description} for f in fields},
            },
        }],
    }
    return _json(doc)


@bp.get("/collections/<collection_id>/tiles/<tile_matrix_set_id>/<tile_matrix>/<tile_row>/<tile_col>")
def tile_view(collection_id: str, tile_matrix_set_id: str, tile_matrix: str, tile_row: str,
              tile_col: str) -> Response:
    layer = _tiled(collection_id)
    _tms_id(tile_matrix_set_id)
    _format(("mvt",))
    address = tile_address(tile_matrix, tile_row, tile_col)
    params = {k: v for k, v in request.args.items() if k not in TILE_RESERVED}
    restricted = is_restricted_view(layer, current_role())
    if restricted:
        mark_restricted()
    etag, modified, cached = _validated()
    if cached is not None:
        return cached
    fields = guard.fields(layer)

    def make() -> bytes:
        from webmap.features import index_cache

        return tile(index_cache(), layer, store(), params, fields, address)

    body = tile_cache().get_or_compute((etag, restricted), make)
    return http.stamp(Response(body, mimetype=MVT_MEDIA), etag, modified)
