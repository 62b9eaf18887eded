"""OGC API - Features (Part 1 Core, GeoJSON, HTML) over the layer catalogue, under ``/ogc``.

Views parse the request, ask ``layers.selection`` for the rows and serialise one page.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import orjson
from flask import Blueprint, Response, current_app, render_template, request, url_for

from geo.cache import LRUCache
from geo.features.geojson import SYNTHETIC_NOTICE
from geo.query import parse_int
from layers.catalogue import Layer
from layers.selection import SOURCE_PARAMS, Page, Selection, find, overview, prepared_cache, select
from webmap import crs_output, guard, http, ogc_html, registry_api
from webmap.context import catalogue, store
from webmap.errors import NotFound
from webmap.ogc_links import JSON_MEDIA, link, paging_links, self_links
from webmap.ogcfilter import CQL_CONFORMANCE, QUERYABLES_REL, queryables_response
from webmap.tilelinks import landing_tiles_links, tileset_links

bp = Blueprint("features", __name__, url_prefix="/ogc")
http.install(bp)

CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/geojson",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/html",
    "http://www.opengis.net/spec/ogcapi-features-1/1.0/conf/oas30",
    *CQL_CONFORMANCE,
    crs_output.CONFORMANCE,
    # OGC API - Tiles (webmap/tiles.py): vector tilesets of the collections in WebMercatorQuad
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/core",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tileset",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/tilesets-list",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/geodata-tilesets",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/mvt",
    "http://www.opengis.net/spec/ogcapi-tiles-1/1.0/conf/oas30",
    "http://www.opengis.net/spec/tms/2.0/conf/tilematrixset",
    "http://www.opengis.net/spec/tms/2.0/conf/json-tilematrixset",
    *registry_api.CONFORMANCE,
]
CRS84 = crs_output.CRS84
OPENAPI_MEDIA = "application/vnd.oai.openapi+json;version=3.0"
PAGE_FORMATS = {"json": "json", "html": "html"}
ITEMS_FORMATS = {"json": "json", "html": "html", "csv": "csv"}
ITEMS_RESERVED = ("limit", "offset", "f")


def index_cache() -> LRUCache:
    """The app's cache of prepared layers (created on first use)."""
    return current_app.extensions.setdefault("coopmap.index", prepared_cache())


def limits() -> tuple[int, int]:
    """``(default, maximum)`` of ``limit`` from the app config."""
    return (
        int(current_app.config.get("OGC_DEFAULT_LIMIT", 100)),
        int(current_app.config.get("OGC_MAX_LIMIT", 10_000)),
    )


def _json(document: Any, media: str = "application/json") -> Response:
    return Response(orjson.dumps(document, option=orjson.OPT_SERIALIZE_NUMPY), mimetype=media)


def _render(fmt: str, document: dict[str, Any], template: str, **context: Any) -> Response:
    if fmt == "html":
        return Response(render_template(template, doc=document, **context), mimetype="text/html")
    return _json(document)


def _validated(etag_extra: str = "") -> tuple[str, dt.datetime | None, Response | None]:
    manifest = store().manifest()
    etag = http.etag_for(manifest.data_version, etag_extra)
    modified = http.last_modified(record.updated for record in manifest.layers.values())
    return etag, modified, http.not_modified(etag, modified)


@bp.get("")
@bp.get("/")
def landing() -> Response:
    fmt = http.negotiate(PAGE_FORMATS)
    etag, modified, cached = _validated()
    if cached is not None:
        return cached
    doc = {
        "title": "coopmap OGC API - Features",
        "description": "Cooperation projects, ENVR regional schools, conflict events and boundaries.",
        "links": [
            *self_links(fmt, PAGE_FORMATS),
            link(
                url_for(".openapi", _external=True),
                "service-desc",
                OPENAPI_MEDIA,
                "The API definition",
            ),
            link(
                url_for(".openapi", f="html", _external=True),
                "service-doc",
                "text/html",
                "The API documentation",
            ),
            link(
                url_for(".conformance", _external=True),
                "conformance",
                "application/json",
                "Conformance",
            ),
            link(
                url_for(".collections", _external=True), "data", "application/json", "Collections"
            ),
            *landing_tiles_links(),
        ],
    }
    return http.stamp(_render(fmt, doc, "ogc_landing.html"), etag, modified)


@bp.get("/conformance")
def conformance() -> Response:
    fmt = http.negotiate(PAGE_FORMATS)
    doc = {"conformsTo": CONFORMANCE, "links": self_links(fmt, PAGE_FORMATS)}
    return _render(fmt, doc, "ogc_conformance.html")


