"""Token lifecycle: create (shown once, stored hashed) -> works -> revoke -> 401."""

from __future__ import annotations

import stat

import orjson
import pytest
from flask import Blueprint, jsonify

from cli.main import main
from geo.errors import InvalidParameter
from layers.tokens import FileTokenStore
from webmap.auth import current_role


def _whoami_app(app_factory, **config):
    """The app with a tiny view that answers the caller's role."""
    app = app_factory(**{"COOPMAP_COOKIE_SECURE": False, **config})
    bp = Blueprint("whoami", __name__)
    bp.get("/whoami")(lambda: jsonify(role=current_role()))
    app.register_blueprint(bp)
    return app


def test_token_lifecycle_through_the_cli_and_the_api(runner, home, app_factory):
    created = runner.invoke(main, ["tokens", "create", "--role", "planner", "--name", "alice"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    assert token.startswith("cm_") and len(token) > 40

    stored = (home / "tokens.json").read_bytes()
    assert token.encode() not in stored and token[3:].encode() not in stored
    assert orjson.loads(stored)["tokens"][0]["role"] == "planner"
    assert stat.S_IMODE((home / "tokens.json").stat().st_mode) == 0o600

    listed = runner.invoke(main, ["tokens", "list"])
    assert "alice" in listed.output and "planner" in listed.output and token not in listed.output

    client = _whoami_app(app_factory).test_client()
    assert client.get("/whoami").json == {"role": "public"}
    assert client.get("/whoami", headers={"Authorization": f"Bearer {token}"}).json == {"role": "planner"}

    revoked = runner.invoke(main, ["tokens", "revoke", "alice"])
    assert revoked.exit_code == 0 and "revoked" in revoked.output
    response = client.get("/whoami", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 401
    assert response.json["code"] == "InvalidToken"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_bad_tokens_and_names(runner, home, app_factory):
    client = _whoami_app(app_factory).test_client()
    for header in ("Bearer nope", "Bearer ", "Basic YWxpY2U6c2VjcmV0", "cm_x"):
        assert client.get("/whoami", headers={"Authorization": header}).status_code == 401
    twice = [runner.invoke(main, ["tokens", "create", "--role", "admin", "--name", "ops"]) for _ in range(2)]
    assert twice[0].exit_code == 0 and twice[1].exit_code == 2
    assert "exists" in twice[1].output and "Traceback" not in twice[1].output
    assert runner.invoke(main, ["tokens", "create", "--role", "boss", "--name", "x"]).exit_code == 2
    assert runner.invoke(main, ["tokens", "revoke", "nobody"]).exit_code == 2
    with pytest.raises(InvalidParameter, match="name"):
        FileTokenStore(home).create("bad name!", "public")


def test_login_session_follows_the_token_and_ends_on_revoke(home, app_factory):
    token = FileTokenStore(home).create("bob", "analyst")
    client = _whoami_app(app_factory).test_client()
    form = client.get("/login?next=/whoami")
    csrf = _csrf(form.get_data(as_text=True))
    wrong = client.post("/login", data={"csrf_token": csrf, "token": "cm_wrong"})
    assert wrong.status_code == 401 and "not recognised" in wrong.get_data(as_text=True)
    ok = client.post("/login", data={"csrf_token": csrf, "token": token, "next": "/whoami"})
    assert ok.status_code == 303 and ok.headers["Location"] == "/whoami"
    assert client.get("/whoami").json == {"role": "analyst"}
    FileTokenStore(home).revoke("bob")
    assert client.get("/whoami").json == {"role": "public"}


def test_login_redirects_only_to_local_paths(home, app_factory):
    token = FileTokenStore(home).create("carol", "planner")
    client = _whoami_app(app_factory).test_client()
    csrf = _csrf(client.get("/login").get_data(as_text=True))
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        response = client.post("/login", data={"csrf_token": csrf, "token": token, "next": target})
        assert response.headers["Location"] == "/"
        csrf = _csrf(client.get("/login").get_data(as_text=True))


def _csrf(html: str) -> str:
    marker = 'name="csrf_token" value="'
    start = html.index(marker) + len(marker)
    return html[start:html.index('"', start)]
