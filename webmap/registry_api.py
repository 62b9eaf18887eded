"""OGC API - Features Part 4 (create, replace, update, delete) on the registry collections
(``projects``, ``envr``), and each record's history, under ``/ogc``.

Views parse the request and call ``layers.registry_edit``, which validates, keeps the history and
applies the role rules of ``layers.access``. Callers authenticate as for reading (bearer token or
the login session, ``webmap.auth``); a cookie session must also send its CSRF token
(``X-CSRF-Token`` header or ``csrf_token`` form field), a bearer token need not.
"""

from __future__ import annotations

from typing import Any

import orjson
from flask import Blueprint, Response, g, jsonify, request, url_for

from geo.errors import CoopmapError, InvalidParameter, RecordNotFound
from geo.i18n import pick_language
from layers import registry_edit
from layers.access import at_least, hidden_record_fields
from layers.catalogue import CATALOGUE
from layers.registry_edit import Editor, Item
from webmap.auth import check_csrf, identify
from webmap.context import raw_store
from webmap.errors import WebError

bp = Blueprint("registry_api", __name__, url_prefix="/ogc")

EDITABLE = tuple(registry_edit.REGISTRY_LAYERS)
"""The collections that take Part 4 requests."""
GEOJSON = "application/geo+json"
MERGE_PATCH = "application/merge-patch+json"
JSON_BODIES = ("application/json", GEOJSON)
CONFORMANCE = [
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update",
    "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/features",
]
"""The Part 4 conformance classes this service implements (listed in ``/ogc/conformance``)."""


class Unauthenticated(CoopmapError):
    """A write without credentials: 401, with ``WWW-Authenticate``."""

    status = 401
    code = "Unauthorized"


@bp.errorhandler(Unauthenticated)
def _unauthenticated(exc: Unauthenticated) -> Response:
    response = jsonify({"code": exc.code, "description": exc.description})
    response.status_code = exc.status
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


class UnsupportedMedia(CoopmapError):
    status = 415
    code = "UnsupportedMediaType"


def _editor() -> Editor:
    """The caller as an editor; 401 without credentials, CSRF checked for cookie sessions."""
    who = identify()
    if who.via == "none":
        raise Unauthenticated("writing needs credentials: a bearer token (Authorization) or a signed-in session")
    if who.via == "session":
        check_csrf()
    lang = pick_language(request.args, request.accept_languages)
    return Editor(who.name or who.role, who.role, lang)


def _collection(collection_id: str) -> str:
    if collection_id not in EDITABLE:
        raise WebError(f"invalid collection={collection_id!r}: only {', '.join(EDITABLE)} take changes")
    return collection_id


def _body(media: tuple[str, ...]) -> dict[str, Any]:
    kind = (request.mimetype or "").lower()
    if kind not in media:
        raise UnsupportedMedia(
            f"Content-Type {request.mimetype or 'none'!r} is not accepted here: use {' or '.join(media)}")
    try:
        body = orjson.loads(request.get_data())
    except orjson.JSONDecodeError as exc:
        raise InvalidParameter("body", request.get_data()[:40].decode(errors="replace"), f"not JSON: {exc}") from None
    if not isinstance(body, dict):
        raise InvalidParameter("body", type(body).__name__, "send a JSON object")
    return body


def _feature(body: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any] | None]:
    """The properties and geometry of a GeoJSON Feature body."""
    if body.get("type") != "Feature":
        raise InvalidParameter("type", body.get("type"), "send a GeoJSON Feature")
    properties = body.get("properties") or {}
    geometry = body.get("geometry")
    if not isinstance(properties, dict):
        raise InvalidParameter("properties", type(properties).__name__, "send an object")
    if geometry is not None and not isinstance(geometry, dict):
        raise InvalidParameter("geometry", type(geometry).__name__, "send a GeoJSON geometry or null")
    return properties, geometry


def feature_response(found: Item, collection_id: str, status: int = 200) -> Response:
    """``found`` as GeoJSON for the caller's role, with its ETag; never cached by others."""
    shown = registry_edit.visible(found, collection_id, identify().role)
    document = shown.feature()
    document["coopmap"] = {"version": found.version, "retired": found.retired}
    document["links"] = [{
        "href": url_for("features.item", collection_id=collection_id, feature_id=found.id, _external=True),
        "rel": "self", "type": GEOJSON,
    }, {
        "href": url_for("registry_api.history", collection_id=collection_id, feature_id=found.id, _external=True),
        "rel": "version-history", "type": "application/json",
    }]
    response = Response(orjson.dumps(document), status=status, mimetype=GEOJSON)
    return _private(response, found.etag)


