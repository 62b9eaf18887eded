"""Coordinate reference systems: the one parser of CRS identifiers and the one way to reproject.

Every layer is stored in CRS84 (longitude, latitude in degrees on WGS 84). A client may ask for
its features in another CRS (OGC API - Features Part 2 ``crs=``) or give its bbox in one
(``bbox-crs=``): ``parse_crs`` reads the identifier, ``project_xy`` / ``project_geometries``
move coordinates out of CRS84 (vectorised: one pyproj call per array), ``bbox_to_crs84`` brings a
box back in. Coordinates are written in the axis order the CRS defines: EPSG:4326 is
latitude, longitude; CRS84 and EPSG:3857 are x (east), y (north).

Outside a projection's domain: Web Mercator (EPSG:3857) cannot show the poles, so latitudes are
clamped to ±85.051129° (the edge of the square world of web maps, as every web map does);
for any other CRS, a geometry with a coordinate the projection cannot compute (not finite) is
written as null.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pyproj
import shapely
from pyproj.exceptions import CRSError

from geo.cache import LRUCache
from geo.config import GEOJSON_PRECISION, GEOJSON_PRECISION_PROJECTED
from geo.errors import InvalidParameter
from geo.types import BBox

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
"""The storage CRS of every layer (and the default of ``crs`` and ``bbox-crs``)."""
EPSG_URI = "http://www.opengis.net/def/crs/EPSG/0/{code}"
ADVERTISED = (CRS84, EPSG_URI.format(code=4326), EPSG_URI.format(code=3857))
"""Listed in every collection's ``crs``; any EPSG code whose area of use meets the collection's
extent is accepted too."""
MERCATOR_LAT = 85.0511287798066
"""Web Mercator's edge: ``atan(sinh(π))`` in degrees, where y = x = ±πR."""
DEGREES_PRECISION = GEOJSON_PRECISION
"""Default decimals of coordinates in degrees (RFC 7946 §11.2: 6, ~0.1 m)."""
METRES_PRECISION = GEOJSON_PRECISION_PROJECTED
"""Default decimals of projected coordinates (2: centimetres)."""

_OGC = re.compile(r"^https?://www\.opengis\.net/def/crs/(OGC|EPSG)/[^/]+/([A-Za-z0-9]+)$")
_CURIE = re.compile(r"^\[?(EPSG|OGC):(?:[^:\]]*:)?([A-Za-z0-9]+)\]?$", re.IGNORECASE)
_URN = re.compile(r"^urn:ogc:def:crs:(EPSG|OGC):[^:]*:([A-Za-z0-9]+)$", re.IGNORECASE)
_CACHE = LRUCache(64)


@dataclass(frozen=True, eq=False)
class CoordinateSystem:
    """A parsed CRS: its OGC URI, the pyproj CRS and how coordinates are written in it.

    Attributes
    ----------
    uri : the canonical OGC URI (``http://www.opengis.net/def/crs/EPSG/0/3857``)
    crs : the pyproj CRS
    swap : True when the CRS's first axis is northing or latitude (EPSG:4326): coordinates are
        written (y, x)
    """

    uri: str
    crs: pyproj.CRS
    swap: bool

    @property
    def is_crs84(self) -> bool:
        """True for the storage CRS (no reprojection, no axis swap)."""
        return self.uri == CRS84

    @property
    def geographic(self) -> bool:
        """True for a CRS in degrees."""
        return bool(self.crs.is_geographic)

    @property
    def default_precision(self) -> int:
        """Decimals written by default: 6 for degrees, 2 for metres."""
        return DEGREES_PRECISION if self.geographic else METRES_PRECISION

    @property
    def axis_names(self) -> str:
        """The CRS's axes in its order, e.g. "latitude, longitude" (EPSG:4326), "easting, northing"."""
        return ", ".join(a.name.lower().removeprefix("geodetic ") for a in self.crs.axis_info[:2])

    @property
    def epsg(self) -> int | None:
        """The EPSG code (None for CRS84)."""
        return None if self.is_crs84 else self.crs.to_epsg()

    def area_of_use(self) -> BBox | None:
        """The CRS's area of use in degrees (west, south, east, north), None if unknown."""
        area = self.crs.area_of_use
        return None if area is None else (area.west, area.south, area.east, area.north)


def parse_crs(text: str | None, parameter: str = "crs") -> CoordinateSystem:
    """Read a CRS identifier: an OGC URI, a safe CURIE ``[EPSG:3857]``, ``EPSG:3857`` or a URN.

    Parameters
    ----------
    text : the identifier; None or empty: CRS84
    parameter : the request parameter it came from, named in the error

    Returns
    -------
    CoordinateSystem (cached: the same object for the same text)

    Raises
    ------
    InvalidParameter
        For an identifier that is not an OGC CRS URI or CURIE, or that pyproj does not know as a
        2D geographic or projected CRS.

    Examples
    --------
    >>> parse_crs("http://www.opengis.net/def/crs/EPSG/0/4326").swap
    True
    >>> parse_crs("[EPSG:3857]").uri
    'http://www.opengis.net/def/crs/EPSG/0/3857'
    """
    raw = (text or "").strip()
    if not raw:
        raw = CRS84
    return _CACHE.get_or_compute(("crs", raw, parameter), lambda: _parse(raw, parameter))


