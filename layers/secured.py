"""The store as one role sees it: ``SecuredStore`` applies the access policy of ``layers.access`` on
every read, so code written against ``Store`` (layer sources, summaries, renderers, indexes) needs
no change to respect it."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator, Sequence
from contextlib import AbstractContextManager

import geopandas as gpd
import pyarrow as pa

from geo.boundaries.generalise import Boundaries, load_boundaries
from geo.cache import LRUCache
from geo.errors import LayerNotFound
from geo.storage.base import RecordVersion, RegistryChange, checked_columns
from geo.storage.store import BatchWriter, LayerRecord, Manifest, Store, version_of
from geo.types import Role
from layers.access import FULL_VIEW, can_see_layer, secure_frame, sees_exact_geometry, view_key
from layers.catalogue import Catalogue, Layer


class SecuredStore(Store):
    """A read-only view of a store as one role may see it: the access policy applied on read.

    Code written against ``Store`` (layer sources, summaries, exposure, renderers, indexes) needs
    no change to respect the policy: hidden layers are absent from ``manifest``/``has``/``read``,
    and ``read`` returns :func:`secure_frame` output. The manifest's digests and data version are
    suffixed with the view, so every cache keyed on them keeps one entry per view.

    Ids that are not catalogue layers (internal tables) pass through unchanged.
    """

    def __init__(self, store: Store, role: Role, catalogue: Catalogue, cache: LRUCache | None = None,
                 boundaries: Callable[[], Boundaries] | None = None) -> None:
        self.raw = store
        self.role = role
        self.catalogue = catalogue
        self.cache = cache
        self._boundaries = boundaries or (lambda: load_boundaries(store))

    def _layer(self, layer_id: str) -> Layer | None:
        try:
            return self.catalogue.get(layer_id)
        except LayerNotFound:
            return None

    def manifest(self) -> Manifest:
        raw = self.raw.manifest()
        layers: dict[str, LayerRecord] = {}
        for layer_id, record in raw.layers.items():
            layer = self._layer(layer_id)
            if layer is None:
                layers[layer_id] = record
            elif can_see_layer(layer, self.role):
                key = view_key(layer, self.role)
                layers[layer_id] = record if key == FULL_VIEW else dataclasses.replace(
                    record, digest=f"{record.digest}-{key}")
        return Manifest(data_version=version_of(layers) if layers else raw.data_version, layers=layers)

    def has(self, layer_id: str) -> bool:
        layer = self._layer(layer_id)
        return self.raw.has(layer_id) and (layer is None or can_see_layer(layer, self.role))

    def read(self, layer_id: str) -> gpd.GeoDataFrame:
        layer = self._layer(layer_id)
        if layer is None:
            return self.raw.read(layer_id)
        if not can_see_layer(layer, self.role):
            raise LayerNotFound(layer_id)
        record = self.raw.manifest().layers.get(layer_id)  # before the read: a newer frame under
        frame = self.raw.read(layer_id)                    # an older key is never reused
        boundaries = self._boundaries() if not sees_exact_geometry(layer, self.role) else None
        return secure_frame(layer, frame, self.role, boundaries,
                            version=record.digest if record else None, cache=self.cache)

    def write(self, layer_id: str, frame: gpd.GeoDataFrame, sources: list[str]) -> None:
        raise PermissionError(f"the store seen by role {self.role!r} is read-only (layer {layer_id!r})")

    def write_batches(self, layer_id: str, schema: pa.Schema,
                      geometry_types: Sequence[str] = ()) -> AbstractContextManager[BatchWriter]:
        raise PermissionError(f"the store seen by role {self.role!r} is read-only (layer {layer_id!r})")

    def boundaries(self, detail: str = "countries") -> gpd.GeoDataFrame:
        """The store's boundaries, when the role may see the ``countries`` layer."""
        if not self.has("countries"):
            raise LayerNotFound("countries")
        return self.raw.boundaries(detail)

    def save_report(self, name: str, table: pa.Table) -> str | None:
        raise PermissionError(f"the store seen by role {self.role!r} is read-only (report {name!r})")

    def reports(self) -> list[str]:
        raise PermissionError(f"ingest reports hold raw rows: not for role {self.role!r}")

    def read_report(self, name: str) -> pa.Table:
        raise PermissionError(f"ingest reports hold raw rows: not for role {self.role!r} (report {name!r})")

    def secret(self, name: str) -> bytes:
        raise PermissionError(f"secrets are not for role {self.role!r} (secret {name!r})")

    def lock(self, name: str) -> AbstractContextManager[None]:
        raise PermissionError(f"the store seen by role {self.role!r} is read-only (lock {name!r})")

    def registry_versions(self, registry: str, record_id: str | None = None) -> list[RecordVersion]:
        raise PermissionError(f"registry records go through layers.registry_edit, not role {self.role!r}'s view")

    def registry_change(self, registry: str) -> AbstractContextManager[RegistryChange]:
        raise PermissionError(f"the store seen by role {self.role!r} is read-only (registry {registry!r})")

    def scan(self, layer_id: str, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        """Catalogue layers as ``read`` shows them to the role (one table); others unchanged."""
        if self._layer(layer_id) is None:
            yield from self.raw.scan(layer_id, columns)
            return
        table = pa.table(self.read(layer_id).to_arrow(index=False, geometry_encoding="WKB"))
        columns = checked_columns(layer_id, table.column_names, columns)
        yield table.select(columns) if columns is not None else table