def _private(response: Response, etag: str | None = None) -> Response:
    if etag is not None:
        response.set_etag(etag)
        g.coopmap_record_etag = True  # kept for every caller (webmap.security): If-Match needs it
    response.cache_control.private = True
    response.cache_control.no_store = True
    return response


@bp.post("/collections/<collection_id>/items")
def create(collection_id: str) -> Response:
    collection_id = _collection(collection_id)
    editor = _editor()
    properties, geometry = _feature(_body(JSON_BODIES))
    made = registry_edit.create(raw_store(), editor, collection_id, properties, geometry)
    response = feature_response(made, collection_id, 201)
    response.headers["Location"] = url_for("features.item", collection_id=collection_id, feature_id=made.id,
                                           _external=True)
    return response


@bp.put("/collections/<collection_id>/items/<feature_id>")
def replace(collection_id: str, feature_id: str) -> Response:
    collection_id = _collection(collection_id)
    editor = _editor()
    properties, geometry = _feature(_body(JSON_BODIES))
    done = registry_edit.replace(raw_store(), editor, collection_id, feature_id, properties, geometry,
                                 request.headers.get("If-Match"))
    return feature_response(done, collection_id)


@bp.patch("/collections/<collection_id>/items/<feature_id>")
def update(collection_id: str, feature_id: str) -> Response:
    """A JSON merge patch (RFC 7396) of the feature: ``properties`` members set (null clears one),
    ``geometry`` replaced when present (null: placed from its sites, city or countries)."""
    collection_id = _collection(collection_id)
    editor = _editor()
    body = _body((MERGE_PATCH, "application/json"))
    unknown = sorted(set(body) - {"type", "properties", "geometry"})
    if unknown:
        raise InvalidParameter(unknown[0], body[unknown[0]], "a patch sets properties and geometry only")
    changes = body.get("properties") or {}
    if not isinstance(changes, dict):
        raise InvalidParameter("properties", type(changes).__name__, "send an object")
    geometry = body["geometry"] if "geometry" in body else registry_edit.KEEP
    done = registry_edit.patch(raw_store(), editor, collection_id, feature_id, changes,
                               request.headers.get("If-Match"), geometry=geometry)
    return feature_response(done, collection_id)


@bp.delete("/collections/<collection_id>/items/<feature_id>")
def delete(collection_id: str, feature_id: str) -> Response:
    """Retire the record (admin): it leaves the collection and stays in its history."""
    collection_id = _collection(collection_id)
    editor = _editor()
    registry_edit.retire(raw_store(), editor, collection_id, feature_id, request.headers.get("If-Match"))
    return _private(Response(status=204))


@bp.get("/collections/<collection_id>/items/<feature_id>/history")
def history(collection_id: str, feature_id: str) -> Response:
    """Every version of the record: who, when, what, and each changed field's old and new value."""
    collection_id = _collection(collection_id)
    who = identify()
    if not at_least(who.role, "planner"):
        raise RecordNotFound(collection_id, feature_id)  # the public does not learn who edits what
    versions = registry_edit.history(raw_store(), collection_id, feature_id)
    hidden = hidden_record_fields(CATALOGUE.get(collection_id), who.role)
    document = {
        "id": registry_edit.item(raw_store(), collection_id, feature_id).id,
        "collection": collection_id,
        "versions": [{
            "version": v.version, "action": v.action, "actor": v.actor, "at": v.at, "retired": v.retired,
            "etag": v.etag,
            "changes": {k: {"from": a, "to": b} for k, (a, b) in v.changes.items() if k not in hidden},
        } for v in versions],
    }
    return _private(Response(orjson.dumps(document), mimetype="application/json"))


def record_response(collection_id: str, feature_id: str) -> Response | None:
    """The record ``feature_id`` names, for a GET of an item the collection's features do not
    have (a project's own id, ``UPS``, beside its sites ``UPS-1``...): planner role and above;
    None otherwise (the caller answers 404)."""
    if collection_id not in EDITABLE or not at_least(identify().role, "planner"):
        return None
    try:
        found = registry_edit.item(raw_store(), collection_id, feature_id)
    except RecordNotFound:
        return None
    return None if found.retired else feature_response(found, collection_id)


def record_etag(collection_id: str, feature_id: str) -> str | None:
    """The ETag of the record behind the feature ``feature_id`` (the one ``If-Match`` takes), or
    None when it is not a registry record."""
    if collection_id not in EDITABLE:
        return None
    try:
        etag = registry_edit.item(raw_store(), collection_id, feature_id).etag
    except RecordNotFound:
        return None
    g.coopmap_record_etag = True
    return etag
