"""Security headers, cookies, CSRF, limits, and the guard that views read layers through."""

from __future__ import annotations

import orjson
import pytest
from flask import Blueprint, Response

from geo.errors import InvalidParameter
from layers.tokens import FileTokenStore
from tests.test_access import ITURI_SITE, MALI_SITE, sites
from webmap import guard
from webmap.security import add_nonce


def _app(app_factory, **config):
    app = app_factory(**{"COOPMAP_COOKIE_SECURE": False, **config})
    bp = Blueprint("probe", __name__)

    @bp.get("/probe/<layer_id>")
    def probe(layer_id: str) -> Response:
        frame = guard.read(layer_id)
        return Response(frame.to_json(), mimetype="application/geo+json")

    @bp.get("/probe-layers")
    def probe_layers() -> Response:
        return Response(orjson.dumps([layer.id for layer in guard.layers()]), mimetype="application/json")

    @bp.get("/probe-page")
    def probe_page() -> str:
        return add_nonce("<html><head><style>b{}</style><script>var a=1;</script></head>"
                         "<body>&lt;script&gt;alert(1)&lt;/script&gt;</body></html>")

    app.register_blueprint(bp)
    return app


def _coords_in(body: bytes, values=(*ITURI_SITE, *MALI_SITE)) -> list[float]:
    """Site coordinates found in ``body``: full text, rounded to 4 places or cut after 4."""
    return [
        v for v in values if any(n.encode() in body for n in (repr(v), f"{v:.4f}", repr(v)[: repr(v).index(".") + 5]))
    ]


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]


def _assert_security_headers(response, frame_ancestors="'self'"):
    csp = dict(part.strip().split(" ", 1) for part in response.headers["Content-Security-Policy"].split(";"))
    assert csp["default-src"] == "'self'"
    assert csp["script-src"].startswith("'self' 'nonce-") and "unsafe-inline" not in csp["script-src"]
    assert csp["img-src"] == "'self' data: blob:"
    assert csp["object-src"] == "'none'"
    assert csp["frame-ancestors"] == frame_ancestors
    assert "http" not in response.headers["Content-Security-Policy"].replace("https://briefing.example", "")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"


def test_security_headers_on_200_404_400_and_401(app_factory):
    client = _app(app_factory).test_client()
    ok = client.get("/")
    missing = client.get("/no/such/page")
    bad = client.post("/login", data={"csrf_token": "forged", "token": "x"})
    unauthorised = client.get("/", headers={"Authorization": "Bearer nope"})
    assert [r.status_code for r in (ok, missing, bad, unauthorised)] == [200, 404, 400, 401]
    for response in (ok, missing, bad, unauthorised):
        _assert_security_headers(response)
    assert bad.json["code"] == "InvalidParameterValue" and "csrf_token" in bad.json["description"]


def test_frame_ancestors_is_configurable_and_validated(app_factory, monkeypatch):
    client = _app(app_factory, COOPMAP_FRAME_ANCESTORS="'self' https://briefing.example").test_client()
    _assert_security_headers(client.get("/"), "'self' https://briefing.example")
    with pytest.raises(InvalidParameter, match="COOPMAP_FRAME_ANCESTORS"):
        _app(app_factory, COOPMAP_FRAME_ANCESTORS="'self'; script-src *")
    monkeypatch.setenv("COOPMAP_RATE_LIMIT", "lots")
    with pytest.raises(InvalidParameter, match="COOPMAP_RATE_LIMIT"):
        _app(app_factory)


def test_nonce_of_the_response_is_on_inline_tags_only(app_factory):
    response = _app(app_factory).test_client().get("/probe-page")
    html = response.get_data(as_text=True)
    nonce = response.headers["Content-Security-Policy"].split("'nonce-")[1].split("'")[0]
    assert html.count(f'nonce="{nonce}"') == 2
    assert "&lt;script&gt;alert(1)" in html
    again = _app(app_factory).test_client().get("/probe-page")
    assert again.headers["Content-Security-Policy"] != response.headers["Content-Security-Policy"]


def test_session_cookie_is_httponly_samesite_strict_and_secure_by_default(home, app_factory):
    FileTokenStore(home).create("dana", "planner")
    for secure in (False, True):
        app = _app(app_factory, COOPMAP_COOKIE_SECURE=secure)
        client = app.test_client()
        form = client.get("/login", base_url="https://localhost")
        cookie = form.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert ("Secure" in cookie) is secure
        assert form.headers["Cache-Control"] == "private, no-store"
    assert app_factory().config["SESSION_COOKIE_SECURE"] is True


