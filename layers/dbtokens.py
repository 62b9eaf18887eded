"""API tokens and login sessions in the PostGIS store's database, shared by every app server.

``DatabaseTokenStore`` implements ``layers.tokens.TokenStore`` on the tables of migration
``0003_tokens.sql``: ``coopmap.tokens`` (name, role, the SHA-256 digest of the token, created,
revoked) and ``coopmap.sessions`` (the digest of the session id, the token's id, the expiry). It
borrows connections from the store's pool (``PostgisStore.connection``).

Nothing is cached in the process: every check is one statement on the database, so a token
created, revoked or logged out on any server or with ``coopmap tokens`` holds on every server from
the next request. Expiry is compared with the database's clock, the same for every server.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg

from geo.errors import InvalidParameter
from geo.storage.migrations import SCHEMA
from geo.storage.pgconnect import SchemaMissing
from geo.storage.postgis import PostgisStore
from layers.tokens import TokenRecord, TokenStore, digest, new_record

_COLUMNS = "name, role, digest, created, id"
_LIVE = "revoked IS NULL"


class DatabaseTokenStore(TokenStore):
    """The tokens and sessions of the PostGIS store ``store`` (its database, its connection pool).

    Parameters
    ----------
    store : the open PostGIS store; its database must be migrated to version 3 (``coopmap db init``)

    Examples
    --------
    >>> tokens = DatabaseTokenStore(PostgisStore(url))  # doctest: +SKIP
    >>> tokens.lookup(tokens.create("alice", "planner")).role  # doctest: +SKIP
    'planner'
    """

    def __init__(self, store: PostgisStore) -> None:
        self.store = store

    def records(self) -> list[TokenRecord]:
        with self._connection() as conn:
            rows = conn.execute(f"SELECT {_COLUMNS} FROM {SCHEMA}.tokens WHERE {_LIVE} ORDER BY created, name")
            return [_record(row) for row in rows]

    def create(self, name: str, role: str) -> str:
        token, record = new_record(name, role)
        try:
            with self._connection() as conn:
                conn.execute(
                    f"INSERT INTO {SCHEMA}.tokens (id, name, role, digest, created) VALUES (%s, %s, %s, %s, %s)",
                    (record.id, record.name, record.role, record.digest, dt.datetime.fromisoformat(record.created)),
                )
        except psycopg.errors.UniqueViolation:
            raise InvalidParameter("name", name, "a token with this name exists; revoke it first") from None
        return token

    def revoke(self, name: str) -> TokenRecord:
        with self._connection() as conn:  # one transaction: the token and its sessions end together
            row = conn.execute(
                f"UPDATE {SCHEMA}.tokens SET revoked = now() WHERE name = %s AND {_LIVE} RETURNING {_COLUMNS}",
                (name,),
            ).fetchone()
            if row is None:
                raise InvalidParameter("name", name, "no token with this name")
            record = _record(row)
            conn.execute(f"DELETE FROM {SCHEMA}.sessions WHERE token_id = %s", (record.id,))
        return record

    def create_session(self, token_id: str, lifetime: dt.timedelta) -> str:
        session_id = secrets.token_urlsafe(32)
        with self._connection() as conn:
            # expired sessions go whenever a new one is written: the table stays as small as the live set
            conn.execute(f"DELETE FROM {SCHEMA}.sessions WHERE expires <= now()")
            conn.execute(
                f"INSERT INTO {SCHEMA}.sessions (digest, token_id, expires) VALUES (%s, %s, now() + %s)",
                (digest(session_id), token_id, lifetime),
            )
        return session_id

    def session_token(self, session_digest: str) -> tuple[str, dt.datetime] | None:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT token_id, expires FROM {SCHEMA}.sessions WHERE digest = %s", (session_digest,)
            ).fetchone()
        return None if row is None else (row[0], row[1].astimezone(dt.UTC))

    def revoke_session(self, session_id: str) -> None:
        if not session_id:
            return
        with self._connection() as conn:
            conn.execute(f"DELETE FROM {SCHEMA}.sessions WHERE digest = %s", (digest(session_id),))

    def check_session(self, session_id: str) -> TokenRecord | None:
        """The live token behind the session ``session_id``: one statement, expiry on the database's clock."""
        if not session_id:
            return None
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT t.name, t.role, t.digest, t.created, t.id FROM {SCHEMA}.sessions s "
                f"JOIN {SCHEMA}.tokens t ON t.id = s.token_id "
                f"WHERE s.digest = %s AND s.expires > now() AND t.{_LIVE}",
                (digest(session_id),),
            ).fetchone()
        return None if row is None else _record(row)

    def lookup(self, token: str) -> TokenRecord | None:
        """The live record of ``token``: found by its digest's unique index, not by reading every record
        (the index compares SHA-256 digests, whose timing tells nothing of the token text)."""
        if not token:
            return None
        return self._one("digest", digest(token))

    def by_id(self, record_id: str) -> TokenRecord | None:
        return self._one("id", record_id)

    def _one(self, column: str, value: str) -> TokenRecord | None:
        with self._connection() as conn:
            row = conn.execute(
                f"SELECT {_COLUMNS} FROM {SCHEMA}.tokens WHERE {column} = %s AND {_LIVE}", (value,)
            ).fetchone()
        return None if row is None else _record(row)

    @contextmanager
    def _connection(self) -> Iterator[psycopg.Connection]:
        """The store's pooled connection; a database not migrated to the token tables is named as such."""
        try:
            with self.store.connection() as conn:
                yield conn
        except psycopg.errors.UndefinedTable as exc:
            raise SchemaMissing(f"the database has no token tables: run `coopmap db init` ({exc})") from exc


def _record(row: tuple[Any, ...]) -> TokenRecord:
    name, role, token_digest, created, record_id = row
    return TokenRecord(name, role, token_digest, created.astimezone(dt.UTC).isoformat(timespec="seconds"), record_id)

