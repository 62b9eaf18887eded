"""Geometries for a small map that shows them all at once (the OGC API's HTML pages).

A page of 100 countries at full detail is ten megabytes of coordinates; on a map a few hundred pixels
wide, a vertex closer than half a pixel to the line through its neighbours cannot be seen. Lines and
polygons are simplified at that tolerance and their coordinates rounded to it; points keep
six decimals (about 0.1 m, RFC 7946 §11.2), so a marker stands exactly where its table row says.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely

POINT_DECIMALS = 6
"""Decimals of point coordinates (about 0.1 m)."""


def minimap_geometries(
    geometries: Sequence[shapely.Geometry | None], pixels: int = 800
) -> list[shapely.Geometry | None]:
    """``geometries`` light enough to embed in a page whose map, ``pixels`` wide, shows all of them.

    Parameters
    ----------
    geometries
        Geometries in degrees (longitude, latitude); ``None`` for a feature without one.
    pixels
        The largest size of the map in pixels: the tolerance is half a pixel of the geometries'
        common extent at that size.

    Returns
    -------
    list
        The same number of geometries in the same order: points rounded to ``POINT_DECIMALS``, other
        shapes simplified (keeping their topology) with coordinates rounded to a tenth of the
        tolerance or finer; ``None`` stays ``None``.

    Examples
    --------
    >>> from shapely.geometry import LineString, Point
    >>> line = LineString([(0, 0), (5, 0.001), (10, 0)])  # the middle vertex is 0.001° off the chord
    >>> [g.wkt for g in minimap_geometries([line, Point(1.23456789, 2.0)], pixels=100)]
    ['LINESTRING (0 0, 10 0)', 'POINT (1.234568 2)']
    """
    values = np.array(list(geometries), dtype=object)
    present = np.array([g is not None for g in values], dtype=bool)
    if not present.any():
        return list(values)
    minx, miny, maxx, maxy = shapely.total_bounds(values[present])
    tolerance = max(maxx - minx, maxy - miny) / pixels / 2
    points = present & (shapely.get_type_id(values) == 0)
    shapes = present & ~points
    out = values.copy()
    out[points] = _rounded(values[points], POINT_DECIMALS)
    if shapes.any() and tolerance > 0:
        decimals = min(POINT_DECIMALS, max(0, math.ceil(-math.log10(tolerance))))
        simplified = shapely.simplify(values[shapes], tolerance, preserve_topology=True)
        out[shapes] = _rounded(simplified, decimals)
    return list(out)


def _rounded(geometries: np.ndarray, decimals: int) -> np.ndarray:
    return shapely.transform(geometries, lambda coords: np.round(coords, decimals))
