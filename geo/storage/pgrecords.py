"""The registry records of the PostGIS store: table ``coopmap.registry_versions`` (migration 0005).

A change is one SQL transaction: a transaction-level advisory lock per registry (changes of one
registry queue, on every server), the new versions, and the rebuilt layers written through the
same connection; the manifest trigger notifies the other servers at commit.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace

import geopandas as gpd
import psycopg
from psycopg.types.json import Jsonb

from geo.storage.base import RecordVersion, RegistryChange
from geo.storage.migrations import SCHEMA
from geo.storage.records import latest

_COLUMNS = "record_id, version, action, actor, fields, retired, at, change_id"


def _version(row: tuple) -> RecordVersion:
    record_id, version, action, actor, fields, retired, at, change = row
    return RecordVersion(record_id, version, action, actor, dict(fields), retired,
                         at.isoformat(timespec="seconds"), change)


def select_versions(conn: psycopg.Connection, registry: str, record_id: str | None = None) -> list[RecordVersion]:
    """The versions of ``registry`` (or of one record), by record id then version."""
    query = f"SELECT {_COLUMNS} FROM {SCHEMA}.registry_versions WHERE registry = %s"
    params: list[object] = [registry]
    if record_id is not None:
        query += " AND record_id = %s"
        params.append(record_id)
    return [_version(row) for row in conn.execute(query + " ORDER BY record_id, version", params)]


class SqlRegistryChange(RegistryChange):
    """A change inside the transaction of ``conn``; ``write_layer(conn, layer_id, frame, sources)``
    replaces a layer in that same transaction."""

    def __init__(self, conn: psycopg.Connection, registry: str,
                 write_layer: Callable[[psycopg.Connection, str, gpd.GeoDataFrame, list[str]], None]) -> None:
        self.conn = conn
        self.registry = registry
        self.write_layer = write_layer
        conn.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"coopmap registry {registry}",))
        self._current = latest(select_versions(conn, registry))
        self.saved = False

    def current(self) -> dict[str, RecordVersion]:
        return dict(self._current)

    def save(self, versions: Sequence[RecordVersion], layers: Mapping[str, gpd.GeoDataFrame],
             sources: list[str]) -> None:
        if self.saved:
            raise RuntimeError("a registry change saves once")
        self.saved = True
        change = self.conn.execute(f"SELECT nextval('{SCHEMA}.registry_changes')").fetchone()[0]
        with self.conn.cursor() as cursor:
            cursor.executemany(
                f"INSERT INTO {SCHEMA}.registry_versions "
                "(registry, record_id, version, change_id, action, actor, retired, fields) "
                "VALUES (%s, %s, %s, %s, %s, %s, %s, %s)",
                [(self.registry, v.record_id, v.version, change, v.action, v.actor, v.retired, Jsonb(v.values))
                 for v in versions],
            )
        for layer_id, frame in layers.items():
            self.write_layer(self.conn, layer_id, frame, sources)
        self._current.update({v.record_id: replace(v, change=change) for v in versions})
