"""API tokens and the web session secret: the ``TokenStore`` interface and its file backend.

A token is shown once, when created; a store keeps only its SHA-256 digest. A request presenting
a token gets the role of the record whose digest matches; a login session holds the record's
``id``, so revoking the token ends the session. ``FileTokenStore`` keeps the records in
``<home>/tokens.json`` (mode 0600, written atomically) and the session secret beside it; a
database-backed store implements the same interface.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import re
import secrets
import threading
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import orjson

from geo.config import Settings
from geo.errors import InvalidParameter
from geo.storage.io import create_bytes_once, write_bytes_atomic
from geo.types import ROLES, Role

TOKEN_PREFIX = "cm_"
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")
TOKENS_FILE = "tokens.json"
SECRET_FILE = "secret_key"


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


def digest(token: str) -> str:
    """SHA-256 hex digest of a token's text."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class TokenStore(ABC):
    """Where tokens and the session-signing secret live (one per workspace or database)."""

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
    def session_secret(self) -> bytes:
        """The key that signs login sessions, the same for every worker and server."""

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
        self._lock_path = Path(home) / f".{TOKENS_FILE}.lock"
        self._seen: tuple[int, int, int] | None = None
        self._records: list[TokenRecord] = []
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
        return found[0]

    def session_secret(self) -> bytes:
        """Created once (mode 0600), then read back: every worker and restart signs alike."""
        return create_bytes_once(
            self.home / SECRET_FILE, secrets.token_hex(32).encode(), mode=0o600
        ).strip()

    def _save(self, records: list[TokenRecord]) -> None:
        data = orjson.dumps({"tokens": [asdict(r) for r in records]}, option=orjson.OPT_INDENT_2)
        write_bytes_atomic(self.path, data, mode=0o600)

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)


def token_store(settings: Settings) -> TokenStore:
    """The token store of the workspace ``settings`` names: the one way the app and the CLI open
    it (files under ``settings.home`` today)."""
    return FileTokenStore(settings.home)
