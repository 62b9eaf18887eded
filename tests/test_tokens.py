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


def _sign_in(client, token: str) -> None:
    csrf = _csrf(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"csrf_token": csrf, "token": token}).status_code == 303


def _session_cookie(client) -> str:
    cookie = client.get_cookie("coopmap_session")
    assert cookie is not None
    return cookie.value


def test_logout_ends_the_session_on_the_server_so_a_copied_cookie_is_public(home, app_factory):
    token = FileTokenStore(home).create("dora", "planner")
    app = _whoami_app(app_factory)
    client = app.test_client()
    _sign_in(client, token)
    copied = _session_cookie(client)
    thief = app.test_client()
    thief.set_cookie("coopmap_session", copied)
    assert thief.get("/whoami").json == {"role": "planner"}  # the copy works while the session lives

    csrf = _csrf(client.get("/logout").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert client.get("/whoami").json == {"role": "public"}
    replay = app.test_client()
    replay.set_cookie("coopmap_session", copied)
    assert replay.get("/whoami").json == {"role": "public"}
    # the session file holds digests only, never the session id of a cookie; mode 0600
    sessions = home / "sessions.json"
    assert stat.S_IMODE(sessions.stat().st_mode) == 0o600
    _sign_in(client, token)
    live = orjson.loads(sessions.read_bytes())["sessions"]
    assert len(live) == 1 and live[0]["digest"] not in _session_cookie(client)


def test_revoking_a_token_ends_every_session_created_from_it(home, app_factory):
    store = FileTokenStore(home)
    token, other = store.create("eve", "analyst"), store.create("fay", "planner")
    app = _whoami_app(app_factory)
    first, second, third = app.test_client(), app.test_client(), app.test_client()
    _sign_in(first, token)
    _sign_in(second, token)
    _sign_in(third, other)
    store.revoke("eve")
    assert first.get("/whoami").json == second.get("/whoami").json == {"role": "public"}
    assert third.get("/whoami").json == {"role": "planner"}
    # 3 sessions were created, the 2 of "eve" went with its token: 1 is left
    assert len(orjson.loads((home / "sessions.json").read_bytes())["sessions"]) == 1


def test_an_expired_session_is_public(home):
    import datetime as dt

    store = FileTokenStore(home)
    store.create("gus", "planner")
    record = store.records()[0]
    live = store.create_session(record.id, dt.timedelta(hours=1))
    dead = store.create_session(record.id, dt.timedelta(seconds=-1))
    assert store.check_session(live) == record
    assert store.check_session(dead) is None and store.check_session("") is None
    store.revoke_session(live)
    assert store.check_session(live) is None
