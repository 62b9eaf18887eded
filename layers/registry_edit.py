"""Editing the registries (projects, ENVR schools) record by record: the one API of the browser forms,
the OGC API Part 4 views and the registry ingest.

The unit of edit is the registry RECORD, a row of the registry file (a project with all its sites,
a school). Every change is one ``Store.registry_change``: it validates the records as ``coopmap
ingest`` does (``geo.registries``, one implementation), rebuilds the registry's layers from them,
and keeps the new version with who made it and when, all or nothing; the data version moves.

- ``item`` / ``history`` read; ``create``, ``replace``, ``patch`` (planner and above), ``retire``
  and ``restore`` (admin) write; who may do what is ``layers.access.may_edit``.
- A record's id is its acronym as created (it never changes); a project's site ids (``UPS-2``)
  name their project's record too.
- Every ``Item`` has an ``etag``, new with every version: a change of an existing record needs the
  one the editor read (``if_match``), else ``PreconditionRequired`` (428); a stale one is
  ``PreconditionFailed`` (412): two editors never overwrite each other silently.
- Invalid records raise ``RecordInvalid`` (400) whose ``fields`` map each field to its message in
  the editor's language; unknown records ``RecordNotFound`` (404); a role that may not,
  ``EditForbidden`` (403).

Examples
--------
>>> editor = Editor("alice", "planner")  # doctest: +SKIP
>>> made = create(store, editor, "envr", {"acronym": "ENVR-X", "name": "…", "country_iso3": "SEN"},
...               {"type": "Point", "coordinates": [-17.45, 14.69]})  # doctest: +SKIP
>>> patch(store, editor, "envr", made.id, {"status": "open"}, made.etag).version  # doctest: +SKIP
2
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import orjson

from geo.errors import (
    EditForbidden,
    PreconditionFailed,
    PreconditionRequired,
    RecordInvalid,
    RecordNotFound,
)
from geo.i18n import text
from geo.registries.fields import RegistryLoad
from geo.storage.base import RecordVersion, Store
from geo.types import Role
from layers.access import hidden_record_fields, may_edit
from layers.catalogue import CATALOGUE
from layers.registry_records import (
    REGISTRY_LAYERS,
    SEED_ACTOR,
    build,
    cells,
    coordinate_cells,
    differences,
    etag_of,
    geocoder_of,
    geometry_of,
    layers_of,
    live,
    registry_of,
    row_cells,
    seed_rows,
)

KEEP: Any = object()
"""``patch``'s ``geometry`` default: the record keeps its place."""


@dataclass(frozen=True)
class Editor:
    """Who makes a change: ``name`` goes into the history, ``role`` decides what is allowed,
    ``lang`` (en|fr) the language of validation messages."""

    name: str
    role: Role
    lang: str = "en"


@dataclass(frozen=True)
class Item:
    """One record as a feature: its cells (coordinates excepted) and its points as GeoJSON."""

    id: str
    etag: str
    version: int
    retired: bool
    properties: dict[str, str]
    geometry: dict[str, Any] | None

    def feature(self) -> dict[str, Any]:
        """The record as a GeoJSON Feature."""
        return {"type": "Feature", "id": self.id, "geometry": self.geometry, "properties": self.properties}


@dataclass(frozen=True)
class Version:
    """One version in a record's history: ``changes`` maps each field that changed to (before,
    after) cells; ``properties`` are the cells of that version."""

    version: int
    action: str
    actor: str
    at: str
    retired: bool
    etag: str
    changes: dict[str, tuple[str, str]]
    properties: dict[str, str]


def item(store: Store, layer_id: str, item_id: str) -> Item:
    """The record ``item_id`` of ``layer_id`` (a project's site id names its project); retired ones
    too (``Item.retired``). ``RecordNotFound`` when there is none."""
    registry = registry_of(layer_id)
    raw = _raw(store)
    current = _current(raw, registry)
    version = current[_resolve(registry, current, item_id)]
    frame = raw.read(layer_id) if raw.has(layer_id) else None
    return _item(registry, version, frame)


