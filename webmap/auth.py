"""Who is asking: bearer tokens for the API, a login session for the map pages.

``current_role()`` is what views (and ``webmap/guard.py``) use. No credentials means ``public``;
a bearer token that is unknown or revoked is a 401, never a silent downgrade, so a client with
a stale token notices.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    request,
    session,
    url_for,
)

from geo.types import Role
from layers.tokens import SECRET_NAME, TokenRecord, TokenStore
from webmap.errors import WebError
from webmap.options import SecurityOptions

bp = Blueprint("auth", __name__)

SESSION_KEY = "sid"
"""The session id (``TokenStore.create_session``) in the signed cookie: checked on every request."""
SESSION_LIFETIME = timedelta(hours=8)
CSRF_KEY = "csrf"


@dataclass(frozen=True)
class Identity:
    """The caller of the current request."""

    role: Role = "public"
    name: str | None = None
    """Token name: the rate-limit key of authenticated callers."""
    via: Literal["token", "session", "none"] = "none"
    invalid: bool = False
    """A bearer token was sent and is not valid."""


def init_auth(app: Flask, options: SecurityOptions) -> None:
    """Configure the session cookie and secret, the token store and the identity check."""
    if not app.config.get("SECRET_KEY"):
        # the store's secret: the same for every worker, server and restart
        app.config["SECRET_KEY"] = app.extensions["coopmap.store"].secret(SECRET_NAME)
    app.config.update(
        SESSION_COOKIE_NAME="coopmap_session",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        SESSION_COOKIE_SECURE=options.cookie_secure,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
    )
    app.before_request(_reject_invalid_token)


def tokens_of(app: Flask) -> TokenStore:
    """The app's token store (``create_app(tokens=...)``)."""
    return app.extensions["coopmap.tokens"]


def tokens() -> TokenStore:
    return tokens_of(current_app)


def identify() -> Identity:
    """The caller of this request (computed once per request, cached on ``g``)."""
    found = g.get("coopmap_identity")
    if found is None:
        found = _identify()
        g.coopmap_identity = found
    return found


def current_role() -> Role:
    """The role of the caller: what ``layers.access`` decides on. ``public`` without credentials."""
    return identify().role


def _identify() -> Identity:
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        record = tokens().lookup(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
        if record is None:
            return Identity(invalid=True)
        return Identity(record.role, record.name, "token")
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str):
        record = tokens().check_session(session_id)
        if record is not None:
            return Identity(record.role, record.name, "session")
        session.pop(SESSION_KEY, None)  # ended (logout, revoked token, expired): the caller is public
    return Identity()


def _reject_invalid_token() -> Response | None:
    if not identify().invalid:
        return None
    response = jsonify(
        {"code": "InvalidToken", "description": "the bearer token in Authorization is unknown or revoked"}
    )
    response.status_code = 401
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def csrf_token() -> str:
    """The session's CSRF token, created on first use; put it in every form that POSTs."""
    token = session.get(CSRF_KEY)
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session[CSRF_KEY] = token
    return token


def check_csrf() -> None:
    """Raise a 400 unless the form's ``csrf_token`` (or the ``X-CSRF-Token`` header of a script's
    request) matches the session's."""
    sent = request.form.get("csrf_token", "") or request.headers.get("X-CSRF-Token", "")
    expected = session.get(CSRF_KEY)
    if not isinstance(expected, str) or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise WebError(f"invalid csrf_token={sent[:16]!r}: reload the form and try again")


def _safe_next(target: str | None) -> str:
    """Only a local path: ``next`` must not send users to another site."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


_PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>coopmap — {{ title }}</title>
<style nonce="{{ g.csp_nonce }}">body{font-family:sans-serif;max-width:28rem;margin:4rem auto;padding:0 1rem}
label,input,button{display:block;width:100%;margin:.4rem 0}input{padding:.4rem}.err{color:#a40000;margin:.2rem 0}
input[aria-invalid=true]{border:2px solid #a40000}:focus-visible{outline:3px solid #1f4e9c;outline-offset:2px}</style>
</head><body><main><h1>coopmap</h1>
{% if who %}<p>Signed in as <strong>{{ who.name }}</strong> ({{ who.role }}).</p>{% endif %}
<form method="post" action="{{ action }}">
<input type="hidden" name="csrf_token" value="{{ csrf }}">
{% if action == "/login" %}<input type="hidden" name="next" value="{{ next }}">
<label for="token">Access token</label>
<input id="token" name="token" type="password" autocomplete="current-password" required
{%- if error %} aria-invalid="true" aria-describedby="token-error"{% endif %}>
{% if error %}<p class="err" id="token-error" role="alert">{{ error }}</p>{% endif %}
<button type="submit">Sign in</button>{% else %}<button type="submit">Sign out</button>{% endif %}
</form></main></body></html>"""


def _page(title: str, action: str, status: int = 200, error: str = "") -> Response:
    who = identify() if identify().via == "session" else None
    template = current_app.extensions.get("coopmap.login_template")
    if template is None:  # compiled once per app: compiling costs more than the rest of the request
        template = current_app.extensions["coopmap.login_template"] = current_app.jinja_env.from_string(_PAGE)
    html = template.render(title=title, action=action, error=error, who=who, g=g,
                           csrf=csrf_token(), next=_safe_next(request.values.get("next")))
    response = current_app.make_response((html, status))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/login")
def login_form() -> Response:
    return _page("sign in", "/login")


@bp.post("/login")
def login() -> Response:
    check_csrf()
    record: TokenRecord | None = tokens().lookup(request.form.get("token", "").strip())
    if record is None:
        return _page("sign in", "/login", 401, "This token is not recognised (unknown or revoked).")
    _end_session()
    session.clear()  # a fresh session, and a fresh CSRF token, for the signed-in user
    session[SESSION_KEY] = tokens().create_session(record.id, SESSION_LIFETIME)
    session.permanent = True
    return redirect(_safe_next(request.form.get("next")), code=303)


@bp.get("/logout")
def logout_form() -> Response:
    return _page("sign out", "/logout")


@bp.post("/logout")
def logout() -> Response:
    check_csrf()
    _end_session()
    session.clear()
    return redirect(url_for("auth.login_form"), code=303)  # relative, under COOPMAP_BASE_URL's path


def _end_session() -> None:
    """Delete this cookie's session on the server: a copy of the cookie no longer signs anyone in."""
    session_id = session.get(SESSION_KEY)
    if isinstance(session_id, str):
        tokens().revoke_session(session_id)
