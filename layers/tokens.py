"""API tokens and login sessions: the ``TokenStore`` interface and its file backend.

A token is shown once, when created; a store keeps only its SHA-256 digest. A request presenting
a token gets the role of the record whose digest matches. A login creates a server-side session
(:meth:`TokenStore.create_session`): the cookie holds a random session id, the store keeps its
digest, the token record's ``id`` and an expiry, and every request checks it
(:meth:`TokenStore.check_session`). Logging out deletes it (:meth:`TokenStore.revoke_session`), so a
copied cookie stops working; revoking the token deletes every session created from it.
``FileTokenStore`` keeps the records in ``<home>/tokens.json`` and the sessions in
``<home>/sessions.json`` (mode 0600, written atomically), next to the embedded store;
``layers.dbtokens.DatabaseTokenStore`` keeps them in the PostGIS store's database (tables
``coopmap.tokens`` and ``coopmap.sessions``), shared by every server. ``token_store`` picks the one
that goes with the store. The session-signing secret is the store's (``Store.secret``), not the
token store's.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import os
import re
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from geo.errors import InvalidParameter
from geo.storage.io import make_parents, write_bytes_atomic
from geo.storage.store import ParquetStore, Store
from geo.types import ROLES, Role

TOKEN_PREFIX = "cm_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
TOKENS_FILE = "tokens.json"
SESSIONS_FILE = "sessions.json"
SECRET_NAME = "secret_key"
"""``Store.secret`` name of the key that signs login sessions (the file name of earlier versions)."""


@dataclass(frozen=True)
class TokenRecord:
    """One issued token, as stored: never the token itself."""

    name: str
    role: Role
    digest: str
    """SHA-256 hex digest of the token text."""
    created: str
    id: str
    """Random id, put in the login session so revoking the token ends the session."""


@dataclass(frozen=True)
class SessionRecord:
    """One login session, as stored: never the session id itself."""

    digest: str
    """SHA-256 hex digest of the session id in the cookie."""
    token_id: str
    """``TokenRecord.id`` of the token that signed in."""
    expires: str
    """ISO 8601 UTC time after which the session is invalid."""


def digest(token: str) -> str:
    """SHA-256 hex digest of a token's text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore(ABC):
    """Where tokens and login sessions live (one per workspace or database)."""

    @abstractmethod
    def records(self) -> list[TokenRecord]:
        """Every stored token record, oldest first."""

    @abstractmethod
    def create(self, name: str, role: str) -> str:
        """Issue a token for ``name`` with ``role``; return its text (the only time it is seen).

        Raises
        ------
        InvalidParameter
            for a bad or already used ``name`` or an unknown ``role``.
        """

    @abstractmethod
    def revoke(self, name: str) -> TokenRecord:
        """Delete the token called ``name``; raise ``InvalidParameter`` if there is none."""

    @abstractmethod
    def create_session(self, token_id: str, lifetime: dt.timedelta) -> str:
        """Start a login session for the token record ``token_id``, valid for ``lifetime``;
        return the session id to put in the cookie (stored only as its digest)."""

    @abstractmethod
    def session_token(self, session_digest: str) -> tuple[str, dt.datetime] | None:
        """The token id and expiry of the session whose id has ``session_digest``, or None."""

    @abstractmethod
    def revoke_session(self, session_id: str) -> None:
        """End the session ``session_id`` (logout); unknown ids are ignored."""

    def check_session(self, session_id: str) -> TokenRecord | None:
        """The token record behind the live session ``session_id``; None when the session is
        unknown, ended, expired, or its token was revoked."""
        if not session_id:
            return None
        found = self.session_token(digest(session_id))
        if found is None or found[1] <= dt.datetime.now(dt.UTC):
            return None
        return self.by_id(found[0])

    def lookup(self, token: str) -> TokenRecord | None:
        """The record of ``token``, or None when it is unknown or revoked."""
        wanted = digest(token)
        match = None
        for record in self.records():
            if hmac.compare_digest(record.digest, wanted):
                match = record
        return match

    def by_id(self, record_id: str) -> TokenRecord | None:
        """The record with ``id``, or None when it was revoked."""
        return next((r for r in self.records() if hmac.compare_digest(r.id, record_id)), None)


def new_record(name: str, role: str) -> tuple[str, TokenRecord]:
    """A fresh token text and its record, after checking ``name`` and ``role``."""
    if not NAME_PATTERN.match(name or ""):
        raise InvalidParameter("name", name, "use 1-64 letters, digits, '.', '_', '@' or '-'")
    if role not in ROLES:
        raise InvalidParameter("role", role, f"use one of {', '.join(ROLES)}")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return token, TokenRecord(name, role, digest(token), created, secrets.token_hex(8))  # type: ignore[arg-type]