def _parse(raw: str, parameter: str) -> CoordinateSystem:
    found = _OGC.match(raw) or _CURIE.match(raw) or _URN.match(raw)
    if found is None:
        raise InvalidParameter(parameter, raw, "not a CRS identifier: use an OGC URI such as "
                               f"{CRS84} or {EPSG_URI.format(code=4326)}")
    authority, code = found.group(1).upper(), found.group(2)
    if authority == "OGC":
        if code.upper() != "CRS84":
            raise InvalidParameter(parameter, raw, "the only OGC CRS served is CRS84")
        return CoordinateSystem(CRS84, pyproj.CRS("OGC:CRS84"), False)
    if not code.isdigit():
        raise InvalidParameter(parameter, raw, "an EPSG code is a number")
    try:
        crs = pyproj.CRS.from_epsg(int(code))
    except CRSError:
        raise InvalidParameter(parameter, raw, f"EPSG:{code} is not a CRS known here") from None
    if not (crs.is_geographic or crs.is_projected) or len(crs.axis_info) != 2:
        raise InvalidParameter(parameter, raw, f"EPSG:{code} is not a 2D geographic or projected CRS")
    first = crs.axis_info[0].direction.lower()
    return CoordinateSystem(EPSG_URI.format(code=int(code)), crs, first in ("north", "south"))


def check_extent(cs: CoordinateSystem, extent: Sequence[float] | None, parameter: str = "crs") -> None:
    """Raise ``InvalidParameter`` naming ``parameter`` when ``cs``'s area of use misses ``extent``.

    CRS84, EPSG:4326 and EPSG:3857 cover the world and always pass; so does a CRS without an
    area of use or a collection without an extent.
    """
    if cs.uri in ADVERTISED or extent is None:
        return
    area = cs.area_of_use()
    if area is None:
        return
    west, south, east, north = area
    minx, miny, maxx, maxy = extent
    lon_ok = west <= maxx and minx <= east if west <= east else True  # an area across ±180: any lon
    if not (lon_ok and south <= maxy and miny <= north):
        raise InvalidParameter(parameter, cs.uri, f"its area of use {list(area)} does not meet the "
                               f"collection's extent {[round(v, 4) for v in extent]}")


def _transformer(cs: CoordinateSystem, inverse: bool = False) -> pyproj.Transformer:
    def build() -> pyproj.Transformer:
        source, target = pyproj.CRS("OGC:CRS84"), cs.crs
        if inverse:
            source, target = target, source
        return pyproj.Transformer.from_crs(source, target, always_xy=True)

    return _CACHE.get_or_compute(("transformer", cs.uri, inverse), build)


def _round(values: np.ndarray, precision: int | None) -> np.ndarray:
    """``values`` rounded to ``precision`` decimals; ``n / 10**p`` is the double nearest to the
    decimal, so JSON writers print at most ``p`` decimals."""
    if precision is None:
        return values
    scale = 10.0**precision
    return np.rint(values * scale) / scale


