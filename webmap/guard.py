"""Data reads for views, through the one access policy (``layers/access.py``).

``webmap.context.store()`` and ``catalogue()`` already return, inside a request, the store and
the catalogue as the caller may see them (built here), so a view that reads through them is
covered. The helpers below are for views that want it explicit::

    layer = guard.layer(layer_id)               # 404 for a hidden layer, as for an unknown one
    frame = guard.read(layer_id, params)        # the whole layer as the caller may see it
    layers = guard.layers()                     # the collections list, the map's layer control
    fields = guard.fields(layer)                # schemas, queryables, popups, legends
    key = guard.view_key(layer)                 # in every cache key / file name / ETag

Filters (bbox, datetime, properties), sorting and ``limit`` come AFTER these calls.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
from flask import current_app, g

from geo.boundaries.generalise import Boundaries, load_boundaries
from geo.cache import LRUCache
from layers import CATALOGUE, access
from layers.access import SECURE_CACHE_SIZE
from layers.catalogue import Catalogue, Field, Layer
from layers.secured import SecuredStore
from webmap.auth import current_role
from webmap.security import mark_restricted, mark_role_dependent


def _cache() -> LRUCache:
    return current_app.extensions.setdefault("coopmap.secure_cache", LRUCache(SECURE_CACHE_SIZE))


def _raw():
    return current_app.extensions["coopmap.store"]


def boundaries() -> Boundaries:
    """The country polygons, and the provinces when the workspace has them."""
    return load_boundaries(_raw())


def secured_store() -> SecuredStore:
    """The store as the caller may see it (one per request)."""
    found = g.get("coopmap_secured_store")
    if found is None:
        mark_role_dependent()
        found = g.coopmap_secured_store = _Marking(_raw(), current_role(), CATALOGUE, _cache(), boundaries)
    return found


def visible_catalogue() -> Catalogue:
    """The catalogue of the layers the caller may see."""
    return Catalogue(tuple(layers()))


def layers() -> list[Layer]:
    """The catalogue layers the caller may see."""
    mark_role_dependent()
    return access.visible_layers(CATALOGUE, current_role())


def layer(layer_id: str) -> Layer:
    """The layer ``layer_id`` if the caller may see it; ``LayerNotFound`` (404) otherwise."""
    mark_role_dependent()
    return access.visible_layer(CATALOGUE, layer_id, current_role())


def fields(target: Layer) -> tuple[Field, ...]:
    """The fields of ``target`` served to the caller."""
    mark_role_dependent()
    return access.visible_fields(target, current_role())


def view_key(target: Layer) -> str:
    """What the caller gets of ``target``: put it in cache keys, file names and ETags."""
    mark_role_dependent()
    return access.view_key(target, current_role())


def read(layer_id: str, params: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
    """The whole layer ``layer_id`` as the caller may see it (computed layers with ``params``)."""
    target = layer(layer_id)
    frame = target.source.frame(secured_store(), params)
    if target.source.computed:
        # computed from secured inputs; its own restricted fields still go
        frame = access.secure_frame(target, frame, current_role(), None if not target.generalise_geometry
                                    else boundaries())
        if access.is_restricted_view(target, current_role()):
            mark_restricted()
    return access.trim_fields(target, frame, current_role())


class _Marking(SecuredStore):
    """A SecuredStore that flags the response when it served a non-public view."""

    def read(self, layer_id: str) -> gpd.GeoDataFrame:
        frame = super().read(layer_id)
        target = self._layer(layer_id)
        if target is not None and access.is_restricted_view(target, self.role):
            mark_restricted()
        return frame