class FileTokenStore(TokenStore):
    """The tokens of one workspace directory.

    Reads are cached by the file's identity (inode, size, mtime), so every request sees a
    revocation made by the CLI without re-reading an unchanged file.
    """

    def __init__(self, home: Path) -> None:
        self.home = Path(home)
        self.path = Path(home) / TOKENS_FILE
        self.sessions_path = Path(home) / SESSIONS_FILE
        self._lock_path = Path(home) / f".{TOKENS_FILE}.lock"
        self._seen: tuple[int, int, int] | None = None
        self._records: list[TokenRecord] = []
        self._sessions_seen: tuple[int, int, int] | None = None
        self._sessions: dict[str, SessionRecord] = {}
        self._read_lock = threading.Lock()

    def records(self) -> list[TokenRecord]:
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return []
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._read_lock:
            if key != self._seen:
                raw = orjson.loads(self.path.read_bytes())
                self._records = [TokenRecord(**r) for r in raw["tokens"]]
                self._seen = key
            return list(self._records)

    def create(self, name: str, role: str) -> str:
        token, record = new_record(name, role)
        with self._locked():
            records = self.records()
            if any(r.name == name for r in records):
                raise InvalidParameter("name", name, "a token with this name exists; revoke it first")
            records.append(record)
            self._save(records)
        return token

    def revoke(self, name: str) -> TokenRecord:
        with self._locked():
            records = self.records()
            found = [r for r in records if r.name == name]
            if not found:
                raise InvalidParameter("name", name, "no token with this name")
            self._save([r for r in records if r.name != name])
            ids = {r.id for r in found}
            sessions = self._read_sessions()
            kept = {d: r for d, r in sessions.items() if r.token_id not in ids}
            if len(kept) != len(sessions):
                self._save_sessions(kept)
        return found[0]

    def create_session(self, token_id: str, lifetime: dt.timedelta) -> str:
        session_id = secrets.token_urlsafe(32)
        now = dt.datetime.now(dt.UTC)
        record = SessionRecord(digest(session_id), token_id, (now + lifetime).isoformat(timespec="seconds"))
        with self._locked():
            # expired sessions go whenever a new one is written: the file stays as small as the live set
            sessions = {d: r for d, r in self._read_sessions().items() if _expiry(r) > now}
            sessions[record.digest] = record
            self._save_sessions(sessions)
        return session_id

    def session_token(self, session_digest: str) -> tuple[str, dt.datetime] | None:
        record = self._read_sessions().get(session_digest)
        return None if record is None else (record.token_id, _expiry(record))

    def revoke_session(self, session_id: str) -> None:
        if not session_id:
            return
        wanted = digest(session_id)
        with self._locked():
            sessions = self._read_sessions()
            if sessions.pop(wanted, None) is not None:
                self._save_sessions(sessions)

    def _read_sessions(self) -> dict[str, SessionRecord]:
        """The stored sessions by digest, re-read only when the file changed."""
        try:
            stat = self.sessions_path.stat()
        except FileNotFoundError:
            return {}
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns)
        with self._read_lock:
            if key != self._sessions_seen:
                raw = orjson.loads(self.sessions_path.read_bytes())
                self._sessions = {r["digest"]: SessionRecord(**r) for r in raw["sessions"]}
                self._sessions_seen = key
            return dict(self._sessions)

    def _save_sessions(self, sessions: dict[str, SessionRecord]) -> None:
        data = orjson.dumps({"sessions": [asdict(r) for r in sessions.values()]})
        write_bytes_atomic(self.sessions_path, data, mode=0o600)

    def _save(self, records: list[TokenRecord]) -> None:
        data = orjson.dumps({"tokens": [asdict(r) for r in records]}, option=orjson.OPT_INDENT_2)
        write_bytes_atomic(self.path, data, mode=0o600)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        make_parents(self._lock_path, 0o600)
        with open(os.open(self._lock_path, os.O_WRONLY | os.O_CREAT, 0o600), "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def _expiry(record: SessionRecord) -> dt.datetime:
    return dt.datetime.fromisoformat(record.expires)


def token_store(store: Store, home: Path | None = None) -> TokenStore:
    """The token store that goes with ``store``: the one way the app and the CLI open it.

    Parameters
    ----------
    store : the workspace's store (``geo.storage.store.store_from_settings``)
    home : the workspace folder, for a store that keeps no tokens itself

    Returns
    -------
    ``layers.dbtokens.DatabaseTokenStore`` in the database of a PostGIS store (no token or session
    file is written then); else a FileTokenStore next to the embedded store's files (``store.home``),
    or in ``home``
    """
    if isinstance(store, ParquetStore):
        return FileTokenStore(store.home)
    from geo.storage.postgis import PostgisStore  # only here: the embedded store needs no database driver

    if isinstance(store, PostgisStore):
        from layers.dbtokens import DatabaseTokenStore

        return DatabaseTokenStore(store)
    if home is None:
        raise TypeError(f"no token store for {type(store).__name__} without a workspace folder")
    return FileTokenStore(home)
