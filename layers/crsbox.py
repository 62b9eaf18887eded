"""``bbox-crs``: a bbox given in another CRS, selected in CRS84 by either store.

The box is moved to CRS84 (``geo.crs.bbox_to_crs84``); its envelope is the ``bbox`` the stores
select by (in memory or in SQL, unchanged), and when the envelope is larger than the box (a box
in UTM, say, is not a longitude/latitude box) the matches are then narrowed to those that meet
the exact area. Boxes in CRS84, EPSG:4326 and EPSG:3857 are exact: no second step.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np
import shapely

from geo.crs import bbox_to_crs84, parse_box_numbers, parse_crs
from geo.storage.pgtables import page_frame
from layers.selection import CHUNK, MemorySelection, Selection

PARAMS = ("crs", "bbox-crs")
"""The Part 2 parameters: the output CRS (read by the serialiser) and the bbox's CRS."""


def in_crs84(params: Mapping[str, str]) -> tuple[dict[str, str], shapely.Geometry | None]:
    """``params`` with ``bbox`` in CRS84 and ``bbox-crs`` consumed, and the exact area to keep
    (None: the CRS84 bbox is exact).

    Raises
    ------
    InvalidParameter
        For an unknown ``bbox-crs`` or a ``bbox`` that is not four numbers in it.
    """
    out = {name: params[name] for name in params}
    text = out.pop("bbox-crs", None)
    cs = parse_crs(text, "bbox-crs")
    if cs.is_crs84 or not out.get("bbox"):
        return out, None
    envelope, area = bbox_to_crs84(parse_box_numbers(out["bbox"]), cs)
    out["bbox"] = ",".join(repr(v) for v in envelope)
    return out, area


def within(selection: Selection, area: shapely.Geometry | None) -> Selection:
    """``selection`` narrowed to the matches whose geometry meets ``area`` (CRS84), order kept."""
    if area is None:
        return selection
    shapely.prepare(area)
    if isinstance(selection, MemorySelection):
        index = selection.prepared.index
        positions = selection.positions
        if index.points:
            keep = shapely.intersects_xy(area, index.x[positions], index.y[positions])
        else:
            keep = shapely.intersects(np.asarray(index.frame.geometry.array)[positions], area)
        return dataclasses.replace(selection, positions=positions[keep])
    from layers.pushdown import StoredSelection

    if isinstance(selection, StoredSelection):
        kept = []
        for start in range(0, selection.matched, CHUNK):
            fids = selection.fids[start : start + CHUNK]
            table = selection.store.fetch_rows(selection.layer.source.layer_id, fids, (), selection.digest)  # type: ignore[attr-defined]
            geoms = np.asarray(page_frame(table).geometry.array)
            kept.append(fids[shapely.intersects(geoms, area)])
        fids = np.concatenate(kept) if kept else selection.fids[:0]
        return dataclasses.replace(selection, fids=fids, _synthetic=[], _fields=list(selection._fields))
    raise TypeError(f"cannot narrow a {type(selection).__name__} to an area")
