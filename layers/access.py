"""The one place that decides what each role may see of each layer.

Every data read that reaches a client (features, downloads, map pages, snapshots, rasters) goes
through :func:`visible_layer` / :func:`visible_layers` to pick layers and :func:`secure_frame` to
shape the frame. Nothing here knows about HTTP.

What each role sees
===================

=========  ==================  =====================  ================  =================
role       restricted layers   exact geometry of      restricted        token management
           (``access``)        generalised layers     fields (budgets)
=========  ==================  =====================  ================  =================
public     absent (404)        province/country       removed           no
                               representative point;
                               locational fields
                               (site name, region,
                               notes, distance to
                               events) removed; one
                               feature per distinct
                               public content and
                               place, opaque site id
planner    yes                 yes                    removed           no
analyst    yes                 yes                    yes               no
admin      yes                 yes                    yes               yes (CLI holder)
=========  ==================  =====================  ================  =================

Locational *text* (``Field.locational`` strings: region, components, notes...) is withheld from
the roles below planner on every layer, not only on generalised ones: a project footprint drawn as
its countries must not say "Ituri and North Kivu provinces" either. The one exception is a feature
without any location (a project whose countries no source names): it keeps its region and notes,
null on every located feature (``unlocated_place_text``).

Site ids of a generalised view: ``P1-2`` would tell that project P1 has at least two sites. A
generalised view merges the features that are identical once trimmed (same public fields, same
generalised point: several sites of a project in one province are one feature) and replaces the
layer's id field, when it is marked locational, by an opaque id: ``g`` + a BLAKE2b digest of the
layer id, the feature's public fields and its generalised point. It needs no key: it is computed
only from what the view already shows, so it tells nothing more; it is stable across workers and
restarts (links and ETags keep working) and changes only when the public content does.

A restricted layer is *absent* for the public, never "forbidden": the answer is the same
``LayerNotFound`` as for a layer id that does not exist, so its existence does not leak.
"""

from __future__ import annotations

import hashlib

import geopandas as gpd
import pandas as pd
import shapely

from geo.boundaries.generalise import (
    GENERALISED_FIELD,
    Boundaries,
    generalise_points,
)
from geo.cache import LRUCache
from geo.errors import InvalidParameter, LayerNotFound
from geo.types import ROLES, Role
from layers.catalogue import Catalogue, Field, Layer

__all__ = [
    "FULL_VIEW", "GENERALISED_FIELD", "SECURE_CACHE_SIZE", "Boundaries", "at_least", "sees_all_of",
    "can_see_layer", "is_restricted_view", "parse_role", "secure_frame", "sees_exact_geometry",
    "sees_place_text", "sees_restricted_fields", "trim_fields", "view_key", "visible_fields", "visible_layer",
    "unlocated_place_text", "visible_layers", "EDIT_MINIMUM", "may_edit", "hidden_record_fields",
]


def parse_role(value: str) -> Role:
    """Return ``value`` as a :data:`geo.types.Role`; raise ``InvalidParameter`` otherwise."""
    if value not in ROLES:
        raise InvalidParameter("role", value, f"use one of {', '.join(ROLES)}")
    return value  # type: ignore[return-value]


def at_least(role: Role, minimum: Role) -> bool:
    """True when ``role`` ranks at or above ``minimum`` (public < planner < analyst < admin)."""
    return ROLES.index(role) >= ROLES.index(minimum)


def can_see_layer(layer: Layer, role: Role) -> bool:
    """True when ``role`` may know that ``layer`` exists."""
    return layer.access == "public" or at_least(role, "planner")


def sees_exact_geometry(layer: Layer, role: Role) -> bool:
    """False when ``role`` gets ``layer``'s points generalised to province or country."""
    return not layer.generalise_geometry or at_least(role, "planner")


def sees_restricted_fields(role: Role) -> bool:
    """True when ``role`` gets the fields marked ``restricted`` (budgets...)."""
    return at_least(role, "analyst")


def sees_place_text(role: Role) -> bool:
    """True when ``role`` gets the locational text fields (region, notes...) of every layer: the
    roles that see the exact sites."""
    return at_least(role, "planner")


EDIT_MINIMUM: dict[str, Role] = {
    "create": "planner", "replace": "planner", "patch": "planner", "history": "planner",
    "retire": "admin", "restore": "admin", "revert": "planner",
}
"""The lowest role that may do each registry action (``layers.registry_edit``); the public none.
``revert`` brings an earlier version of a live record back (an edit: "restore this version" of the
history page); ``restore`` un-retires a record."""


