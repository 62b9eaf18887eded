"""Spatial indexes that are safe to share between threads.

A GEOS STRtree is filled when created but only *built* on its first query, and that lazy build
is not thread-safe: two threads making the first query of one tree at once may corrupt it or
crash (pygeos issue 361). Trees that outlive a request (cached frames, prepared layers) are
therefore built before they are shared: ``built(tree)`` right after creating one, and
``ready_sindex(frame)`` for the lazily created ``GeoDataFrame.sindex`` of a shared frame.
"""

from __future__ import annotations

import threading

import geopandas as gpd
import shapely

_LOCK = threading.Lock()
_PROBE = shapely.box(0.0, 0.0, 0.0, 0.0)


def built(tree: shapely.STRtree) -> shapely.STRtree:
    """``tree``, built now by a first query (call before any other thread can see it).

    Examples
    --------
    >>> tree = built(shapely.STRtree([shapely.Point(1, 1)]))
    >>> tree.query(shapely.box(0, 0, 2, 2)).tolist()
    [0]
    """
    tree.query(_PROBE)
    return tree


def ready_sindex(frame: gpd.GeoDataFrame | gpd.GeoSeries):
    """``frame.sindex`` created and built once, under a lock, so concurrent first queries of a
    frame shared between threads are safe.

    Examples
    --------
    >>> frame = gpd.GeoDataFrame(geometry=[shapely.Point(1, 1)])
    >>> ready_sindex(frame).query(shapely.box(0, 0, 2, 2)).tolist()
    [0]
    """
    with _LOCK:
        sindex = frame.sindex
        if not getattr(sindex, "_coopmap_built", False):
            sindex.query(_PROBE)
            sindex._coopmap_built = True
    return sindex
