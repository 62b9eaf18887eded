"""``coopmap db``: the PostGIS database's schema (``COOPMAP_DATABASE_URL``)."""

from __future__ import annotations

import click

from cli.common import Group
from geo.config import Settings


@click.group(cls=Group)
def db() -> None:
    """The PostGIS database named by COOPMAP_DATABASE_URL (the embedded store needs none of this)."""


@db.command("init")
def init() -> None:
    """Create the coopmap schema in the database, or migrate it to the newest version.

    Safe to run again (and from several servers at once): applied migrations are skipped.
    """
    import psycopg  # only this command needs the driver: other commands start without it

    from geo.storage.migrations import applied_versions, migrate, migrations

    url = Settings().database_url
    if not url:
        raise click.ClickException("COOPMAP_DATABASE_URL is not set: give the postgresql:// URL of the database")
    try:
        applied = migrate(url)
        with psycopg.connect(url) as conn:
            current = applied_versions(conn)
    except psycopg.OperationalError as exc:
        raise click.ClickException(f"cannot reach the database: {exc}") from exc
    except psycopg.Error as exc:
        raise click.ClickException(f"migration failed, nothing of it was kept: {exc}") from exc
    for migration in applied:
        click.echo(f"applied {migration.version:04d} {migration.name}")
    newest = max(current, default=0)
    known = max((m.version for m in migrations()), default=0)
    state = "up to date" if newest == known else f"at {newest:04d}, newest known {known:04d}"
    click.echo(f"schema version {newest:04d} ({state}; {len(applied)} applied now)")
