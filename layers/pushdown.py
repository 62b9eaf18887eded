"""Selections the store answers itself (PostGIS): only the matching rows cross the wire.

Used by ``layers.selection`` when ``eligible``: the raw store selects (``Store.pushdown``), the
layer is a ``StoredSource`` exactly (no computed layer, no columns added on read) and the
caller's view of it is the full view (``layers.access.view_key`` is ``FULL_VIEW``, checked on
the ``SecuredStore`` before its ``raw`` store is used). Anything the store cannot answer the
same way as the in-memory index (``PushdownUnsupported``: a layer not all points, a filter on a
timestamp column with times of day...) returns None and the caller selects in memory.

The matching ``fid`` are fetched once per (digest, query, sortby) and cached by the store, so
``numberMatched`` is exact and a deep page costs a slice; a page's rows are fetched by ``fid``
and encoded by the same ``FeatureEncoder`` as in memory (over a ``LayerIndex`` of the page), so
GeoJSON, HTML and CSV are byte-identical between the stores.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.errors import LayerNotFound
from geo.events import SYNTHETIC
from geo.features.geojson import FeatureEncoder
from geo.features.index import LayerIndex, SortKey
from geo.query import Query, parse_sortby
from geo.storage.base import PushdownUnsupported, RowQuery
from geo.storage.pgtables import page_frame
from geo.storage.store import Store
from geo.types import WGS84
from layers.access import is_restricted_view, sees_all_of
from layers.catalogue import Field, Layer
from layers.secured import SecuredStore
from layers.selection import CHUNK, Page, Selection
from layers.sources import StoredSource


def eligible(layer: Layer, store: Store) -> Store | None:
    """The raw store that may answer selections of ``layer`` for the caller of ``store``, or None."""
    if type(layer.source) is not StoredSource:
        return None
    raw = store
    if isinstance(store, SecuredStore):
        if not sees_all_of(layer, store.role):  # the policy first: it must change nothing of the layer
            return None
        if is_restricted_view(layer, store.role):  # its read marks the response private: keep that path
            return None
        raw = store.raw
    return raw if raw.pushdown else None


def _span(layer: Layer, query: Query | None = None, sortby: SortKey = ()) -> RowQuery:
    time = layer.time
    return RowQuery(
        bbox=query.bbox if query else None,
        period=query.period if query and time else None,
        filters=query.filters if query else (),
        start=time.start if time else None,
        end=time.end if time else None,
        ongoing=time.ongoing if time else False,
        absent=time.absent if time else None,
        sortby=sortby,
        cql=query.cql if query else None,
    )


@dataclass(frozen=True)
class StoredSelection(Selection):
    """The matches of a query answered by the store: their ``fid`` in order, rows fetched by page."""

    layer: Layer
    query: Query
    sortby: SortKey
    store: Store
    digest: str
    fids: np.ndarray
    served: tuple[str, ...]
    row_query: RowQuery
    _synthetic: list[bool] = field(default_factory=list)
    _fields: list[str] = field(default_factory=list)

    @property
    def matched(self) -> int:
        return len(self.fids)

    @property
    def fields(self) -> list[str]:
        if not self._fields:
            self._fields.extend(self.page(0, 0).encoder.fields)
        return self._fields

    def page(self, offset: int, limit: int) -> Page:
        return self._rows(self.fids[offset : offset + limit])

    def _rows(self, fids: np.ndarray) -> Page:
        table = self.store.fetch_rows(self.layer.source.layer_id, fids, self.served, self.digest)  # type: ignore[attr-defined]
        frame = page_frame(table)
        types = {f.name: f.type for f in self.layer.fields}
        encoder = FeatureEncoder(LayerIndex(frame, self.layer.time), list(self.served), self.layer.id_field, types)
        return Page(encoder, np.arange(len(frame), dtype=np.int64))

    def frames(self, size: int = CHUNK) -> Iterator[gpd.GeoDataFrame]:
        for page in self.chunks(size):
            yield page.encoder.index.frame[[*self.fields, "geometry"]]

    def frame(self) -> gpd.GeoDataFrame:
        parts = list(self.frames())
        whole = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        return gpd.GeoDataFrame(whole, geometry="geometry", crs=WGS84)

    def has_synthetic(self) -> bool:
        if not self._synthetic:
            query = self.row_query
            marked = replace(query, filters=(*query.filters, ("source_dataset", (SYNTHETIC,))), sortby=())
            try:
                found = self.store.select_rows(self.layer.source.layer_id, marked).fids  # type: ignore[attr-defined]
            except PushdownUnsupported:  # no source_dataset column
                found = np.zeros(0)
            self._synthetic.append(bool(len(found)))
        return self._synthetic[0]


def stored_selection(
    layer: Layer, store: Store, query: Query, sortby_text: str | None, fields: Sequence[Field]
) -> StoredSelection | None:
    """The selection of ``query`` answered by the store, or None (select in memory)."""
    raw = eligible(layer, store)
    if raw is None or query.filters and any(name not in {f.name for f in layer.fields} for name, _ in query.filters):
        return None
    served = tuple(f.name for f in fields)
    sortby = parse_sortby(sortby_text, served)
    row_query = _span(layer, query, sortby)
    try:
        found = raw.select_rows(layer.source.layer_id, row_query)  # type: ignore[attr-defined]
    except (PushdownUnsupported, LayerNotFound):
        return None
    if layer.id_field not in found.columns:
        return None  # ids would be row positions: those of the whole layer are the memory path's
    return StoredSelection(layer, query, sortby, raw, found.digest, found.fids, served, row_query,
                           _fields=[name for name in served if name in found.columns])


def stored_overview(layer: Layer, store: Store) -> tuple[list[float] | None, list[str | None] | None, int] | None:
    """Bbox, time interval and row count of ``layer`` from the store, or None (ask the index)."""
    raw = eligible(layer, store)
    if raw is None:
        return None
    try:
        found = raw.overview(layer.source.layer_id, _span(layer))  # type: ignore[attr-defined]
    except (PushdownUnsupported, LayerNotFound):
        return None
    bbox = [float(b) for b in found.bbox] if found.bbox is not None else None
    interval = None
    if layer.time is not None and found.first is not None:
        interval = [f"{found.first}T00:00:00Z", None if found.last is None else f"{found.last}T23:59:59Z"]
    return bbox, interval, found.rows


def stored_find(layer: Layer, store: Store, fields: Sequence[Field], feature_id: str) -> Page | None:
    """The page of the feature whose id field is ``feature_id`` (empty: none), or None (ask the index)."""
    raw = eligible(layer, store)
    if raw is None:
        return None
    query = RowQuery(filters=((layer.id_field, (feature_id,)),))
    try:
        found = raw.select_rows(layer.source.layer_id, query)  # type: ignore[attr-defined]
    except (PushdownUnsupported, LayerNotFound):
        return None
    served = tuple(f.name for f in fields)
    selection = StoredSelection(layer, Query(), (), raw, found.digest, found.fids[:1], served, query)
    return selection.page(0, 1)