def history(store: Store, layer_id: str, item_id: str) -> list[Version]:
    """Every version of the record ``item_id``, oldest first, field by field."""
    registry = registry_of(layer_id)
    raw = _raw(store)
    record_id = _resolve(registry, _current(raw, registry), item_id)
    out: list[Version] = []
    before: dict[str, str] = {}
    for v in raw.registry_versions(registry, record_id):
        changes = differences(before, v.values)
        out.append(Version(v.version, v.action, v.actor, v.at, v.retired, etag_of(registry, v), changes,
                           _properties(registry, v)))
        before = v.values
    return out


def create(store: Store, actor: Editor, layer_id: str, properties: Mapping[str, Any],
           geometry: Mapping[str, Any] | None) -> Item:
    """A new record from GeoJSON ``properties`` and ``geometry`` (None: placed from its sites,
    city or countries, as the ingest places a row without coordinates)."""
    registry = registry_of(layer_id)
    _allow(actor, "create")
    values = cells(registry, properties, geometry)
    record_id = values.get("acronym", "")
    if not record_id:
        raise RecordInvalid(registry, {"acronym": text(actor.lang, "registry_error_missing_value", field="acronym")})

    def make(current: dict[str, RecordVersion]) -> RecordVersion:
        taken = {key.upper() for key in current}
        if record_id.upper() in taken:
            raise RecordInvalid(registry, {"acronym": text(actor.lang, "registry_error_duplicate_acronym",
                                                           field="acronym", value=record_id)})
        return RecordVersion(record_id, 1, "create", actor.name, values)

    return _change(store, actor, registry, None, None, make)


def replace(store: Store, actor: Editor, layer_id: str, item_id: str, properties: Mapping[str, Any],
            geometry: Mapping[str, Any] | None, if_match: str | None) -> Item:
    """The record ``item_id`` replaced by ``properties`` and ``geometry``; the fields the editor's
    role does not see (budgets below analyst) keep their value, and a geometry equal to the one the
    record was read with keeps the record's own coordinates (geocoded sites stay geocoded)."""
    registry = registry_of(layer_id)
    _allow(actor, "replace")
    hidden = hidden_record_fields(CATALOGUE.get(layer_id), actor.role)
    given = cells(registry, {k: v for k, v in properties.items() if k not in hidden}, geometry)
    frame = _frame(store, layer_id)

    def make(before: RecordVersion) -> RecordVersion:
        values = {**given, **{name: before.values.get(name, "") for name in hidden}}
        if geometry is not None and _same_geometry(geometry, geometry_of(registry, before, frame)):
            values.update(lat=before.values.get("lat", ""), lon=before.values.get("lon", ""))
        _same_id(registry, actor, before, values)
        return RecordVersion(before.record_id, before.version + 1, "replace", actor.name, values)

    return _change(store, actor, registry, item_id, if_match, make)


def patch(store: Store, actor: Editor, layer_id: str, item_id: str, changes: Mapping[str, Any],
          if_match: str | None, geometry: Any = KEEP) -> Item:
    """The record ``item_id`` with the properties in ``changes`` set (None clears one), as a JSON
    merge patch of its properties; ``geometry`` (GeoJSON or None) moves it, by default it stays."""
    registry = registry_of(layer_id)
    _allow(actor, "patch")
    patch_cells = cells(registry, {k: v for k, v in changes.items()}, None)
    given = {name: patch_cells[name] for name in changes}

    def make(before: RecordVersion) -> RecordVersion:
        values = {**before.values, **given}
        if geometry is not KEEP:
            values.update(coordinate_cells(registry, geometry))
        _same_id(registry, actor, before, values)
        return RecordVersion(before.record_id, before.version + 1, "patch", actor.name, values)

    return _change(store, actor, registry, item_id, if_match, make)