def project_xy(
    x: np.ndarray, y: np.ndarray, cs: CoordinateSystem, precision: int | None = None, *, axis_order: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Move CRS84 coordinates to ``cs``, one vectorised call.

    Parameters
    ----------
    x, y : longitudes and latitudes (NaN for none)
    cs : the target CRS
    precision : decimals to keep (None: all)
    axis_order : True: return the CRS's first and second axis (latitude first for EPSG:4326);
        False: easting/longitude first, as GIS files store them

    Returns
    -------
    (first, second) arrays; not finite where the projection cannot place a point

    Examples
    --------
    >>> first, second = project_xy(np.array([15.3]), np.array([-4.3]), parse_crs("EPSG:4326"))
    >>> float(first[0]), float(second[0])
    (-4.3, 15.3)
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if not cs.is_crs84:
        if cs.epsg == 3857:
            y = np.clip(y, -MERCATOR_LAT, MERCATOR_LAT)
        with np.errstate(invalid="ignore"):
            x, y = _transformer(cs).transform(x, y, errcheck=False)
        x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
        # Beyond a projection's domain pyproj answers inf (or 1e30-like values): not a place.
        x = np.where((np.abs(x) < 1e20) | np.isnan(x), x, np.inf)
        y = np.where((np.abs(y) < 1e20) | np.isnan(y), y, np.inf)
    x, y = _round(x, precision), _round(y, precision)
    if axis_order and cs.swap:
        return y, x
    return x, y


def project_geometries(
    geoms: np.ndarray, cs: CoordinateSystem, precision: int | None = None, *, axis_order: bool = True
) -> np.ndarray:
    """``project_xy`` over every coordinate of an array of shapely geometries (one transform call).

    A geometry with a coordinate the projection cannot compute becomes None.
    """
    geoms = np.asarray(geoms, dtype=object)
    if cs.is_crs84 and precision is None:
        return geoms

    def move(coords: np.ndarray) -> np.ndarray:
        first, second = project_xy(coords[:, 0], coords[:, 1], cs, precision, axis_order=axis_order)
        return np.column_stack([first, second])

    with np.errstate(invalid="ignore"):
        out = shapely.transform(geoms, move)
    if not cs.is_crs84:
        coords, which = shapely.get_coordinates(out, return_index=True)
        bad = np.unique(which[~np.isfinite(coords).all(axis=1)])
        if len(bad):
            out = out.copy()
            out[bad] = None
    return out


def parse_box_numbers(text: str, parameter: str = "bbox") -> BBox:
    """Four numbers (or six, heights dropped) of a bbox in any CRS, in the order given."""
    parts = [p.strip() for p in str(text).split(",")]
    if len(parts) not in (4, 6):
        raise InvalidParameter(parameter, text, "expected 4 numbers (or 6 with heights)")
    try:
        numbers = [float(p) for p in parts]
    except ValueError:
        raise InvalidParameter(parameter, text, "every value must be a number") from None
    if not all(math.isfinite(n) for n in numbers):
        raise InvalidParameter(parameter, text, "values must be finite numbers")
    if len(numbers) == 6:
        numbers = [numbers[0], numbers[1], numbers[3], numbers[4]]
    return (numbers[0], numbers[1], numbers[2], numbers[3])


def bbox_to_crs84(box: BBox, cs: CoordinateSystem, parameter: str = "bbox") -> tuple[BBox, shapely.Geometry | None]:
    """A bbox given in ``cs`` (its axis order) as a CRS84 envelope, and the exact area when the
    envelope is larger than the box.

    A projected box is not a longitude/latitude box in general: its edges, densified (50 points a
    side) and moved to CRS84, bound a polygon whose envelope is what a store can select by; the
    polygon is returned for an exact post-filter unless it fills its envelope (cylindrical
    projections such as Web Mercator, and geographic CRSs, whose boxes are exact).

    Returns
    -------
    (envelope, area): ``area`` None when the envelope is exact

    Raises
    ------
    InvalidParameter
        For a box with min > max, or one the CRS cannot bring back to degrees.
    """
    a, b, c, d = box
    if cs.swap:
        a, b, c, d = b, a, d, c
    if a > c or b > d:
        raise InvalidParameter(parameter, ",".join(str(v) for v in box), "minimum greater than maximum")
    if cs.is_crs84:
        return (a, b, c, d), None
    poles = (False, False)
    if cs.epsg == 3857:  # beyond the square world the inverse would wrap longitudes round
        edge = math.pi * 6378137.0
        poles = (b <= -edge, d >= edge)  # the edge holds what lies beyond 85.05° (clamped on output)
        a, b, c, d = (min(max(v, -edge), edge) for v in (a, b, c, d))
    n = 50
    t = np.linspace(0.0, 1.0, n, endpoint=False)
    xs = np.concatenate([a + (c - a) * t, np.full(n, c), c - (c - a) * t, np.full(n, a)])
    ys = np.concatenate([np.full(n, b), b + (d - b) * t, np.full(n, d), d - (d - b) * t])
    with np.errstate(invalid="ignore"):
        lon, lat = _transformer(cs, inverse=True).transform(xs, ys, errcheck=False)
    lon, lat = np.asarray(lon, dtype=np.float64), np.asarray(lat, dtype=np.float64)
    if not (np.isfinite(lon).all() and np.isfinite(lat).all()):
        raise InvalidParameter(parameter, ",".join(str(v) for v in box), f"outside the domain of {cs.uri}")
    lon, lat = np.clip(lon, -180.0, 180.0), np.clip(lat, -90.0, 90.0)
    envelope = (float(lon.min()), float(lat.min()), float(lon.max()), float(lat.max()))
    area = shapely.Polygon(np.column_stack([lon, lat]))
    box_area = (envelope[2] - envelope[0]) * (envelope[3] - envelope[1])
    if box_area == 0 or area.is_valid and area.area >= box_area * (1 - 1e-9):
        if any(poles):
            envelope = (envelope[0], -90.0 if poles[0] else envelope[1], envelope[2], 90.0 if poles[1] else envelope[3])
        return envelope, None
    return envelope, area if area.is_valid else shapely.make_valid(area)


def geometry_to_crs84(geom: shapely.Geometry, cs: CoordinateSystem, parameter: str) -> shapely.Geometry:
    """A geometry given in ``cs`` (its axis order) moved to CRS84, e.g. a filter's literal.

    Raises
    ------
    InvalidParameter
        When some coordinate lies outside the domain of ``cs``.
    """
    if cs.swap:
        geom = shapely.transform(geom, lambda xy: xy[:, ::-1])
    if cs.is_crs84 or (cs.geographic and cs.crs.to_epsg() == 4326):
        return geom
    with np.errstate(invalid="ignore"):
        moved = shapely.transform(geom, lambda xy: np.column_stack(
            _transformer(cs, inverse=True).transform(xy[:, 0], xy[:, 1], errcheck=False)))
    if not np.isfinite(shapely.get_coordinates(moved)).all():
        raise InvalidParameter(parameter, geom.wkt[:80], f"outside the domain of {cs.uri}")
    return moved
