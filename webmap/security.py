"""Security headers, the CSP nonce, rate limits and the reverse-proxy fix.

Headers on every response (``after_request``)::

    Content-Security-Policy: default-src 'self'; script-src 'self' 'nonce-<per response>'; ...
                             (SVG: default-src 'none'; style-src 'unsafe-inline'; frame-ancestors ...)
    X-Content-Type-Options: nosniff
    Referrer-Policy: no-referrer
    Cache-Control: private, no-store     (when the response holds restricted data)
    Vary: Authorization, Cookie          (when the response depends on the caller's role)

Pages with inline ``<script>``/``<style>`` (Folium) add ``nonce="{{ g.csp_nonce }}"`` to each, or
pass their rendered HTML through :func:`add_nonce`.
"""

from __future__ import annotations

import logging
import math
import re
import secrets
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Response, g, jsonify, request
from flask_limiter import Limiter, RateLimitExceeded
from limits import parse_many
from werkzeug.middleware.proxy_fix import ProxyFix

from webmap.auth import identify, init_auth
from webmap.options import SecurityOptions, security_options

log = logging.getLogger(__name__)

_TAG = re.compile(r"<(script|style)\b(?![^>]*\snonce=)", re.IGNORECASE)


def csp_nonce() -> str:
    """This response's CSP nonce (also ``g.csp_nonce`` and ``{{ csp_nonce() }}`` in templates)."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(18)
    return nonce


def add_nonce(html: str) -> str:
    """Add this response's nonce to every ``<script>`` and ``<style>`` tag of rendered HTML.

    Only for HTML whose data texts are already escaped (as every page's must be): a tag that came
    from data would be ``&lt;script`` and is left alone.
    """
    nonce = csp_nonce()
    return _TAG.sub(lambda m: f'<{m.group(1)} nonce="{nonce}"', html)


def mark_restricted() -> None:
    """Flag this response as holding restricted data: it gets ``Cache-Control: private, no-store``."""
    g.coopmap_restricted = True


def mark_role_dependent() -> None:
    """Flag this response as depending on the caller's role: it gets ``Vary: Authorization, Cookie``."""
    g.coopmap_role_dependent = True


def content_security_policy(nonce: str, frame_ancestors: str) -> str:
    """The CSP of every response: only this service, inline code only with the nonce."""
    return "; ".join((
        "default-src 'self'",
        f"script-src 'self' 'nonce-{nonce}'",
        # Leaflet and Folium set style attributes in the HTML they build: a nonce cannot cover those.
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: blob:",
        "font-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        f"frame-ancestors {frame_ancestors}",
    ))


SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
"""The CSP of SVG responses (the country chart, SVG snapshots): matplotlib's SVG holds one inline
``<style>`` element and ``style`` attributes, refers only to its own ``#ids`` (glyph paths, clip
paths) and has no script, font, image or link: nothing else is allowed to load or run."""


def init_access_control(app: Flask) -> None:
    """Register identity, the login pages, headers, rate limits and the proxy fix on ``app``.

    Options come from ``app.config`` or the environment (``webmap/options.py``).
    """
    from webmap import auth

    options = security_options(app.config)
    app.extensions["coopmap.security_options"] = options
    init_auth(app, options)
    limiter = init_security(app, options)
    app.register_blueprint(auth.bp)
    # for templates: <script nonce="{{ csp_nonce() }}">, {{ csrf_token() }} in forms, the role
    app.jinja_env.globals.update(csp_nonce=csp_nonce, csrf_token=auth.csrf_token,
                                 current_role=auth.current_role)
    if options.rate_limit_enabled:
        app.view_functions["auth.login"] = limiter.limit(
            options.login_rate_limit, key_func=lambda: f"login:{request.remote_addr or 'unknown'}",
            methods=["POST"])(app.view_functions["auth.login"])
        init_auth_failure_limit(app, limiter, options.auth_failure_limit)


def init_auth_failure_limit(app: Flask, limiter: Limiter, limit: str) -> None:
    """Count failed authentications per client address; past ``limit``, refuse credentials with 429.

    A failure is a 401 answered to a request that presented credentials: an unknown or revoked
    bearer token (refused before any view or the general limiter runs) or a wrong token on the
    login form. While the address is over the limit, every request from it that presents
    credentials gets 429 with ``Retry-After`` before the token is even looked up, so a valid
    token guessed during the lock-out is not confirmed; requests without credentials (public
    browsing from the same address) and other addresses are unaffected.
    """
    items = parse_many(limit)

    def key() -> str:
        return f"auth-failure:{request.remote_addr or 'unknown'}"

    def presents_credentials() -> bool:
        return "Authorization" in request.headers or (request.method == "POST" and request.endpoint == "auth.login")

    def refuse_when_over() -> Response | None:
        if not presents_credentials():
            return None
        try:
            over = [item for item in items if not limiter.limiter.test(item, key())]
            reset = max((limiter.limiter.get_window_stats(item, key()).reset_time for item in over), default=0)
        except Exception:  # the shared counter store is down: flask-limiter falls back on its next check
            log.warning("failed-authentication counts unavailable (rate-limit storage unreachable)", exc_info=True)
            return None
        if not over:
            return None
        response = jsonify({"code": "TooManyRequests",
                            "description": f"too many failed authentications from this address (limit {limit})"})
        response.status_code = 429
        response.headers["Retry-After"] = str(max(1, math.ceil(reset - time.time())))
        return response

    def count_failure(response: Response) -> Response:
        if response.status_code == 401 and presents_credentials():
            try:
                for item in items:
                    limiter.limiter.hit(item, key())
            except Exception:
                log.warning("failed authentication not counted (rate-limit storage unreachable)", exc_info=True)
        return response

    # first of all before_request functions: ahead of the invalid-token 401 and the general limiter
    app.before_request_funcs.setdefault(None, []).insert(0, refuse_when_over)
    app.after_request(count_failure)


SHARED_STORAGE_OPTIONS = {"socket_connect_timeout": 0.5, "socket_timeout": 0.5}
"""Redis client options: a Redis that does not answer within 0.5 s counts as down."""


def init_security(app: Flask, options: SecurityOptions) -> Limiter:
    """Register the headers, the proxy fix and the rate limiter on ``app``; return the limiter."""
    if options.base_url:  # inside the proxy fix: the configured address wins over X-Forwarded-Host
        app.wsgi_app = PublicBaseURL(app.wsgi_app, options.base_url)  # type: ignore[method-assign]
    if options.proxy_hops:
        hops = options.proxy_hops
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops, x_port=hops)  # type: ignore[method-assign]
    shared = not options.rate_limit_storage.startswith("memory://")
    limiter = Limiter(
        key_func=rate_key,
        app=app,
        default_limits=[options.rate_limit] if options.rate_limit_enabled else [],
        storage_uri=options.rate_limit_storage,
        # a shared store that stops answering degrades to per-process limits (flask-limiter logs a
        # warning and checks the store again with backoff), never to an outage
        storage_options=SHARED_STORAGE_OPTIONS if shared else {},
        in_memory_fallback_enabled=shared,
        key_prefix="coopmap",
        headers_enabled=True,
        enabled=options.rate_limit_enabled,
        strategy="fixed-window",  # O(1) per request; moving-window keeps every hit
    )
    app.extensions["coopmap.limiter"] = limiter

    @app.errorhandler(RateLimitExceeded)
    def _too_many(exc: RateLimitExceeded) -> Response:
        response = jsonify({"code": "TooManyRequests", "description": f"rate limit exceeded: {exc.description}"})
        response.status_code = 429
        return response

    @app.after_request
    def _headers(response: Response) -> Response:
        headers = response.headers
        if response.mimetype == "image/svg+xml":
            headers["Content-Security-Policy"] = f"{SVG_POLICY}; frame-ancestors {options.frame_ancestors}"
        else:
            headers["Content-Security-Policy"] = content_security_policy(csp_nonce(), options.frame_ancestors)
        headers["X-Content-Type-Options"] = "nosniff"
        headers["Referrer-Policy"] = "no-referrer"
        headers["Cross-Origin-Opener-Policy"] = "same-origin"
        headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=(), payment=()"
        if options.frame_ancestors == "'none'":
            headers["X-Frame-Options"] = "DENY"
        elif options.frame_ancestors == "'self'":
            headers["X-Frame-Options"] = "SAMEORIGIN"
        if request.is_secure:
            headers["Strict-Transport-Security"] = "max-age=31536000"
        if g.get("coopmap_restricted") or identify().via != "none":
            headers["Cache-Control"] = "private, no-store"
            if not g.get("coopmap_record_etag"):  # a registry record's ETag is for If-Match: kept
                headers.pop("ETag", None)
        if g.get("coopmap_role_dependent") or g.get("coopmap_restricted"):
            response.vary.add("Authorization")
            response.vary.add("Cookie")
        return response

    return limiter


class PublicBaseURL:
    """WSGI middleware: every request is seen at the configured public address.

    Scheme, host and port (and the path prefix, as ``SCRIPT_NAME``) come from ``base_url``, so
    ``url_for(..., _external=True)``, ``request.host_url`` and redirects never echo a Host
    header chosen by the client (a poisoned cache or a permalink to another site).
    """

    def __init__(self, app: Callable[..., Any], base_url: str) -> None:
        parts = urlsplit(base_url)
        self.app = app
        self.scheme = parts.scheme
        self.host = parts.netloc
        self.server_name = parts.hostname or ""
        self.port = str(parts.port or (443 if parts.scheme == "https" else 80))
        self.prefix = parts.path.rstrip("/")

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        environ.update({"wsgi.url_scheme": self.scheme, "HTTP_HOST": self.host, "SERVER_NAME": self.server_name,
                        "SERVER_PORT": self.port, "SCRIPT_NAME": self.prefix})
        return self.app(environ, start_response)


def rate_key() -> str:
    """The rate-limit bucket: the token name for authenticated callers, else the client address."""
    who = identify()
    if who.name is not None:
        return f"token:{who.name}"
    return f"ip:{request.remote_addr or 'unknown'}"
