"""The PostGIS schema's versioned migrations and the runner that applies them.

Each ``NNNN_name.sql`` file beside this module is one migration, applied in version order, each in
its own transaction, and recorded in ``coopmap.schema_migrations``; applied versions are skipped,
so running the runner twice changes nothing. Concurrent runners (several servers starting) queue
on an advisory lock.

Why a dozen lines of our own and not alembic: the store has no ORM and no models to diff
(alembic's strength is autogenerating from SQLAlchemy metadata), the migrations are plain SQL a
DBA can read and run by hand, and the runner needs nothing beyond psycopg, which the store already
uses, where alembic would bring SQLAlchemy and Mako.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import psycopg

MIGRATIONS_DIR = Path(__file__).parent
SCHEMA = "coopmap"
_LOCK_KEY = 0x636F6F70  # "coop": the advisory lock runners queue on
_BOOTSTRAP = f"""
CREATE SCHEMA IF NOT EXISTS {SCHEMA};
CREATE TABLE IF NOT EXISTS {SCHEMA}.schema_migrations (
    version    integer PRIMARY KEY,
    name       text NOT NULL,
    applied_at timestamptz NOT NULL DEFAULT now()
);
"""


@dataclass(frozen=True)
class Migration:
    """One SQL file: ``version`` from its ``NNNN_`` prefix, ``name`` the rest of the file name."""

    version: int
    name: str
    path: Path

    @property
    def sql(self) -> str:
        return self.path.read_text(encoding="utf-8")


def migrations(folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """The migrations in ``folder``, in version order; two files with one version are an error."""
    found: dict[int, Migration] = {}
    for path in sorted(folder.glob("*.sql")):
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", path.name)
        if match is None:
            raise ValueError(f"migration file {path.name!r} is not named NNNN_name.sql")
        version = int(match.group(1))
        if version in found:
            raise ValueError(f"two migrations with version {version}: {found[version].path.name}, {path.name}")
        found[version] = Migration(version, match.group(2), path)
    return [found[v] for v in sorted(found)]


def applied_versions(conn: psycopg.Connection) -> list[int]:
    """The versions recorded in the database (empty when the schema was never created)."""
    exists = conn.execute("SELECT to_regclass(%s) IS NOT NULL", (f"{SCHEMA}.schema_migrations",)).fetchone()
    if not exists or not exists[0]:
        return []
    return [row[0] for row in conn.execute(f"SELECT version FROM {SCHEMA}.schema_migrations ORDER BY version")]


def migrate(url: str, folder: Path = MIGRATIONS_DIR) -> list[Migration]:
    """Bring the database at ``url`` to the newest schema; return the migrations applied now.

    Parameters
    ----------
    url : a PostgreSQL connection URL (``postgresql://user@host:port/db``)
    folder : where the ``NNNN_name.sql`` files are (the package's by default)

    Returns
    -------
    The migrations this call applied, in order (empty when the schema was up to date).
    """
    done: list[Migration] = []
    with psycopg.connect(url) as conn:
        for migration in migrations(folder):
            with conn.transaction():
                conn.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                conn.execute(_BOOTSTRAP)
                if migration.version in applied_versions(conn):
                    continue
                conn.execute(migration.sql)
                conn.execute(
                    f"INSERT INTO {SCHEMA}.schema_migrations (version, name) VALUES (%s, %s)",
                    (migration.version, migration.name),
                )
            done.append(migration)
    return done