@bp.get("/api")
def openapi() -> Response:
    from webmap.openapi import openapi_document

    fmt = http.negotiate(PAGE_FORMATS)
    etag, modified, cached = _validated()
    if cached is not None:
        return cached
    document = openapi_document(
        catalogue(), url_for(".landing", _external=True).rstrip("/"), limits()
    )
    if fmt == "html":
        response = Response(render_template("ogc_api.html", doc=document), mimetype="text/html")
    else:
        response = _json(document, OPENAPI_MEDIA)
    return http.stamp(response, etag, modified)


@bp.get("/collections")
def collections() -> Response:
    fmt = http.negotiate(PAGE_FORMATS)
    etag, modified, cached = _validated()
    if cached is not None:
        return cached
    doc = {
        "links": self_links(fmt, PAGE_FORMATS),
        "crs": crs_output.metadata()["crs"],
        "collections": [_collection(layer) for layer in catalogue()],
    }
    return http.stamp(_render(fmt, doc, "ogc_collections.html"), etag, modified)


@bp.get("/collections/<collection_id>")
def collection(collection_id: str) -> Response:
    layer = catalogue().get(collection_id)
    fmt = http.negotiate(PAGE_FORMATS)
    etag, modified, cached = _validated()
    if cached is not None:
        return cached
    doc = _collection(layer)
    doc["links"] = self_links(fmt, PAGE_FORMATS) + doc["links"]
    extent_map = ogc_html.map_context({"bbox": doc["extent"]["spatial"]["bbox"][0]}, "ogc_map_extent")
    return http.stamp(_render(fmt, doc, "ogc_collection.html", layer=layer, **extent_map), etag, modified)


def _collection(layer: Layer) -> dict[str, Any]:
    bbox, interval, count = overview(index_cache(), layer, store(), guard.fields(layer))
    items = url_for(".items", collection_id=layer.id, _external=True)
    extent: dict[str, Any] = {
        "spatial": {"bbox": [bbox or [-180.0, -90.0, 180.0, 90.0]], "crs": CRS84}
    }
    if layer.time_field:
        extent["temporal"] = {
            "interval": [interval or [None, None]],
            "trs": "http://www.opengis.net/def/uom/ISO-8601/0/Gregorian",
        }
    return {
        "id": layer.id,
        "title": layer.title,
        "description": layer.description,
        "itemType": "feature",
        **crs_output.metadata(),
        "extent": extent,
        "numberOfFeatures": count,
        "geometryType": layer.geometry_type,
        "attribution": layer.attribution,
        "licence": layer.licence,
        "access": layer.access,
        "source": layer.source.describe(),
        "computed": layer.source.computed,
        "properties": {
            f.name: {"type": f.type, "description": f.description} for f in guard.fields(layer)
        },
        "links": [
            link(items, "items", "application/geo+json", "Features as GeoJSON"),
            link(items + "?f=html", "items", "text/html", "Features as HTML"),
            link(items + "?f=csv", "items", "text/csv", "Features as CSV"),
            link(
                url_for("downloads.download", filename=f"{layer.id}.geojson", _external=True),
                "enclosure",
                "application/geo+json",
                "Bulk download (GeoJSON)",
            ),
            link(url_for(".queryables", collection_id=layer.id, _external=True), QUERYABLES_REL,
                 "application/schema+json", "Queryables (properties a filter may name)"),
            *tileset_links(layer),
        ],
    }


@bp.get("/collections/<collection_id>/queryables")
def queryables(collection_id: str) -> Response:
    return queryables_response(catalogue().get(collection_id))