def test_login_without_the_forms_csrf_token_is_rejected(home, app_factory):
    token = FileTokenStore(home).create("erin", "planner")
    client = _app(app_factory).test_client()
    client.get("/login")
    for data in ({"token": token}, {"token": token, "csrf_token": "x" * 43}):
        response = client.post("/login", data=data)
        assert response.status_code == 400
    other = _app(app_factory).test_client()  # a CSRF token from another session does not work either
    csrf = _csrf(client.get("/login").get_data(as_text=True))
    assert other.post("/login", data={"token": token, "csrf_token": csrf}).status_code == 400
    assert client.post("/login", data={"token": token, "csrf_token": csrf}).status_code == 303


def test_rate_limit_answers_429_json_with_retry_after(home, app_factory):
    client = _app(app_factory, COOPMAP_RATE_LIMIT="3 per minute").test_client()
    statuses = [client.get("/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/")
    assert limited.status_code == 429 and limited.json["code"] == "TooManyRequests"
    assert 0 < int(limited.headers["Retry-After"]) <= 60
    _assert_security_headers(limited)
    token = FileTokenStore(home).create("frank", "planner")  # a token has its own bucket
    assert client.get("/", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_login_attempts_have_their_own_stricter_limit(app_factory):
    client = _app(app_factory, COOPMAP_LOGIN_RATE_LIMIT="2 per minute").test_client()
    csrf = _csrf(client.get("/login").get_data(as_text=True))
    codes = [client.post("/login", data={"csrf_token": csrf, "token": "guess"}).status_code for _ in range(3)]
    assert codes == [401, 401, 429]


def test_request_bodies_over_the_maximum_are_refused(app_factory):
    client = _app(app_factory).test_client()
    response = client.post("/login", data={"token": "x" * (2 << 20)})
    assert response.status_code == 413
    _assert_security_headers(response)


def test_guard_serves_generalised_sites_to_the_public_and_exact_ones_to_planners(app, home, app_factory):
    app.extensions["coopmap.store"].write("projects", sites(), ["test"])
    client = _app(app_factory).test_client()
    planner = FileTokenStore(home).create("gail", "planner")
    public = client.get("/probe/projects")
    assert public.status_code == 200
    body = public.get_data()
    assert _coords_in(body) == []
    assert b"budget_eur" not in body
    assert {f["properties"]["generalised"] for f in orjson.loads(body)["features"]} == {"country"}
    assert "no-store" not in public.headers.get("Cache-Control", "")
    assert "Authorization" in public.vary

    exact = client.get("/probe/projects", headers={"Authorization": f"Bearer {planner}"})
    coords = [f["geometry"]["coordinates"] for f in orjson.loads(exact.get_data())["features"]]
    assert coords == [list(ITURI_SITE), list(MALI_SITE)]
    assert exact.headers["Cache-Control"] == "private, no-store"


def test_guard_hides_restricted_layers_like_unknown_ones(app, home, monkeypatch, app_factory):
    import dataclasses

    from layers import CATALOGUE, Catalogue
    from layers.sources import StoredSource

    secret = dataclasses.replace(CATALOGUE.get("projects"), id="secret", access="restricted",
                                 source=StoredSource("secret", "test"))
    app.extensions["coopmap.store"].write("secret", sites(), ["test"])
    test_catalogue = Catalogue((*CATALOGUE.layers, secret))
    monkeypatch.setattr("webmap.guard.CATALOGUE", test_catalogue)
    client = _app(app_factory).test_client()
    token = FileTokenStore(home).create("hal", "planner")
    hidden = client.get("/probe/secret")
    unknown = client.get("/probe/nothing")
    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json["description"].replace("secret", "X") == unknown.json["description"].replace("nothing", "X")
    assert "secret" not in orjson.loads(client.get("/probe-layers").get_data())
    auth = {"Authorization": f"Bearer {token}"}
    assert "secret" in orjson.loads(client.get("/probe-layers", headers=auth).get_data())
    shown = client.get("/probe/secret", headers=auth)
    assert shown.status_code == 200 and shown.headers["Cache-Control"] == "private, no-store"


def test_serve_production_configures_gunicorn_workers(app, monkeypatch):
    from click.testing import CliRunner

    from cli.main import main
    from webmap.wsgi import GunicornApp

    seen = {}
    monkeypatch.setattr(GunicornApp, "run", lambda self: seen.update(cfg=self.cfg, app=self.load()))
    result = CliRunner().invoke(main, ["serve", "--production", "--port", "5109", "--workers", "3"])
    assert result.exit_code == 0, result.output
    cfg = seen["cfg"]
    assert (cfg.workers, cfg.threads, cfg.worker_class_str) == (3, 4, "gthread")
    assert cfg.bind == ["127.0.0.1:5109"]
    assert seen["app"].config["SESSION_COOKIE_HTTPONLY"] is True


def test_views_reading_through_the_context_are_secured_without_knowing_it(app, home, monkeypatch, app_factory):
    """A view written with ``webmap.context.store()``/``catalogue()`` only, as the others are."""
    import dataclasses

    from layers import CATALOGUE, Catalogue
    from layers.sources import StoredSource
    from webmap.context import catalogue, raw_store, store

    secret = dataclasses.replace(CATALOGUE.get("projects"), id="secret", access="restricted",
                                 source=StoredSource("secret", "test"))
    monkeypatch.setattr("webmap.guard.CATALOGUE", Catalogue((*CATALOGUE.layers, secret)))
    app.extensions["coopmap.store"].write("projects", sites(), ["test"])
    app.extensions["coopmap.store"].write("secret", sites(), ["test"])
    naive = _app(app_factory)
    bp = Blueprint("naive", __name__)

    @bp.get("/naive/<layer_id>")
    def naive_view(layer_id: str) -> Response:
        frame = catalogue().get(layer_id).source.frame(store())
        return Response(frame.to_json(), mimetype="application/geo+json")

    @bp.get("/naive-manifest")
    def naive_manifest() -> Response:
        manifest = store().manifest()
        return Response(orjson.dumps({"version": manifest.data_version, "layers": sorted(manifest.layers),
                                      "ids": [layer.id for layer in catalogue()]}))

    naive.register_blueprint(bp)
    client = naive.test_client()
    auth = {"Authorization": f"Bearer {FileTokenStore(home).create('ivy', 'planner')}"}

    public = client.get("/naive/projects").get_data()
    assert _coords_in(public) == []
    assert b"budget_eur" not in public and b'"site"' not in public
    planner = client.get("/naive/projects", headers=auth)
    assert _coords_in(planner.get_data()) == [*ITURI_SITE, *MALI_SITE]
    assert planner.headers["Cache-Control"] == "private, no-store"

    assert client.get("/naive/secret").status_code == 404
    assert client.get("/naive/secret", headers=auth).status_code == 200
    seen_public = orjson.loads(client.get("/naive-manifest").get_data())
    seen_planner = orjson.loads(client.get("/naive-manifest", headers=auth).get_data())
    assert "secret" not in seen_public["layers"] and "secret" not in seen_public["ids"]
    assert "secret" in seen_planner["layers"] and "secret" in seen_planner["ids"]
    assert seen_public["version"] != seen_planner["version"]  # caches keyed on it stay apart
    with naive.app_context():
        assert raw_store() is store()  # outside a request: the workspace as stored


def test_failed_authentications_are_limited_per_address(home, app_factory):
    # default limit: 10 failures per minute and address
    client = _app(app_factory).test_client()
    attacker = {"REMOTE_ADDR": "198.51.100.7"}
    codes = [client.get("/", headers={"Authorization": f"Bearer cm_guess{i}"}, environ_base=attacker).status_code
             for i in range(12)]
    assert codes == [401] * 10 + [429] * 2
    limited = client.get("/", headers={"Authorization": "Bearer cm_guess"}, environ_base=attacker)
    assert limited.json["code"] == "TooManyRequests" and 0 < int(limited.headers["Retry-After"]) <= 60
    token = FileTokenStore(home).create("jo", "planner")
    # a valid token from the locked-out address is refused too (no confirmation of a guess) ...
    assert client.get("/", headers={"Authorization": f"Bearer {token}"}, environ_base=attacker).status_code == 429
    # ... browsing without credentials from there, and a valid token from another address, go on
    assert client.get("/", environ_base=attacker).status_code == 200
    other = {"REMOTE_ADDR": "203.0.113.9"}
    assert client.get("/", headers={"Authorization": f"Bearer {token}"}, environ_base=other).status_code == 200


def test_wrong_login_tokens_and_bad_bearer_tokens_share_the_failure_limit(app_factory):
    client = _app(app_factory, COOPMAP_AUTH_FAILURE_LIMIT="3 per minute").test_client()
    csrf = _csrf(client.get("/login").get_data(as_text=True))
    bearer = [client.get("/", headers={"Authorization": "Bearer nope"}).status_code for _ in range(2)]
    login = [client.post("/login", data={"csrf_token": csrf, "token": "guess"}).status_code for _ in range(2)]
    assert bearer + login == [401, 401, 401, 429]