def retire(store: Store, actor: Editor, layer_id: str, item_id: str, if_match: str | None) -> Item:
    """The record ``item_id`` retired (soft delete, admin): off the layers, kept in the history."""
    registry = registry_of(layer_id)
    _allow(actor, "retire")

    def make(before: RecordVersion) -> RecordVersion:
        return RecordVersion(before.record_id, before.version + 1, "retire", actor.name, dict(before.values), True)

    return _change(store, actor, registry, item_id, if_match, make)


def restore(store: Store, actor: Editor, layer_id: str, item_id: str, version: int | None = None,
            if_match: str | None = None) -> Item:
    """A new version of ``item_id`` with the cells of its ``version`` (default: the current one,
    un-retired), validated again. Bringing back an earlier version of a live record is an edit
    (planner and above, ``revert``); un-retiring one is an admin's (``restore``)."""
    registry = registry_of(layer_id)
    _allow(actor, "restore" if version is None else "revert")
    raw = _raw(store)

    def make(before: RecordVersion) -> RecordVersion:
        if before.retired:
            _allow(actor, "restore")
        values = dict(before.values)
        if version is not None:
            old = [v for v in raw.registry_versions(registry, before.record_id) if v.version == version]
            if not old:
                raise RecordNotFound(registry, before.record_id, version)
            values = dict(old[0].values)
        return RecordVersion(before.record_id, before.version + 1, "restore", actor.name, values)

    return _change(store, actor, registry, item_id, if_match, make)


def records(store: Store, registry: str) -> list[RecordVersion]:
    """The live records of ``registry`` (its current content; ``coopmap registry export``)."""
    return live(_current(_raw(store), registry_of(registry)))


def ingest(store: Store, actor: Editor, registry: str, load: RegistryLoad, source: str) -> int:
    """Record a bulk load of a registry file as ONE change by ``actor``: a new version of every
    record the file adds or changes, a retirement of every record it no longer has, and its layers;
    returns the number of versions written (0: nothing changed, the layers are still rewritten)."""
    registry = registry_of(registry)
    raw = _raw(store)
    with raw.registry_change(registry) as change:
        current = change.current()
        by_key = {key.upper(): version for key, version in current.items()}
        versions: list[RecordVersion] = []
        seen: set[str] = set()
        for row in load.accepted():
            values = row_cells(registry, row)
            key = values["acronym"].upper()
            seen.add(key)
            before = by_key.get(key)
            if before is None:
                versions.append(RecordVersion(values["acronym"], 1, "ingest", actor.name, values))
            elif before.values != values or before.retired:
                versions.append(RecordVersion(before.record_id, before.version + 1, "ingest", actor.name, values))
        for key, before in by_key.items():
            if key not in seen and not before.retired:
                versions.append(dataclasses.replace(before, version=before.version + 1, action="ingest",
                                                    actor=actor.name, retired=True))
        change.save(versions, layers_of(registry, load) if load.loaded else {}, [source])
    return len(versions)


def visible(found: Item, layer_id: str, role: Role) -> Item:
    """``found`` without the fields ``role`` does not see (``layers.access.hidden_record_fields``)."""
    hidden = hidden_record_fields(CATALOGUE.get(layer_id), role)
    return dataclasses.replace(found, properties={k: v for k, v in found.properties.items() if k not in hidden})


def bare_etag(value: str | None) -> str | None:
    """An ``If-Match``/``ETag`` header value without ``W/`` and quotes (None stays None)."""
    if value is None:
        return None
    value = value.strip()
    return value.removeprefix("W/").strip('"')


# -- the change -----------------------------------------------------------------------------------