def may_edit(role: Role, action: str) -> bool:
    """True when ``role`` may do ``action`` (a key of ``EDIT_MINIMUM``) on registry records."""
    return at_least(role, EDIT_MINIMUM[action])


def hidden_record_fields(layer: Layer, role: Role) -> set[str]:
    """The fields of ``layer``'s records that ``role`` does not see (budgets below analyst): left
    out of the records it reads, and kept from the previous version when it replaces one."""
    if sees_restricted_fields(role):
        return set()
    return {f.name for f in layer.fields if f.restricted}


def visible_layers(catalogue: Catalogue, role: Role) -> list[Layer]:
    """The layers of ``catalogue`` that ``role`` may see, in catalogue order."""
    return [layer for layer in catalogue if can_see_layer(layer, role)]


def visible_layer(catalogue: Catalogue, layer_id: str, role: Role) -> Layer:
    """The layer ``layer_id`` if ``role`` may see it; ``LayerNotFound`` otherwise (also when hidden)."""
    layer = catalogue.get(layer_id)
    if not can_see_layer(layer, role):
        raise LayerNotFound(layer_id)
    return layer


def visible_fields(layer: Layer, role: Role) -> tuple[Field, ...]:
    """The fields of ``layer`` served to ``role`` (for schemas, queryables, popups, legends).

    A generalised view adds the ``generalised`` field (province | country | withheld) and keeps the
    id field (an opaque id there, see the module docstring).
    """
    fields = layer.fields if sees_restricted_fields(role) else tuple(f for f in layer.fields if not f.restricted)
    exact = sees_exact_geometry(layer, role)
    unlocated = unlocated_place_text(layer, role)
    fields = tuple(f for f in fields if _shows_locational(layer, f, exact, sees_place_text(role)) or f in unlocated)
    if not exact:
        fields += (Field(GENERALISED_FIELD, "string", "location generalised to: province | country | withheld"),)
    return fields


UNLOCATED_TEXT = ("region", "notes", "location_source")
"""The place text that can say where a feature without any location is (its site name, geocode
precision and components have nothing to say there)."""


def unlocated_place_text(layer: Layer, role: Role) -> tuple[Field, ...]:
    """The place text a generalised view keeps on features WITHOUT any location, null elsewhere.

    A project whose countries no source names (ACASA: "Africa: 22 states") has no point to hide:
    its region is all the source says of where it is, so the public gets it. On every located
    feature of the same view these fields are null (``secure_frame``).
    """
    if sees_exact_geometry(layer, role):
        return ()
    return tuple(f for f in layer.fields if f.locational and f.name in UNLOCATED_TEXT
                 and (not f.restricted or sees_restricted_fields(role)))


def _shows_locational(layer: Layer, field: Field, exact: bool, place_text: bool) -> bool:
    if not field.locational or field.name == layer.id_field:
        return True
    return exact and (place_text or field.type != "string")


SECURE_CACHE_SIZE = 32
"""Secured frames kept per app (``LRUCache(SECURE_CACHE_SIZE)`` is the ``cache`` of ``secure_frame``)."""

FULL_VIEW = "exact-all"
"""The view key of a role that sees everything of a layer."""


def view_key(layer: Layer, role: Role) -> str:
    """A short key naming what ``role`` gets of ``layer``; roles with the same view share it.

    Put it in every cache key, file name and ETag of role-dependent output (prepared indexes,
    download files, snapshots, rasters): a cache keyed without it serves one role's output to
    another.
    """
    if not can_see_layer(layer, role):
        return "hidden"
    if not sees_exact_geometry(layer, role):
        geometry = "generalised"
    elif _has_place_text(layer) and not sees_place_text(role):
        geometry = "exact-noplace"
    else:
        geometry = "exact"
    fields = "all" if sees_restricted_fields(role) else "public"
    return f"{geometry}-{fields}"


def sees_all_of(layer: Layer, role: Role) -> bool:
    """True when the policy changes nothing of ``layer`` for ``role``: the role's view is the
    stored layer itself (its ``view_key`` is ``FULL_VIEW``, or the layer has nothing the view
    would take away: no restricted field, no generalised geometry, no place text withheld).

    Examples
    --------
    >>> sees_all_of(CATALOGUE.get("conflict-events"), "public")  # doctest: +SKIP
    True
    """
    key = view_key(layer, role)
    if key == FULL_VIEW:
        return True
    return key == "exact-public" and not any(f.restricted for f in layer.fields)


def _has_place_text(layer: Layer) -> bool:
    return any(f.locational and f.type == "string" and f.name != layer.id_field for f in layer.fields)


