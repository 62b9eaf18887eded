"""Registry records as ``layers.registry_edit`` handles them: cells ↔ GeoJSON, the layers rebuilt
from the records with the ingest's validation, the first records taken from the ingested file."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import orjson
import pandas as pd
import shapely
import shapely.geometry

from geo.boundaries.geocode import Geocoder
from geo.errors import InputFileError, LayerNotFound, RecordInvalid
from geo.registries import envr, projects
from geo.registries.fields import RegistryLoad
from geo.registries.read import RawRow, cell_text, read_rows
from geo.storage.base import RecordVersion, Store

REGISTRY_LAYERS: dict[str, tuple[str, ...]] = {
    "projects": ("projects", "project-countries"),
    "envr": ("envr",),
}
"""Registry → the layers built from its records (the first is the one the records are items of)."""
SEED_ACTOR = "coopmap"
"""Who the records taken from the last ingested file are attributed to."""


def registry_of(layer_id: str) -> str:
    """The registry whose records ``layer_id`` (``projects`` or ``envr``) is made of;
    ``LayerNotFound`` for a layer that is not editable."""
    if layer_id not in REGISTRY_LAYERS:
        raise LayerNotFound(layer_id)
    return layer_id


def columns_of(registry: str) -> tuple[str, ...]:
    """The record's cells, in export order."""
    return projects.RECORD_COLUMNS if registry == "projects" else envr.RECORD_COLUMNS


PROPERTY_COLUMNS = {
    registry: tuple(c for c in columns_of(registry) if c not in ("lat", "lon")) for registry in REGISTRY_LAYERS
}
"""The cells a client sets as properties; ``lat``/``lon`` come from the GeoJSON geometry."""


def cells(registry: str, properties: Mapping[str, Any], geometry: Mapping[str, Any] | None) -> dict[str, str]:
    """The record cells of GeoJSON ``properties`` and ``geometry``; ``RecordInvalid`` naming an
    unknown property or an unusable geometry."""
    allowed = PROPERTY_COLUMNS[registry]
    unknown = {name: "unknown_field" for name in properties if name not in allowed}
    if unknown:
        raise RecordInvalid(registry, {name: f"{name} is not a field of the {registry} registry" for name in unknown})
    values = {name: cell_text(properties.get(name)).strip() for name in allowed}
    values.update(coordinate_cells(registry, geometry))
    return values


def coordinate_cells(registry: str, geometry: Mapping[str, Any] | None) -> dict[str, str]:
    """``lat``/``lon`` cells of a GeoJSON Point (or, for projects, MultiPoint: one per site)."""
    if geometry is None:
        return {"lat": "", "lon": ""}
    allowed = ("Point",) if registry == "envr" else ("Point", "MultiPoint")
    try:
        shape = shapely.geometry.shape(geometry)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, shapely.errors.GEOSException):
        raise RecordInvalid(registry, {"geometry": "the geometry is not valid GeoJSON"}) from None
    if shape.geom_type not in allowed or shape.is_empty:
        raise RecordInvalid(registry, {"geometry": f"use a {' or a '.join(allowed)}, not {shape.geom_type}"})
    points = list(shape.geoms) if shape.geom_type == "MultiPoint" else [shape]
    return {"lat": ";".join(_number(p.y) for p in points), "lon": ";".join(_number(p.x) for p in points)}


def row_cells(registry: str, row: RawRow) -> dict[str, str]:
    """The record cells of a row read from a registry file (GeoJSON geometry as ``lat``/``lon``)."""
    values = {name: row.get(name) for name in columns_of(registry)}
    if row.geometry is not None:
        values.update(coordinate_cells(registry, shapely.geometry.mapping(row.geometry)))
    return values


def _number(value: float) -> str:
    return repr(round(float(value), 7))


def etag_of(registry: str, version: RecordVersion) -> str:
    """The record version's ETag value (without quotes): changes with every version."""
    payload = orjson.dumps([registry, version.record_id, version.version, version.retired, version.values],
                           option=orjson.OPT_SORT_KEYS)
    return f"{version.version}-{hashlib.blake2b(payload, digest_size=8).hexdigest()}"


def geocoder_of(store: Store) -> Geocoder:
    provinces = store.read("provinces") if store.has("provinces") else None
    return Geocoder(store.read("countries"), provinces)


