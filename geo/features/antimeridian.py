"""Geometries crossing the antimeridian, cut in two as RFC 7946 §3.1.9 asks.

A ring or line that goes from 179° to -179° in one step crosses ±180 (the short way) rather
than the world (the long way); a GeoJSON reader would draw the long way. Such a part is cut at
the antimeridian into an eastern and a western piece. Parts already cut (the bundled
boundaries of Russia and Fiji end at exactly ±180) and edges that run along ±180 (Antarctica's
ring from 180° to -180° at the pole) are left as they are.
"""

from __future__ import annotations

import numpy as np
import shapely
from shapely.affinity import translate

JUMP = 180.0
"""A step of more than this many degrees of longitude between two vertices crosses ±180."""
_EAST = shapely.box(-180.0, -90.0, 180.0, 90.0)
_WEST = shapely.box(180.0, -90.0, 540.0, 90.0)


def crossing(geoms: np.ndarray) -> np.ndarray:
    """Positions in ``geoms`` of the geometries that may cross the antimeridian (one vectorised
    pass over every vertex; a jump between two parts of a multi-geometry counts too, and the
    cut then leaves such a geometry unchanged)."""
    geoms = np.asarray(geoms, dtype=object)
    coords, which = shapely.get_coordinates(geoms, return_index=True)
    if len(coords) < 2:
        return np.zeros(0, dtype=np.int64)
    jumps = _jumps(coords[:, 0]) & (which[1:] == which[:-1])
    return np.unique(which[1:][jumps])


def _jumps(lon: np.ndarray) -> np.ndarray:
    """Steps between consecutive longitudes that cross ±180: more than ``JUMP`` degrees, and not an
    edge already on the antimeridian (from 180 to -180, as Antarctica's ring runs along the pole)."""
    on_edge = np.abs(lon) == 180.0
    return (np.abs(np.diff(lon)) > JUMP) & ~(on_edge[1:] & on_edge[:-1])


def split_antimeridian(geoms: np.ndarray) -> np.ndarray:
    """``geoms`` (CRS84) with every part that crosses the antimeridian cut into two at ±180.

    Parameters
    ----------
    geoms : array of shapely geometries (None allowed)

    Returns
    -------
    The same array when nothing crosses, else a copy in which crossing geometries are
    MultiPolygons or MultiLineStrings of pieces within [-180, 180].

    Examples
    --------
    >>> fiji = shapely.Polygon([(178, -18), (-179, -18), (-179, -16), (178, -16)])
    >>> [round(p.area, 6) for p in split_antimeridian(np.array([fiji]))[0].geoms]
    [4.0, 2.0]
    """
    geoms = np.asarray(geoms, dtype=object)
    found = crossing(geoms)
    if not len(found):
        return geoms
    out = geoms.copy()
    for position in found.tolist():  # only the few geometries that cross
        out[position] = _split(geoms[position])
    return out


def _split(geom: shapely.Geometry) -> shapely.Geometry:
    parts = [geom] if not hasattr(geom, "geoms") else list(geom.geoms)
    pieces: list[shapely.Geometry] = []
    changed = False
    for part in parts:
        xy = shapely.get_coordinates(part)
        if len(xy) < 2 or not _jumps(xy[:, 0]).any():
            pieces.append(part)
            continue
        changed = True
        dimension = shapely.get_dimensions(part)
        # Move the western longitudes east of 180, cut at 180, bring the far side back.
        shifted = shapely.transform(part, lambda c: np.column_stack([np.where(c[:, 0] < 0, c[:, 0] + 360.0, c[:, 0]),
                                                                     c[:, 1]]))
        if not shifted.is_valid:
            shifted = shapely.make_valid(shifted)
        east = shapely.intersection(shifted, _EAST)
        west = translate(shapely.intersection(shifted, _WEST), xoff=-360.0)
        for piece in (east, west):
            kept = shapely.get_parts(piece)
            pieces.extend(p for p in kept if not p.is_empty and shapely.get_dimensions(p) == dimension)
    if not changed:
        return geom
    if shapely.get_dimensions(geom) == 2:
        return shapely.MultiPolygon(pieces)
    if shapely.get_dimensions(geom) == 1:
        return shapely.MultiLineString(pieces)
    return geom
