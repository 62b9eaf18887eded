"""OGC API - Features Part 3 (filtering) on ``/ogc``: the conformance classes, the queryables
response and the ``filter`` parameters of the OpenAPI document.

The filter itself is parsed with the other query parameters (``geo.query.parse_query`` through
``layers.selection.select``); ``geo.cql`` says what is implemented.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Response, current_app, render_template, request, url_for

from geo.cql import LANGS
from geo.crs import CRS84
from layers.catalogue import Layer
from layers.queryables import queryables, queryables_cache
from webmap import guard, http
from webmap.context import store
from webmap.ogc_links import link

CQL_CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/queryables-query-parameters",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/filter",
    "http://www.opengis.net/spec/ogcapi-features-3/1.0/conf/features-filter",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-text",
    "http://www.opengis.net/spec/cql2/1.0/conf/cql2-json",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-cql2",
    "http://www.opengis.net/spec/cql2/1.0/conf/advanced-comparison-operators",
    "http://www.opengis.net/spec/cql2/1.0/conf/case-insensitive-comparison",
    "http://www.opengis.net/spec/cql2/1.0/conf/basic-spatial-functions",
    "http://www.opengis.net/spec/cql2/1.0/conf/temporal-functions",
]
"""The Part 3 and CQL2 classes implemented (``geo.cql``): nothing more."""
QUERYABLES_REL = "http://www.opengis.net/def/rel/ogc/1.0/queryables"
SCHEMA_MEDIA = "application/schema+json"
FORMATS = {"json": "json", "html": "html"}

FILTER_PARAMETERS: list[dict[str, Any]] = [
    {
        "name": "filter",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": "a CQL2 filter on the collection's queryables (see its queryables link), e.g. "
        "fatalities > 5 AND event_type IN ('Battles','Riots') AND S_INTERSECTS(geometry, BBOX(28,-3,31,0))",
    },
    {
        "name": "filter-lang",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "enum": list(LANGS), "default": "cql2-text"},
        "description": "the encoding of filter: cql2-text (default) or cql2-json; cql-text is read as cql2-text",
    },
    {
        "name": "filter-crs",
        "in": "query",
        "required": False,
        "schema": {"type": "string", "default": CRS84},
        "description": "the CRS of the filter's geometries, as for crs: CRS84 (lon/lat, default), EPSG:4326 "
                       "(lat/lon), EPSG:3857 or any EPSG code",
    },
]
"""The ``filter`` parameters of every items operation."""


def queryables_response(layer: Layer) -> Response:
    """``/ogc/collections/{id}/queryables``: the JSON Schema (``f=json``) or an HTML table."""
    fmt = http.negotiate(FORMATS)
    fields = guard.fields(layer)
    unknown = sorted(set(request.args) - {"f"})
    if unknown:
        from geo.errors import InvalidParameter

        raise InvalidParameter(unknown[0], request.args[unknown[0]], "unknown parameter for queryables")
    manifest = store().manifest()
    etag = http.etag_for(manifest.data_version, guard.view_key(layer))
    modified = http.last_modified(record.updated for record in manifest.layers.values())
    cached = http.not_modified(etag, modified)
    if cached is not None:
        return cached
    cache = current_app.extensions.setdefault("coopmap.queryables", queryables_cache())
    url = url_for(".queryables", collection_id=layer.id, _external=True)
    document = queryables(cache, layer, store(), fields, url)
    if fmt == "html":
        document["links"] = [link(url + "?f=json", "alternate", SCHEMA_MEDIA, "JSON Schema")]
        response = Response(render_template("ogc_queryables.html", doc=document, layer=layer), mimetype="text/html")
    else:
        response = Response(orjson.dumps(document), mimetype=SCHEMA_MEDIA)
    return http.stamp(response, etag, modified)
