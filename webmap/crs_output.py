"""OGC API - Features Part 2 in the views: the ``crs`` and ``bbox-crs`` a request asks for, the
precision of its coordinates and its ``Content-Crs`` header.

The parsing and the reprojection are ``geo.crs``'s; selecting by a ``bbox-crs`` box is
``layers.crsbox``'s. A CRS other than CRS84, EPSG:4326 and EPSG:3857 is accepted when its area of
use meets the collection's extent (else 400 naming the parameter).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

import geopandas as gpd
from flask import Response

from geo.crs import ADVERTISED, CRS84, CoordinateSystem, check_extent, parse_crs, project_geometries
from geo.errors import InvalidParameter
from geo.features.geojson import FeatureEncoder
from webmap.context import settings

CONFORMANCE = "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs"


def requested(params: Mapping[str, str], extent: Callable[[], Iterable[float] | None]) -> CoordinateSystem:
    """The output CRS of ``params`` (``crs``, default CRS84), after checking ``crs`` and ``bbox-crs``
    against the collection's ``extent`` (called only for a CRS whose area of use may miss it).

    Raises
    ------
    InvalidParameter
        For an unknown CRS, or one whose area of use misses the collection.
    """
    chosen = parse_crs(params.get("crs"), "crs")
    box = parse_crs(params.get("bbox-crs"), "bbox-crs")
    for name, cs in (("crs", chosen), ("bbox-crs", box)):
        if cs.uri not in ADVERTISED:
            found = extent()
            check_extent(cs, None if found is None else list(found), name)
    return chosen


def only_crs84(cs: CoordinateSystem, what: str) -> None:
    """Raise a 400 naming ``crs`` when ``what`` (CSV: longitude and latitude columns) has no other CRS."""
    if not cs.is_crs84:
        raise InvalidParameter("crs", cs.uri, f"{what} is written in CRS84 only")


def precision(cs: CoordinateSystem) -> int:
    """Decimals of coordinates in ``cs``: the settings' for degrees or for metres."""
    conf = settings()
    return conf.geojson_precision if cs.geographic else conf.geojson_precision_projected


def encoder(base: FeatureEncoder, cs: CoordinateSystem) -> FeatureEncoder:
    """``base`` writing coordinates in ``cs`` at the configured precision."""
    return base.output(cs, precision(cs))


def frames_in(frames: Iterable[gpd.GeoDataFrame], cs: CoordinateSystem) -> Iterator[gpd.GeoDataFrame]:
    """The CRS84 ``frames`` reprojected to ``cs`` for a file (easting first, as files store it)."""
    for frame in frames:
        if cs.is_crs84:
            yield frame
            continue
        moved = project_geometries(frame.geometry.array, cs, axis_order=False)
        yield gpd.GeoDataFrame(frame.drop(columns=frame.geometry.name), geometry=list(moved), crs=cs.crs)


def geojson_member(cs: CoordinateSystem) -> dict[str, Any]:
    """For a file in a CRS other than CRS84: the GeoJSON 2008 ``crs`` member naming it (RFC 7946
    dropped it, but GDAL, and so geopandas and QGIS, read a saved file's CRS from it)."""
    if cs.is_crs84 or cs.epsg is None:
        return {}
    return {"crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:EPSG::{cs.epsg}"}}}


def stamp(response: Response, cs: CoordinateSystem) -> Response:
    """``response`` with the ``Content-Crs`` header (``<uri>``)."""
    response.headers["Content-Crs"] = f"<{cs.uri}>"
    return response


def metadata() -> dict[str, Any]:
    """The members of a collection's metadata that say its CRSs."""
    return {"storageCrs": CRS84, "crs": list(ADVERTISED)}


def crs_parameters() -> dict[str, Any]:
    """The OpenAPI components of ``crs`` and ``bbox-crs``."""
    listed = ", ".join(ADVERTISED)
    return {
        name: {
            "name": name,
            "in": "query",
            "required": False,
            "schema": {"type": "string", "format": "uri", "default": CRS84},
            "description": f"{what} ({listed}, or any EPSG code whose area of use meets the collection; "
            "an OGC URI, [EPSG:code] or EPSG:code)",
        }
        for name, what in (("crs", "the CRS of the coordinates returned"), ("bbox-crs", "the CRS of bbox"))
    }
