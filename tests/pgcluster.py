"""A private PostgreSQL + PostGIS cluster for the tests: no system service, nothing left behind.

``PrivateCluster`` runs ``initdb`` in a temporary directory as an unprivileged user (the tests run
as root in CI; PostgreSQL refuses to run as root), listens on a free loopback port and on a unix
socket inside that directory, and is stopped and removed by ``stop`` (the conftest fixture calls it
at the end of the session, also after a failure or Ctrl-C; ``atexit`` is the fallback).

``scripts/test.sh`` installs Debian's ``postgresql-15-postgis-3``. Without its binaries the
PostGIS tests fail in CI (``$CI`` set) and are skipped elsewhere, with the reason.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

import psycopg
import pytest

PG_BIN = Path(os.environ.get("COOPMAP_PG_BIN", "/usr/lib/postgresql/15/bin"))
"""Where Debian's PostgreSQL 15 keeps initdb, pg_ctl and postgres."""
POSTGIS_CONTROL = Path("/usr/share/postgresql/15/extension/postgis.control")
SUPERUSER = "coopmap"
TEMPLATE_DB = "coopmap_template"
"""A database with PostGIS and the coopmap schema; each test's database is a copy of it."""
RUN_AS = "nobody"
"""The unprivileged account the cluster runs as when the tests run as root."""


def missing_reason() -> str | None:
    """Why a private cluster cannot be started here, or None when it can."""
    for needed in (PG_BIN / "initdb", PG_BIN / "pg_ctl", POSTGIS_CONTROL):
        if not needed.exists():
            return f"{needed} is missing (install Debian's postgresql-15-postgis-3; scripts/test.sh does)"
    return None


def require_binaries() -> None:
    """Skip the calling test (fail it in CI, where ``$CI`` is set) when PostgreSQL/PostGIS are absent."""
    reason = missing_reason()
    if reason is None:
        return
    if os.environ.get("CI"):
        pytest.fail(f"PostGIS tests cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"no PostgreSQL/PostGIS here: {reason}")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PrivateCluster:
    """One throw-away PostgreSQL cluster; ``url(db)`` gives a connection URL to database ``db``.

    ``durable=False`` (the tests) turns fsync off: a crash of the machine loses the cluster, which
    is thrown away anyway. The benchmark keeps PostgreSQL's defaults.
    """

    def __init__(self, durable: bool = False) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="coopmap-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.durable = durable
        self._running = False
        self._as_user: list[str] = []
        if os.geteuid() == 0:
            account = pwd.getpwnam(RUN_AS)
            os.chown(self.root, account.pw_uid, account.pw_gid)
            os.chmod(self.root, 0o700)
            self._as_user = ["runuser", "-u", RUN_AS, "--"]
        atexit.register(self.stop)

    def _run(self, *args: str) -> None:
        done = subprocess.run([*self._as_user, *args], capture_output=True, text=True, cwd=self.root)
        if done.returncode:
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stdout}{done.stderr}")

    def start(self) -> PrivateCluster:
        self._run(str(PG_BIN / "initdb"), "-D", str(self.data), "-U", SUPERUSER, "--auth=trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")
        self.start_server()
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {TEMPLATE_DB}")
        with psycopg.connect(self.url(TEMPLATE_DB), autocommit=True) as conn:
            conn.execute("CREATE EXTENSION postgis")
        return self

    def start_server(self) -> None:
        """Start the server of the initialised cluster (again, after ``stop_server``)."""
        options = [f"-p {self.port}", "-c listen_addresses=127.0.0.1", f"-c unix_socket_directories={self.root}",
                   "-c max_connections=60"]
        if not self.durable:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._running = True
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"),
                  "-o", " ".join(options), "-w", "-t", "60", "start")

    def stop_server(self) -> None:
        """Stop the server as an operator's restart does (``fast``: sessions are ended), keeping its data."""
        self._run(str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def url(self, database: str) -> str:
        return f"postgresql://{SUPERUSER}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str, template: str = TEMPLATE_DB) -> str:
        """A new database copied from ``template``; returns its URL."""
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop the server (immediately: its data is thrown away) and remove its directory."""
        if self._running:
            self._running = False
            subprocess.run([*self._as_user, str(PG_BIN / "pg_ctl"), "-D", str(self.data), "-m", "immediate",
                            "-w", "stop"], capture_output=True, cwd="/")
        shutil.rmtree(self.root, ignore_errors=True)
