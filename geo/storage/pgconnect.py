"""One process's connections to the store's database: the pool, transactions, and the manifest
followed by notification.

A ``Database`` belongs to the process that uses it: a forked process (a gunicorn worker) opens its
own pool and its own ``VersionWatch`` on first use, since the parent's connections are the
parent's. Errors that mean "the database cannot answer now" become ``StoreUnavailable`` (503 with
``Retry-After``), and the pool reconnects within seconds of the database's return.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg_pool import ConnectionPool, PoolTimeout

from geo.errors import StoreUnavailable
from geo.storage.base import Manifest
from geo.storage.migrations import SCHEMA
from geo.storage.pgnotify import VersionWatch
from geo.storage.pgtables import read_manifest

POOL_MIN, POOL_MAX = 1, 4
"""Connections per process: one kept open, at most four in use at once."""
POOL_WAIT_S = 3.0
"""Seconds a request waits for a pooled connection; then ``StoreUnavailable`` (503)."""
RECONNECT_S = 2.0
"""How long the pool retries one lost connection before a request must ask for a new attempt."""
CONNECT_TIMEOUT_S = 10.0
"""How long opening the store waits for its first connection before giving up."""


def application_name(url: str) -> str:
    """The ``application_name`` of the store's connections, as DBAs see it in ``pg_stat_activity``:
    the URL's own if it sets one, else ``coopmap-<pid>``."""
    return conninfo_to_dict(url).get("application_name") or f"coopmap-{os.getpid()}"


class SchemaMissing(RuntimeError):
    """The database has no coopmap schema yet: ``coopmap db init`` creates it."""


class DatabaseUnreachable(RuntimeError):
    """No connection to the store's database could be opened."""


class Database:
    """The connections of this process to the database at ``url``.

    Parameters
    ----------
    url : a PostgreSQL URL, ``postgresql://user:password@host:port/database``
    min_size, max_size : bounds of the connection pool
    connect_timeout : seconds to wait for the first connection; then ``DatabaseUnreachable``
    """

    def __init__(self, url: str, min_size: int = POOL_MIN, max_size: int = POOL_MAX,
                 connect_timeout: float = CONNECT_TIMEOUT_S) -> None:
        self.url = url
        self._size = (min_size, max_size)
        self._lock = threading.Lock()
        self._pid = os.getpid()
        self._pool = self._new_pool()
        self._inherited: list[ConnectionPool] = []
        self._watch: tuple[int, VersionWatch] | None = None
        self._manifest: tuple[int, Manifest] | None = None
        try:
            self._pool.wait(timeout=connect_timeout)
        except PoolTimeout as exc:
            self._pool.close()
            where = {k: v for k, v in conninfo_to_dict(url).items() if k in ("host", "port", "dbname", "user")}
            raise DatabaseUnreachable(f"cannot connect to the database {where} within {connect_timeout:g} s") from exc

    def _new_pool(self) -> ConnectionPool:
        min_size, max_size = self._size
        return ConnectionPool(
            self.url,
            min_size=min_size,
            max_size=max_size,
            open=True,
            name="coopmap-store",
            check=ConnectionPool.check_connection,  # a connection broken by a restart is replaced, not used
            # give up a chain of reconnection attempts (1 s, then 2 s apart) after 2 s, so the next
            # request starts a new one at once: the store answers within seconds of the database's return
            reconnect_timeout=RECONNECT_S,
            kwargs={"options": "-c TimeZone=UTC -c DateStyle=ISO,YMD", "application_name": application_name(self.url)},
        )

    @property
    def pool(self) -> ConnectionPool:
        """This process's pool. A forked process opens its own on first use; the parent's pool is kept,
        never used nor closed (closing an inherited connection would end the parent's session too)."""
        if self._pid != os.getpid():
            with self._lock:
                if self._pid != os.getpid():
                    self._inherited.append(self._pool)
                    self._pool = self._new_pool()
                    self._pid = os.getpid()
        return self._pool

    @contextmanager
    def transaction(self, snapshot: bool = False) -> Iterator[psycopg.Connection]:
        """A pooled connection in a transaction, committed when the block ends without an error
        (``snapshot``: repeatable read, one view of the data)."""
        try:
            with self.pool.connection(timeout=POOL_WAIT_S) as conn:
                if snapshot:
                    conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                yield conn
        except psycopg.errors.UndefinedTable as exc:
            if f"{SCHEMA}.manifest" not in str(exc):
                raise
            raise SchemaMissing(f"the database has no {SCHEMA} schema: run `coopmap db init` ({exc})") from exc
        except (psycopg.OperationalError, PoolTimeout) as exc:
            self.pool.check()  # drop the broken connections now and reconnect at once, not after a backoff
            raise StoreUnavailable(f"the database is unavailable: {str(exc).strip().splitlines()[0]}") from exc

    def manifest(self) -> Manifest:
        """The current manifest: kept in memory while this process listens for its changes
        (``geo.storage.pgnotify``), read from the database otherwise."""
        watch = self._version_watch()
        generation = watch.generation
        cached = self._manifest
        if watch.listening and cached is not None and cached[0] == generation:
            return cached[1]
        with self.transaction() as conn:
            manifest = read_manifest(conn)
        if watch.listening and watch.generation == generation:
            self._manifest = (generation, manifest)
        return manifest

    def forget_manifest(self) -> None:
        """Read the manifest from the database next time (this process has just changed it)."""
        self._manifest = None

    def _version_watch(self) -> VersionWatch:
        watch = self._watch
        if watch is None or watch[0] != os.getpid():
            with self._lock:
                if self._watch is None or self._watch[0] != os.getpid():
                    self._watch = (os.getpid(), VersionWatch(self.url))
                    self._manifest = None
                watch = self._watch
        return watch[1]

    @property
    def listening(self) -> bool:
        """True when this process follows the data version by notification (its manifest is cached)."""
        return self._version_watch().listening

    def close(self) -> None:
        """Close this process's pool and stop its watch."""
        if self._pid == os.getpid():
            self._pool.close()
        if self._watch is not None and self._watch[0] == os.getpid():
            self._watch[1].stop()