def _change(store: Store, actor: Editor, registry: str, item_id: str | None, if_match: str | None,
            make: Any) -> Item:
    """One change: under the registry's lock, find the record (404), check ``if_match`` (428/412),
    make the new version, validate every live record with it (400) and save it with the layers."""
    raw = _raw(store)
    _current(raw, registry)  # the first records, from the ingested file, in a change of their own
    with raw.registry_change(registry) as change:
        current = change.current()
        if item_id is None:
            version = make(current)
        else:
            before = current[_resolve(registry, current, item_id)]
            _check_etag(registry, before, if_match)
            version = make(before)
        current[version.record_id] = version
        records_live = live(current)
        load = build(registry, records_live, geocoder_of(raw))
        if not version.retired:
            check = load.checks[records_live.index(version)]
            if not check.ok:
                raise RecordInvalid(registry, check.field_messages(actor.lang) or _first_problem(check))
        change.save([version], layers_of(registry, load), [f"{registry} registry"])
    return _item(registry, version, load.frame)


def _same_geometry(a: Mapping[str, Any] | None, b: Mapping[str, Any] | None) -> bool:
    """Equal GeoJSON geometries (lists or tuples alike)."""
    return orjson.loads(orjson.dumps(a)) == orjson.loads(orjson.dumps(b))


def _first_problem(check: Any) -> dict[str, str]:
    return {"record": "; ".join(message for _, message in check.problems)}


def _check_etag(registry: str, before: RecordVersion, if_match: str | None) -> None:
    sent = bare_etag(if_match)
    if sent is None or sent == "":
        raise PreconditionRequired(before.record_id)
    current = etag_of(registry, before)
    if sent != "*" and sent != current:
        raise PreconditionFailed(before.record_id, sent, current)


def _same_id(registry: str, actor: Editor, before: RecordVersion, values: Mapping[str, str]) -> None:
    if values.get("acronym", "") != before.values.get("acronym", ""):
        raise RecordInvalid(registry, {"acronym": text(actor.lang, "registry_error_immutable", field="acronym")})


def _allow(actor: Editor, action: str) -> None:
    if not may_edit(actor.role, action):
        raise EditForbidden(actor.role, action)


def _raw(store: Store) -> Store:
    """The workspace's store under a role's view (``layers.secured.SecuredStore.raw``)."""
    return getattr(store, "raw", store)


def _frame(store: Store, layer_id: str) -> gpd.GeoDataFrame | None:
    raw = _raw(store)
    return raw.read(layer_id) if raw.has(layer_id) else None


def _current(raw: Store, registry: str) -> dict[str, RecordVersion]:
    """The newest version of each record; the first call on a workspace whose records were never
    kept takes them from the file the registry was ingested from (one change, layers unchanged)."""
    versions = raw.registry_versions(registry)
    if not versions:
        with raw.registry_change(registry) as change:
            if not change.current():
                rows = seed_rows(raw, registry)
                if rows:
                    change.save([RecordVersion(r["acronym"], 1, "ingest", SEED_ACTOR, r) for r in rows], {}, [])
            return change.current()
    newest: dict[str, RecordVersion] = {}
    for version in versions:
        newest[version.record_id] = version  # by record id then version: the last is the newest
    return newest


def _resolve(registry: str, current: Mapping[str, RecordVersion], item_id: str) -> str:
    """The record id ``item_id`` names: itself, or for projects the record of a site id ``ACR-2``."""
    if item_id in current:
        return item_id
    head, _, tail = item_id.rpartition("-")
    if registry == "projects" and tail.isdigit() and head in current:
        return head
    raise RecordNotFound(registry, item_id)


def _properties(registry: str, version: RecordVersion) -> dict[str, str]:
    return {k: v for k, v in version.values.items() if k not in ("lat", "lon")}


def _item(registry: str, version: RecordVersion, frame: gpd.GeoDataFrame | None) -> Item:
    geometry = geometry_of(registry, version, frame if not version.retired else None)
    return Item(version.record_id, etag_of(registry, version), version.version, version.retired,
                _properties(registry, version), geometry)


__all__ = [
    "KEEP", "REGISTRY_LAYERS", "Editor", "Item", "Version", "bare_etag", "create", "history", "ingest", "item",
    "patch", "records", "replace", "restore", "retire", "visible",
]