def is_restricted_view(layer: Layer, role: Role) -> bool:
    """True when what ``role`` gets of ``layer`` holds anything the public would not get.

    The web layer marks such responses ``Cache-Control: private, no-store``.
    """
    if not can_see_layer(layer, "public"):
        return True
    has_restricted = any(f.restricted for f in layer.fields)
    return (has_restricted and sees_restricted_fields(role)) or (
        (layer.generalise_geometry or _has_place_text(layer)) and at_least(role, "planner")
    )


def trim_fields(layer: Layer, frame: gpd.GeoDataFrame, role: Role) -> gpd.GeoDataFrame:
    """Drop the catalogue fields of ``layer`` that ``role`` may not see (columns added after the
    policy ran, e.g. exposure computed on read); geometry and other columns are left alone."""
    shown = {f.name for f in visible_fields(layer, role)}
    drop = [f.name for f in layer.fields if f.name not in shown and f.name in frame.columns]
    return frame.drop(columns=drop) if drop else frame


def secure_frame(
    layer: Layer,
    frame: gpd.GeoDataFrame,
    role: Role,
    boundaries: Boundaries | None,
    *,
    version: str | None = None,
    cache: LRUCache | None = None,
) -> gpd.GeoDataFrame:
    """Return what ``role`` may see of ``frame``, the features of ``layer``.

    Apply it to the WHOLE layer before any bbox, datetime or property filter, sort or limit:
    filtering exact points by a small bbox, or sorting by a removed field, would leak them.

    Parameters
    ----------
    layer : the catalogue layer the frame belongs to
    frame : its features, exact
    role : who is asking
    boundaries : country (and province) polygons; needed when ``layer.generalise_geometry``
    version : the store's data version when ``frame`` is the whole stored layer at that version;
        with ``cache``, the result is cached under (version, layer id, ``view_key``). Leave ``None`` for
        computed or already-filtered frames.
    cache : where to keep secured frames (an ``LRUCache``)

    Returns
    -------
    A GeoDataFrame; ``frame`` itself when ``role`` sees everything of it. Treat it as read-only.

    Raises
    ------
    LayerNotFound
        when ``role`` may not see ``layer`` at all.

    Examples
    --------
    >>> public = secure_frame(CATALOGUE.get("projects"), sites, "public", Boundaries(countries))  # doctest: +SKIP
    >>> "budget_eur" in public.columns, set(public.generalised)  # doctest: +SKIP
    (False, {'country'})
    """
    if not can_see_layer(layer, role):
        raise LayerNotFound(layer.id)
    if version is None or cache is None:
        return _shape(layer, frame, role, boundaries)
    key = (version, layer.id, view_key(layer, role))
    return cache.get_or_compute(key, lambda: _shape(layer, frame, role, boundaries))


def _shape(layer: Layer, frame: gpd.GeoDataFrame, role: Role, boundaries: Boundaries | None) -> gpd.GeoDataFrame:
    if not sees_exact_geometry(layer, role):
        if boundaries is None:
            raise ValueError(f"boundaries are required to generalise layer {layer.id!r}")
        # Only the catalogue's public fields survive: any extra column (lon/lat, notes...) could
        # carry the exact location.
        keep = [f.name for f in visible_fields(layer, role) if f.name in frame.columns]
        trimmed = gpd.GeoDataFrame(frame[keep].copy(), geometry=frame.geometry.values, crs=frame.crs)
        located = (trimmed.geometry.notna() & ~trimmed.geometry.is_empty).to_numpy()
        for f in unlocated_place_text(layer, role):
            if f.name in trimmed.columns and located.all():
                trimmed = trimmed.drop(columns=f.name)
            elif f.name in trimmed.columns and located.any():
                trimmed[f.name] = trimmed[f.name].astype(object).where(~located, None)
        return _opaque_places(layer, generalise_points(trimmed, boundaries))
    return trim_fields(layer, frame, role)


def _opaque_places(layer: Layer, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """One feature per distinct public content and place, its locational id made opaque."""
    id_field = layer.id_field
    if id_field not in frame.columns or not any(f.name == id_field and f.locational for f in layer.fields):
        return frame
    others = [c for c in frame.columns if c not in (id_field, frame.geometry.name)]
    content = frame[others].astype("string").fillna("\x00").agg("\x1f".join, axis=1) if others else None
    places = shapely.to_wkb(frame.geometry.values, hex=True)
    ids = []
    for i, place in enumerate(places):
        text = f"{layer.id}\x1e{'' if content is None else content.iloc[i]}\x1e{place or ''}"
        ids.append("g" + hashlib.blake2b(text.encode(), digest_size=8).hexdigest())
    out = frame.assign(**{id_field: pd.array(ids, dtype="string")})
    return out.drop_duplicates(subset=[id_field]).reset_index(drop=True)
