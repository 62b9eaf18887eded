"""The OpenAPI operations of the registry writes (OGC API - Features Part 4) and history, added to
the paths of the editable collections by ``webmap.openapi``."""

from __future__ import annotations

from typing import Any

ERROR = {"$ref": "#/components/responses/Error"}
SECURITY = [{"bearerAuth": []}]
SECURITY_SCHEMES = {"bearerAuth": {"type": "http", "scheme": "bearer",
                                   "description": "an API token (`coopmap tokens create`), planner role or above"}}
FEATURE = {
    "type": "object",
    "required": ["type", "properties"],
    "properties": {
        "type": {"type": "string", "enum": ["Feature"]},
        "properties": {"type": "object", "description": "the registry row's fields (acronym, title, countries...)"},
        "geometry": {"type": "object", "nullable": True,
                     "description": "a Point (for projects also a MultiPoint, one point per site), or null: "
                                    "placed from the sites, city or countries as the ingest does"},
    },
}
PATCH = {
    "type": "object",
    "properties": {"properties": {"type": "object"}, "geometry": {"type": "object", "nullable": True}},
    "description": "a JSON merge patch (RFC 7396) of the feature: properties set (null clears one), geometry",
}
IF_MATCH = {
    "name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
    "description": "the ETag of the item as read (GET); needed: 428 without it, 412 when stale",
}


def _answers(*codes: str) -> dict[str, Any]:
    said = {
        "200": {"description": "the item as changed, with its new ETag",
                "content": {"application/geo+json": {"schema": {"type": "object"}}}},
        "201": {"description": "created: Location and ETag of the new item",
                "content": {"application/geo+json": {"schema": {"type": "object"}}}},
        "204": {"description": "retired: gone from the collection, kept in its history"},
    }
    return {code: said.get(code, ERROR) for code in codes}


def write_paths(collection_id: str, title: str) -> dict[str, dict[str, Any]]:
    """Path → operations to merge into the paths of ``collection_id``'s items and item."""
    base = f"/collections/{collection_id}/items"
    body = {"required": True, "content": {"application/geo+json": {"schema": FEATURE},
                                          "application/json": {"schema": FEATURE}}}
    item_id = {"$ref": "#/components/parameters/featureId"}
    return {
        base: {"post": {
            "summary": f"Add an item to {title}", "operationId": f"create-{collection_id}",
            "requestBody": body, "security": SECURITY,
            "responses": _answers("201", "400", "401", "403", "415"),
        }},
        f"{base}/{{featureId}}": {
            "put": {
                "summary": f"Replace an item of {title}", "operationId": f"replace-{collection_id}",
                "parameters": [item_id, IF_MATCH], "requestBody": body, "security": SECURITY,
                "responses": _answers("200", "400", "401", "403", "404", "412", "415", "428"),
            },
            "patch": {
                "summary": f"Update fields of an item of {title}", "operationId": f"update-{collection_id}",
                "parameters": [item_id, IF_MATCH], "security": SECURITY,
                "requestBody": {"required": True, "content": {"application/merge-patch+json": {"schema": PATCH}}},
                "responses": _answers("200", "400", "401", "403", "404", "412", "415", "428"),
            },
            "delete": {
                "summary": f"Retire an item of {title} (admin)", "operationId": f"delete-{collection_id}",
                "parameters": [item_id, IF_MATCH], "security": SECURITY,
                "responses": _answers("204", "400", "401", "403", "404", "412", "428"),
            },
        },
        f"{base}/{{featureId}}/history": {"get": {
            "summary": f"The versions of an item of {title}: who changed what, when",
            "operationId": f"history-{collection_id}", "parameters": [item_id], "security": SECURITY,
            "responses": {"200": {"description": "the versions, oldest first, field by field",
                                  "content": {"application/json": {"schema": {"type": "object"}}}},
                          "400": ERROR, "404": ERROR},
        }},
    }