def build(registry: str, records: Sequence[RecordVersion], geocoder: Geocoder) -> RegistryLoad:
    """Validate the live (not retired) ``records`` as ``coopmap ingest`` does and build the layers;
    ``checks`` are in the order of the live records given."""
    rows = [RawRow(i, dict(v.values), original=dict(v.values)) for i, v in enumerate(records, start=1)]
    if registry == "projects":
        return projects.build_projects(rows, geocoder, f"{registry} registry", dt.date.today())
    return envr.build_envr(rows, geocoder, f"{registry} registry")


def layers_of(registry: str, load: RegistryLoad) -> dict[str, gpd.GeoDataFrame]:
    if registry == "projects":
        assert load.footprints is not None
        return {"projects": load.frame, "project-countries": load.footprints}
    return {"envr": load.frame}


def live(current: Mapping[str, RecordVersion]) -> list[RecordVersion]:
    """The records not retired, by record id (the order the layers are built in)."""
    return [current[key] for key in sorted(current) if not current[key].retired]


def seed_rows(store: Store, registry: str) -> list[dict[str, str]]:
    """The first records of a registry never edited: the valid rows of the file its layer was
    loaded from (its manifest source) when that file is here and still gives the layer's records,
    else the records read back from the stored layer itself (another host's file, since removed)."""
    layer_id = REGISTRY_LAYERS[registry][0]
    if not store.has(layer_id):
        return []
    frame = store.read(layer_id)
    stored = {str(a) for a in frame["acronym"].dropna()}
    required = projects.REQUIRED_COLUMNS if registry == "projects" else envr.REQUIRED_COLUMNS
    for source in store.manifest().layers[layer_id].sources:
        path = Path(source)
        if path.suffix.lower() not in (".csv", ".geojson", ".json") or not path.is_file():
            continue
        try:
            rows = read_rows(path, required)
        except InputFileError:
            continue
        geocoder = geocoder_of(store)
        load = projects.build_projects(rows, geocoder) if registry == "projects" else envr.build_envr(rows, geocoder)
        found = [row_cells(registry, row) for row in load.accepted()]
        if {r["acronym"] for r in found} == stored:
            return found
    return records_from_layer(registry, frame)


def records_from_layer(registry: str, frame: gpd.GeoDataFrame) -> list[dict[str, str]]:
    """The records a registry layer was built from, as far as it tells: one per acronym, its sites
    (projects) and every point as given coordinates (so the rebuilt layer keeps them)."""
    out: list[dict[str, str]] = []
    for acronym, rows in frame.groupby("acronym", sort=False):
        first = rows.iloc[0]
        values = {name: _cell(first[name]) if name in rows.columns else "" for name in columns_of(registry)}
        points = [g for g in rows.geometry if g is not None and not g.is_empty]
        if registry == "projects":
            values["sites"] = ";".join(_cell(v) for v in rows["site"]) if points else ""
        values["acronym"] = str(acronym)
        values["lat"] = ";".join(_number(p.y) for p in points)
        values["lon"] = ";".join(_number(p.x) for p in points)
        out.append(values)
    return out


def _cell(value: Any) -> str:
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return ""
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def differences(before: Mapping[str, str], after: Mapping[str, str]) -> dict[str, tuple[str, str]]:
    """Field → (before, after) for every cell that differs."""
    names = [*before, *(n for n in after if n not in before)]
    return {n: (before.get(n, ""), after.get(n, "")) for n in names if before.get(n, "") != after.get(n, "")}


def geometry_of(registry: str, record: RecordVersion, frame: gpd.GeoDataFrame | None) -> dict[str, Any] | None:
    """The record's points as GeoJSON: its sites in the built layer (geocoded or given), else its
    own coordinates; None when it has no place."""
    if frame is not None and len(frame):
        rows = frame[frame["acronym"] == record.values.get("acronym", "")]
        points = [g for g in rows.geometry if g is not None and not g.is_empty]
        if points:
            shape = points[0] if len(points) == 1 else shapely.MultiPoint(points)
            return shapely.geometry.mapping(shape)  # type: ignore[return-value]
    lat, lon = record.values.get("lat", ""), record.values.get("lon", "")
    if not (lat and lon):
        return None
    try:
        pairs = [(float(x), float(y)) for x, y in zip(lon.split(";"), lat.split(";"), strict=True)]
    except ValueError:
        return None
    shape = shapely.Point(pairs[0]) if len(pairs) == 1 else shapely.MultiPoint(pairs)
    return shapely.geometry.mapping(shape)  # type: ignore[return-value]
