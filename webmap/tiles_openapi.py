"""The OpenAPI paths of the tiles (``webmap/tiles.py``), added to ``/ogc/api`` by ``webmap/openapi.py``."""

from __future__ import annotations

from typing import Any

from geo.features.tiles import MVT_MEDIA, TILE_MATRIX_SET, tile_matrix_set
from layers.catalogue import Layer

ERROR = {"$ref": "#/components/responses/Error"}


def _path_param(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "path", "required": True, "schema": schema, "description": description}


def _get(summary: str, operation: str, parameters: list[dict[str, Any]], media: str,
         schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"get": {
        "summary": summary,
        "operationId": operation,
        "parameters": parameters,
        "responses": {
            "200": {"description": summary, "content": {media: {"schema": schema or {"type": "object"}}}},
            "304": {"description": "Not modified (ETag / Last-Modified revalidation)"},
            "400": ERROR,
            "404": ERROR,
        },
    }}


def _f(values: list[str]) -> dict[str, Any]:
    return {"name": "f", "in": "query", "required": False, "schema": {"type": "string", "enum": values},
            "description": "output format"}


TMS_ID = _path_param("tileMatrixSetId", {"type": "string", "enum": [TILE_MATRIX_SET]}, "the tile matrix set")


def service_paths() -> dict[str, Any]:
    """``/tileMatrixSets`` and ``/tileMatrixSets/{tileMatrixSetId}``."""
    return {
        "/tileMatrixSets": _get("The tile matrix sets", "tile-matrix-sets", [_f(["json"])], "application/json"),
        "/tileMatrixSets/{tileMatrixSetId}": _get(
            "A tile matrix set definition", "tile-matrix-set", [TMS_ID, _f(["json"])], "application/json"),
    }


def tile_paths(layer: Layer, filters: list[dict[str, Any]]) -> dict[str, Any]:
    """The tileset list, tileset and tile paths of ``layer`` (none without ``Layer.tiling``);
    ``filters`` are its items' property filter parameters, which the tiles take too."""
    if layer.tiling is None:
        return {}
    base = f"/collections/{layer.id}/tiles"
    deepest = tile_matrix_set().maxzoom
    coordinates = [
        _path_param("tileMatrix", {"type": "integer", "minimum": 0, "maximum": deepest},
                    f"the zoom level, 0 to {deepest}"),
        _path_param("tileRow", {"type": "integer", "minimum": 0}, "the row, from the north (0 to 2^zoom - 1)"),
        _path_param("tileCol", {"type": "integer", "minimum": 0}, "the column, from the west (0 to 2^zoom - 1)"),
    ]
    datetime = {"$ref": "#/components/parameters/datetime"}
    return {
        base: _get(f"Vector tilesets of {layer.title}", f"tilesets-{layer.id}", [_f(["json"])], "application/json"),
        f"{base}/{{tileMatrixSetId}}": _get(
            f"Tileset of {layer.title} (f=tilejson: TileJSON)", f"tileset-{layer.id}",
            [TMS_ID, _f(["json", "tilejson"])], "application/json"),
        f"{base}/{{tileMatrixSetId}}/{{tileMatrix}}/{{tileRow}}/{{tileCol}}": _get(
            f"A vector tile of {layer.title}", f"tile-{layer.id}",
            [TMS_ID, *coordinates, _f(["mvt"]), datetime, *filters], MVT_MEDIA,
            {"type": "string", "format": "binary"}),
    }
