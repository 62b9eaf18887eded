"""``/health``: what a load balancer asks each server before sending it requests.

``GET /health`` answers JSON ``{"status", "store", "redis", "data_version"}``:

- ``status`` is ``ok``, ``degraded`` (the shared rate-limit store, Redis, does not answer: limits
  are counted per process until it returns) or ``unavailable`` (the store does not answer: the
  server cannot serve data), with HTTP 200, 200 and 503 respectively;
- ``store`` is ``{"kind": "embedded" | "postgis", "status": "ok" | "unavailable"}``;
- ``redis`` is ``{"status": "ok" | "unavailable" | "not configured"}``.

It is exempt from rate limits and holds no address, credential or error text.
"""

from __future__ import annotations

import logging

import orjson
from flask import Blueprint, Flask, Response, current_app

from geo.errors import StoreUnavailable
from webmap.context import raw_store

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)

REDIS_TIMEOUT_S = 0.5


@bp.get("/health")
def health() -> Response:
    store = raw_store()
    kind = "postgis" if type(store).__name__ == "PostgisStore" else "embedded"
    doc: dict = {"status": "ok", "store": {"kind": kind, "status": "ok"}, "redis": {"status": _redis_status()}}
    try:
        doc["data_version"] = store.data_version
    except StoreUnavailable:
        doc["store"]["status"] = doc["status"] = "unavailable"
    if doc["status"] == "ok" and doc["redis"]["status"] == "unavailable":
        doc["status"] = "degraded"
    response = Response(orjson.dumps(doc), mimetype="application/json")
    response.headers["Cache-Control"] = "no-store"
    if doc["status"] == "unavailable":
        response.status_code = 503
        response.headers["Retry-After"] = str(StoreUnavailable.retry_after)
    return response


def _redis_status() -> str:
    url = current_app.extensions["coopmap.security_options"].redis_url
    if not url:
        return "not configured"
    import redis

    client = current_app.extensions.get("coopmap.redis")
    if client is None:
        client = redis.Redis.from_url(url, socket_timeout=REDIS_TIMEOUT_S, socket_connect_timeout=REDIS_TIMEOUT_S)
        current_app.extensions["coopmap.redis"] = client
    try:
        client.ping()
    except redis.RedisError:
        log.warning("Redis at COOPMAP_REDIS_URL does not answer: rate limits are per process until it returns")
        return "unavailable"
    return "ok"


def init_health(app: Flask) -> None:
    """Register ``/health`` on ``app``, exempt from the rate limits."""
    app.register_blueprint(bp)
    limiter = app.extensions.get("coopmap.limiter")
    if limiter is not None:
        limiter.exempt(bp)
