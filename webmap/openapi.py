"""The OpenAPI 3.0 document of ``/ogc``: every path and parameter, per collection filters included."""

from __future__ import annotations

from typing import Any

from layers.catalogue import Catalogue, Layer
from layers.queryables import TYPES
from layers.selection import SOURCE_PARAMS, filterable
from webmap import guard
from webmap.crs_output import crs_parameters
from webmap.ogcfilter import FILTER_PARAMETERS
from webmap.registry_api import EDITABLE
from webmap.registry_openapi import SECURITY_SCHEMES, write_paths
from webmap.tiles_openapi import service_paths, tile_paths

SCHEMA_OF = TYPES  # the JSON Schema of each field type: the queryables' own
ERROR = {"$ref": "#/components/responses/Error"}


def openapi_document(
    catalogue: Catalogue, base_url: str, limits: tuple[int, int]
) -> dict[str, Any]:
    """Build the OpenAPI document for the collections of ``catalogue`` served at ``base_url``.

    Parameters
    ----------
    catalogue : the layers served as collections
    base_url : the absolute URL of the landing page (``.../ogc``)
    limits : ``(default, maximum)`` of the ``limit`` parameter
    """
    paths: dict[str, Any] = {
        "/": _get("Landing page", "landing", [_ref("f")], "application/json"),
        "/conformance": _get("Conformance classes", "conformance", [_ref("f")], "application/json"),
        "/api": _get(
            "This document", "api", [_ref("f")], "application/vnd.oai.openapi+json;version=3.0"
        ),
        "/collections": _get("The collections", "collections", [_ref("f")], "application/json"),
    }
    for layer in catalogue:
        paths.update(_layer_paths(layer))
        if layer.id in EDITABLE:  # Part 4 writes and the history (webmap.registry_openapi)
            for path, operations in write_paths(layer.id, layer.title).items():
                paths.setdefault(path, {}).update(operations)
    paths.update(service_paths())
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "coopmap OGC API - Features",
            "version": "1.0.0",
            "description": "Layers of coopmap as OGC API - Features collections (Part 1 Core, GeoJSON, HTML).",
            "license": {"name": "See each collection's licence"},
        },
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {**_components(limits), "securitySchemes": SECURITY_SCHEMES},
    }


def _layer_paths(layer: Layer) -> dict[str, Any]:
    base = f"/collections/{layer.id}"
    fields = guard.fields(layer)
    types = {f.name: f.type for f in fields}
    filters = []
    for name in filterable(layer, fields):
        schema = dict(SCHEMA_OF[types.get(name, "string")])
        if name in layer.source.forwarded:
            description = f"the exposure columns count only events whose {name.removeprefix('exposure_')} matches"
        elif layer.source.computed and name in SOURCE_PARAMS:
            description = (
                f"passed to the summary: count only events whose {name} is one of these values"
            )
        else:
            description = (
                f"features whose {name} equals this value (comma-separated values are alternatives)"
            )
        if schema["type"] != "string":
            schema = {"type": "string"}  # comma-separated alternatives are text on the wire
        filters.append(
            {
                "name": name,
                "in": "query",
                "required": False,
                "schema": schema,
                "description": description,
            }
        )
    sortby = {
        "name": "sortby",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "comma-separated properties, each optionally prefixed with + (ascending) "
        f"or - (descending); one of: {', '.join(types)}",
    }
    items_params = [
        _ref("bbox"),
        _ref("bbox-crs"),
        _ref("crs"),
        _ref("datetime"),
        _ref("limit"),
        _ref("offset"),
        sortby,
        _ref("f_items"),
        *filters,
        *FILTER_PARAMETERS,
    ]
    item_params = [_ref("featureId"), _ref("f"), _ref("crs")]
    if layer.source.computed:
        item_params += [_ref("datetime")] + [p for p in filters if p["name"] in SOURCE_PARAMS]
    return {
        base: _get(
            f"Description of {layer.title}", f"describe-{layer.id}", [_ref("f")], "application/json"
        ),
        f"{base}/items": _get(
            f"Features of {layer.title}",
            f"items-{layer.id}",
            items_params,
            "application/geo+json",
            extra_media=("text/html", "text/csv"),
        ),
        f"{base}/queryables": _get(
            f"Queryables of {layer.title}", f"queryables-{layer.id}", [_ref("f")], "application/schema+json"
        ),
        f"{base}/items/{{featureId}}": _get(
            f"One feature of {layer.title}",
            f"item-{layer.id}",
            item_params,
            "application/geo+json",
            not_found=True,
        ),
        **tile_paths(layer, filters),
    }


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/parameters/{name}"}


def _get(
    summary: str,
    operation: str,
    parameters: list[dict[str, Any]],
    media: str,
    extra_media: tuple[str, ...] = ("text/html",),
    not_found: bool = True,
) -> dict[str, Any]:
    content = {media: {"schema": {"type": "object"}}}
    content.update({m: {"schema": {"type": "string"}} for m in extra_media})
    responses: dict[str, Any] = {"200": {"description": summary, "content": content}, "400": ERROR}
    if not_found:
        responses["404"] = ERROR
    responses["304"] = {"description": "Not modified (ETag / Last-Modified revalidation)"}
    return {
        "get": {
            "summary": summary,
            "operationId": operation,
            "parameters": parameters,
            "responses": responses,
        }
    }


def _components(limits: tuple[int, int]) -> dict[str, Any]:
    default, maximum = limits
    return {
        "parameters": {
            "f": {
                "name": "f",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["json", "html"]},
                "description": "output format",
            },
            "f_items": {
                "name": "f",
                "in": "query",
                "required": False,
                "schema": {"type": "string", "enum": ["json", "html", "csv"]},
                "description": "output format (GeoJSON, an HTML table or CSV)",
            },
            "bbox": {
                "name": "bbox",
                "in": "query",
                "required": False,
                "style": "form",
                "explode": False,
                "schema": {
                    "type": "array",
                    "minItems": 4,
                    "maxItems": 6,
                    "items": {"type": "number"},
                },
                "description": "minx,miny,maxx,maxy in CRS84 degrees, or in bbox-crs in its axis order "
                "(6 numbers: heights are ignored); features intersecting the box",
            },
            **crs_parameters(),
            "datetime": {
                "name": "datetime",
                "in": "query",
                "required": False,
                "schema": {"type": "string"},
                "description": "an RFC 3339 date or interval: 2024-03-01, 2024-01-01/2024-12-31, "
                "../2024-12-31, 2024-01-01/.. (YYYY and YYYY-MM are accepted)",
            },
            "limit": {
                "name": "limit",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 1, "maximum": maximum, "default": default},
                "description": f"features per page (default {default}, at most {maximum})",
            },
            "offset": {
                "name": "offset",
                "in": "query",
                "required": False,
                "schema": {"type": "integer", "minimum": 0, "default": 0},
                "description": "index of the first feature of the page",
            },
            "featureId": {
                "name": "featureId",
                "in": "path",
                "required": True,
                "schema": {"type": "string"},
                "description": "the value of the collection's id property",
            },
        },
        "responses": {
            "Error": {
                "description": "Invalid parameter or unknown collection / feature",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["code", "description"],
                            "properties": {
                                "code": {"type": "string"},
                                "description": {"type": "string"},
                            },
                        }
                    }
                },
            },
        },
    }
