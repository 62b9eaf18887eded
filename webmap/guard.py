"""Data reads for views, through the one access policy (``layers/access.py``).

Every view that sends layer data to a client gets it from here, with one call per read::

    layer = guard.layer(layer_id)               # 404 for a hidden layer, as for an unknown one
    frame = guard.read(layer_id)                # the whole layer as the caller may see it
    frame = guard.secure(layer, computed)       # a frame the view computed itself (summaries)
    layers = guard.layers()                     # the collections list, the map's layer control
    fields = guard.fields(layer)                # schemas, queryables, popups, legends
    key = guard.view_key(layer)                 # in every cache key / file name / ETag

Filters (bbox, datetime, properties), sorting and ``limit`` come AFTER these calls.
"""

from __future__ import annotations

from collections.abc import Mapping

import geopandas as gpd
from flask import current_app

from geo.generalise import load_boundaries
from layers import access
from layers.access import Boundaries, SecureCache
from layers.catalogue import Field, Layer
from webmap.auth import current_role
from webmap.context import catalogue, store
from webmap.security import mark_restricted, mark_role_dependent


def _cache() -> SecureCache:
    cache = current_app.extensions.get("coopmap.secure_cache")
    if cache is None:
        cache = current_app.extensions["coopmap.secure_cache"] = SecureCache()
    return cache


def boundaries() -> Boundaries:
    """The country polygons, and the provinces when the workspace has them."""
    return load_boundaries(store())


def view_key(target: Layer) -> str:
    """What the caller gets of ``target``: put it in cache keys, file names and ETags."""
    mark_role_dependent()
    return access.view_key(target, current_role())


def layers() -> list[Layer]:
    """The catalogue layers the caller may see."""
    mark_role_dependent()
    return access.visible_layers(catalogue(), current_role())


def layer(layer_id: str) -> Layer:
    """The layer ``layer_id`` if the caller may see it; ``LayerNotFound`` (404) otherwise."""
    mark_role_dependent()
    return access.visible_layer(catalogue(), layer_id, current_role())


def fields(target: Layer) -> tuple[Field, ...]:
    """The fields of ``target`` served to the caller."""
    mark_role_dependent()
    return access.visible_fields(target, current_role())


def secure(target: Layer, frame: gpd.GeoDataFrame, *, version: str | None = None) -> gpd.GeoDataFrame:
    """``frame`` (features of ``target``) as the caller may see it; marks the response.

    Pass ``version`` only when ``frame`` is the whole stored layer at that data version.
    """
    role = current_role()
    mark_role_dependent()
    secured = access.secure_frame(target, frame, role,
                                  boundaries() if target.generalise_geometry else None,
                                  version=version, cache=_cache())
    if access.is_restricted_view(target, role):
        mark_restricted()
    return secured


def read(layer_id: str, params: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
    """The whole layer ``layer_id`` as the caller may see it (computed layers with ``params``)."""
    target = layer(layer_id)
    st = store()
    version = None if target.source.computed else st.data_version  # read before the frame
    frame = target.source.frame(st, params)
    return secure(target, frame, version=version)
