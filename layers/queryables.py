"""The queryables of a collection (OGC API - Features Part 3): a JSON Schema of what a filter may name.

Only the fields the caller's role is served (``layers.access.visible_fields``), with their types
and formats, the geometry (``format`` ``geometry-point``..., ``x-ogc-role`` ``primary-geometry``),
the time fields' roles, and an ``enum`` of the values found in the data for the coded fields
(``CODED``), cached by the data's digest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from geo.cache import LRUCache
from geo.cql import GEOMETRY
from geo.errors import InvalidParameter, LayerNotFound
from geo.storage.store import Store
from layers.access import sees_all_of
from layers.catalogue import Field, Layer
from layers.secured import SecuredStore
from layers.sources import StoredSource

JSON_SCHEMA = "https://json-schema.org/draft/2020-12/schema"
CODED = ("event_type", "sub_event_type", "disorder_type", "source_dataset", "assigned_by", "precision", "status",
         "geocode_precision", "countries_coverage", "verified", "domain", "footprint", "coverage",
         "projects_budget_status", "admin1_basis")
"""Fields whose values are codes from a short list: their queryable lists the values in the data."""
MAX_ENUM = 200
"""A coded field with more distinct values than this gets no ``enum``."""
TYPES = {
    "string": {"type": "string"},
    "list": {"type": "string"},
    "integer": {"type": "integer"},
    "number": {"type": "number"},
    "boolean": {"type": "boolean"},
    "date": {"type": "string", "format": "date"},
    "datetime": {"type": "string", "format": "date-time"},
}
GEOMETRY_FORMATS = {"Point": "geometry-point", "Polygon": "geometry-polygon",
                    "MultiPolygon": "geometry-multipolygon", "Geometry": "geometry-any"}


def queryables_cache() -> LRUCache:
    """An empty cache of coded values (per layer, data digest and fields)."""
    return LRUCache(64)


def queryables(cache: LRUCache, layer: Layer, store: Store, fields: Sequence[Field], url: str) -> dict[str, Any]:
    """The queryables document of ``layer`` for the caller served ``fields``, at ``url``.

    Examples
    --------
    A conflict event's ``event_type`` reads ``{"type": "string", "enum": ["Battles", ...]}``.
    """
    properties: dict[str, Any] = {
        GEOMETRY: {"title": "geometry", "format": GEOMETRY_FORMATS.get(layer.geometry_type, "geometry-any"),
                   "x-ogc-role": "primary-geometry"},
    }
    values = _coded_values(cache, layer, store, [f.name for f in fields if f.name in CODED])
    roles = _time_roles(layer)
    for f in fields:
        entry: dict[str, Any] = {"title": f.name, **TYPES.get(f.type, {"type": "string"})}
        if f.description:
            entry["description"] = f.description
        if f.name in values:
            entry["enum"] = values[f.name]
        if f.name in roles:
            entry["x-ogc-role"] = roles[f.name]
        if f.name == layer.id_field:
            entry.setdefault("x-ogc-role", "id")
        properties[f.name] = entry
    return {
        "$schema": JSON_SCHEMA,
        "$id": url,
        "type": "object",
        "title": layer.title,
        "description": f"The properties of {layer.title} a filter may name (CQL2: filter, filter-lang).",
        "properties": properties,
        "additionalProperties": False,
    }


def _time_roles(layer: Layer) -> dict[str, str]:
    time = layer.time
    if time is None or time.ongoing:
        return {}
    if time.end is None:
        return {time.start: "primary-instant"}
    return {time.start: "primary-interval-start", time.end: "primary-interval-end"}


def _coded_values(cache: LRUCache, layer: Layer, store: Store, names: list[str]) -> dict[str, list[Any]]:
    """The distinct values of the coded columns ``names`` as the caller's store shows them."""
    if not names or not isinstance(layer.source, StoredSource):
        return {}
    layer_id = layer.source.layer_id
    record = store.manifest().layers.get(layer_id)
    if record is None:
        return {}
    reader = store
    if isinstance(store, SecuredStore) and sees_all_of(layer, store.role):
        reader = store.raw  # the policy changes nothing of the layer: read only these columns

    def compute() -> dict[str, list[Any]]:
        found: dict[str, list[Any]] = {}
        for name in names:
            values: set[Any] = set()
            try:
                for table in reader.scan(layer_id, [name]):
                    column = table.column(name)
                    if pa.types.is_dictionary(column.type):
                        column = column.cast(column.type.value_type)
                    values.update(v for v in pc.unique(column).to_pylist() if v is not None)
            except InvalidParameter:  # the stored layer has no such column
                continue
            except LayerNotFound:
                return {}
            if 0 < len(values) <= MAX_ENUM:
                found[name] = sorted(values)
        return found

    return cache.get_or_compute((layer.id, record.digest, tuple(names)), compute)