@bp.get("/collections/<collection_id>/items")
def items(collection_id: str) -> Response:
    layer = catalogue().get(collection_id)
    fmt = http.negotiate(ITEMS_FORMATS)
    default, maximum = limits()
    limit = parse_int(request.args, "limit", default, minimum=1, maximum=maximum)
    offset = parse_int(request.args, "offset", 0, minimum=0, maximum=10**15)
    cs = crs_output.requested(request.args, lambda: collection_extent(layer))
    if fmt == "csv":
        crs_output.only_crs84(cs, "CSV")
    etag, modified, cached = _validated()
    if cached is not None:
        return cached
    selection = select(
        index_cache(), layer, store(), request.args, guard.fields(layer), ITEMS_RESERVED
    )
    page = selection.page(offset, limit)
    page = Page(crs_output.encoder(page.encoder, cs), page.positions)
    if fmt == "csv":
        from geo.features.export import csv_chunks

        body = b"".join(csv_chunks(page.encoder, page.positions))
        response = Response(body, mimetype=http.MEDIA["csv"])
        if page.encoder.has_synthetic(page.positions):
            response.headers["X-Coopmap-Notice"] = SYNTHETIC_NOTICE
        return http.stamp(response, etag, modified)
    doc = _feature_collection(selection, page, offset, limit, fmt)
    if fmt == "html":
        response = _render(
            fmt,
            doc,
            "ogc_items.html",
            layer=layer,
            fields=page.encoder.fields,
            offset=offset,
            axes=cs.axis_names,
            decimals=5 if cs.geographic else 2,
            **ogc_html.map_context(
                {"features": ogc_html.geometries(page.encoder, page.positions, doc["features"])}, "ogc_map_items"
            ),
        )
    else:
        response = _json(doc, http.MEDIA["json"])
    return http.stamp(crs_output.stamp(response, cs), etag, modified)


def collection_extent(layer: Layer) -> list[float] | None:
    """The bbox of ``layer`` as the caller sees it (None when it has no features)."""
    return overview(index_cache(), layer, store(), guard.fields(layer))[0]


def _feature_collection(
    selection: Selection, page: Page, offset: int, limit: int, fmt: str
) -> dict[str, Any]:
    layer = selection.layer
    encoder = page.encoder
    links = self_links(fmt, ITEMS_FORMATS, {**JSON_MEDIA, "json": http.MEDIA["json"]})
    links += paging_links(
        offset, limit, selection.matched, http.MEDIA["json"] if fmt == "json" else JSON_MEDIA[fmt]
    )
    links.append(
        link(
            url_for(".collection", collection_id=layer.id, _external=True),
            "collection",
            "application/json",
            layer.title,
        )
    )
    doc: dict[str, Any] = {
        "type": "FeatureCollection",
        "numberMatched": selection.matched,
        "numberReturned": len(page.positions),
        "timeStamp": dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "links": links,
        "attribution": layer.attribution,
        "licence": layer.licence,
        "dataVersion": store().data_version,
    }
    if encoder.has_synthetic(page.positions):
        doc["notice"] = SYNTHETIC_NOTICE
    doc["features"] = encoder.features(page.positions)
    return doc


@bp.get("/collections/<collection_id>/items/<feature_id>")
def item(collection_id: str, feature_id: str) -> Response:
    layer = catalogue().get(collection_id)
    fmt = http.negotiate(PAGE_FORMATS)
    allowed = set(SOURCE_PARAMS) if layer.source.computed else set(layer.source.forwarded)
    unknown = sorted(set(request.args) - allowed - {"f", "crs"})
    if unknown:
        from geo.errors import InvalidParameter

        raise InvalidParameter(
            unknown[0], request.args[unknown[0]], "unknown parameter for a single feature"
        )
    cs = crs_output.requested(request.args, lambda: collection_extent(layer))
    etag, modified, cached = _validated()
    if cached is not None:
        return cached
    found = find(index_cache(), layer, store(), request.args, guard.fields(layer), feature_id)
    if found is None:
        record = registry_api.record_response(layer.id, feature_id)  # a project's own id (UPS, not UPS-1)
        if record is not None:
            return record
        raise NotFound(f"feature {feature_id!r} not found in collection {layer.id!r}")
    found = Page(crs_output.encoder(found.encoder, cs), found.positions)
    feature = found.encoder.features(found.positions)[0]
    feature["links"] = [
        *self_links(fmt, PAGE_FORMATS, {**JSON_MEDIA, "json": http.MEDIA["json"]}),
        link(
            url_for(".collection", collection_id=layer.id, _external=True),
            "collection",
            "application/json",
            layer.title,
        ),
    ]
    if found.encoder.has_synthetic(found.positions):
        feature["notice"] = SYNTHETIC_NOTICE
    if fmt == "html":
        response = _render(
            fmt, feature, "ogc_item.html", layer=layer, fields=found.encoder.fields, axes=cs.axis_names,
            **ogc_html.map_context(
                {"features": ogc_html.geometries(found.encoder, found.positions, [feature])}, "ogc_map_item"
            ),
        )
    else:
        response = _json(feature, http.MEDIA["json"])
    # a Part 4 If-Match takes the record's own ETag (of its CRS84 representation)
    record_etag = registry_api.record_etag(layer.id, feature_id) if "crs" not in request.args else None
    return http.stamp(crs_output.stamp(response, cs), record_etag or etag, modified, weak=record_etag is None)
