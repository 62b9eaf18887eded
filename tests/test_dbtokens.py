"""Tokens and login sessions on both token stores: files next to the embedded store, and the tables
of the PostGIS store's database (``layers.dbtokens``), on a real private PostgreSQL.

The behaviours every ``TokenStore`` shares run on both (the ``tokens`` fixture's parameter); then
what only the database gives: several servers on one database, and an app started with
``COOPMAP_DATABASE_URL`` that writes no token or session file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

import psycopg
import pytest
from click.testing import CliRunner

from cli.main import main
from geo.errors import InvalidParameter
from geo.storage.pgconnect import SchemaMissing
from geo.storage.postgis import PostgisStore
from layers.dbtokens import DatabaseTokenStore
from layers.tokens import FileTokenStore, TokenStore, token_store
from tests.test_tokens import _csrf, _session_cookie, _sign_in, _whoami_app

HOUR = dt.timedelta(hours=1)


@pytest.fixture(params=["file", "database"])
def open_tokens(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Callable[[], TokenStore]]:
    """``open_tokens()``: a token store of the test's backend; each call opens another one (another
    server) on the same tokens: a folder, or a fresh migrated database."""
    stores: list[PostgisStore] = []
    url = request.getfixturevalue("pg_url") if request.param == "database" else ""

    def open_one() -> TokenStore:
        if request.param == "file":
            return FileTokenStore(tmp_path)
        stores.append(PostgisStore(url))
        return token_store(stores[-1])

    yield open_one
    for store in stores:
        store.close()


def test_a_token_authenticates_until_it_is_revoked(open_tokens):
    tokens = open_tokens()
    alice = tokens.create("alice", "planner")
    bob = tokens.create("bob", "analyst")
    assert tokens.lookup(alice).name == "alice" and tokens.lookup(alice).role == "planner"
    assert tokens.lookup(bob).role == "analyst"
    assert tokens.lookup("cm_wrong") is None and tokens.lookup("") is None
    assert [(r.name, r.role) for r in tokens.records()] == [("alice", "planner"), ("bob", "analyst")]
    with pytest.raises(InvalidParameter, match="exists"):
        tokens.create("alice", "admin")
    with pytest.raises(InvalidParameter, match="role"):
        tokens.create("carl", "boss")

    assert tokens.revoke("alice").name == "alice"
    assert tokens.lookup(alice) is None and tokens.lookup(bob).role == "analyst"
    assert [r.name for r in tokens.records()] == ["bob"]
    with pytest.raises(InvalidParameter, match="no token"):
        tokens.revoke("alice")
    again = tokens.create("alice", "admin")  # a revoked name may be issued again; the old token stays dead
    assert tokens.lookup(again).role == "admin" and tokens.lookup(alice) is None


def test_revoking_a_token_ends_its_sessions_only(open_tokens):
    tokens = open_tokens()
    tokens.create("eve", "analyst")
    tokens.create("fay", "planner")
    eve, fay = tokens.records()
    first, second = tokens.create_session(eve.id, HOUR), tokens.create_session(eve.id, HOUR)
    third = tokens.create_session(fay.id, HOUR)
    assert tokens.check_session(first) == tokens.check_session(second) == eve
    tokens.revoke("eve")
    assert tokens.check_session(first) is None and tokens.check_session(second) is None
    assert tokens.check_session(third) == fay


def test_an_expired_or_ended_session_signs_nobody_in(open_tokens):
    tokens = open_tokens()
    tokens.create("gus", "planner")
    record = tokens.records()[0]
    live = tokens.create_session(record.id, HOUR)
    dead = tokens.create_session(record.id, dt.timedelta(seconds=-1))
    assert tokens.check_session(live) == record
    assert tokens.check_session(dead) is None and tokens.check_session("") is None
    assert tokens.check_session("not-a-session") is None
    token_id, expires = tokens.session_token(_digest(live))
    assert token_id == record.id and HOUR - dt.timedelta(minutes=1) < expires - dt.datetime.now(dt.UTC) <= HOUR
    tokens.revoke_session(live)
    tokens.revoke_session(live)  # twice, or an unknown id: nothing to do
    assert tokens.check_session(live) is None and tokens.session_token(_digest(live)) is None


def test_two_servers_see_each_others_changes_at_once(open_tokens):
    one, two = open_tokens(), open_tokens()
    token = one.create("hal", "admin")
    assert two.lookup(token).role == "admin"
    record = two.records()[0]
    session = one.create_session(record.id, HOUR)
    assert two.check_session(session) == record
    two.revoke_session(session)  # logout on the second server
    assert one.check_session(session) is None
    again = two.create_session(record.id, HOUR)
    assert one.check_session(again) == record
    one.revoke("hal")  # revoked on the first: at once on the second, token and session
    assert two.lookup(token) is None and two.check_session(again) is None and two.records() == []


def _digest(session_id: str) -> str:
    from layers.tokens import digest

    return digest(session_id)


def test_the_database_keeps_digests_only_and_drops_expired_sessions(pg_url):
    with PostgisStore(pg_url) as store:
        tokens = token_store(store, Path("/nonexistent"))
        assert isinstance(tokens, DatabaseTokenStore)
        token = tokens.create("ivy", "analyst")
        record = tokens.records()[0]
        tokens.create_session(record.id, dt.timedelta(seconds=-1))
        live = tokens.create_session(record.id, HOUR)  # writing a session deletes the expired one
        with psycopg.connect(pg_url) as conn:
            stored = conn.execute("SELECT id, name, role, digest, revoked FROM coopmap.tokens").fetchall()
            sessions = conn.execute("SELECT digest, token_id FROM coopmap.sessions").fetchall()
        assert stored == [(record.id, "ivy", "analyst", _digest(token), None)]
        assert sessions == [(_digest(live), record.id)]
        assert token not in repr(stored) and live not in repr(sessions)


def test_a_database_without_the_token_tables_says_to_run_db_init(pg_cluster):
    url = pg_cluster.create_database("no_token_tables")
    try:
        with psycopg.connect(url) as conn:  # a database migrated before the token tables existed
            conn.execute("CREATE SCHEMA coopmap; CREATE TABLE coopmap.manifest (layer_id text)")
        with PostgisStore(url) as store, pytest.raises(SchemaMissing, match="coopmap db init"):
            token_store(store).lookup("cm_x")
    finally:
        pg_cluster.drop_database("no_token_tables")


def test_with_a_database_url_tokens_and_sessions_live_in_the_database(pg_url, tmp_path, monkeypatch, app_factory):
    """Two app servers with separate homes on one database: a token made with the CLI signs in on
    both; logging out on one ends the session on the other; revoking with the CLI ends both."""
    monkeypatch.setenv("COOPMAP_DATABASE_URL", pg_url)
    monkeypatch.setenv("COOPMAP_DEMO_EVENTS", "50")
    homes = [tmp_path / "home1", tmp_path / "home2"]
    runner = CliRunner(env={"COOPMAP_HOME": str(homes[0])})
    created = runner.invoke(main, ["tokens", "create", "--role", "planner", "--name", "jo"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip().splitlines()[-1]
    listed = runner.invoke(main, ["tokens", "list"])
    assert "jo" in listed.output and "planner" in listed.output and token not in listed.output

    first, second = (_whoami_app(app_factory, COOPMAP_HOME=home) for home in homes)
    bearer = {"Authorization": f"Bearer {token}"}
    assert second.test_client().get("/whoami", headers=bearer).json == {"role": "planner"}
    client = first.test_client()
    _sign_in(client, token)
    other = second.test_client()  # the load balancer sends the same cookie to the other server
    other.set_cookie("coopmap_session", _session_cookie(client))
    assert other.get("/whoami").json == {"role": "planner"}
    csrf = _csrf(client.get("/logout").get_data(as_text=True))
    assert client.post("/logout", data={"csrf_token": csrf}).status_code == 303
    assert other.get("/whoami").json == {"role": "public"}

    _sign_in(other, token)
    assert runner.invoke(main, ["tokens", "revoke", "jo"]).exit_code == 0
    assert other.get("/whoami").json == {"role": "public"}
    assert first.test_client().get("/whoami", headers=bearer).status_code == 401
    written = [p.name for home in homes if home.exists() for p in home.rglob("*")]
    assert not any(name.startswith(("tokens", "sessions", ".tokens")) for name in written), written
