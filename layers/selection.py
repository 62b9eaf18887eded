"""Resolve a layer and request parameters to a query and the matching rows, over either store.

The features API and the downloads share this: which parameters are property filters, which go
to a computed layer's source, and what an absent layer looks like. A ``Selection`` gives its
consumers the number matched, pages, chunks for streaming and the frame of the matches, each
as (encoder, positions) of a frame the consumer never looks into otherwise:

- in memory (``MemorySelection``): a ``LayerIndex`` over the whole layer (cached per digest) and
  the positions of the matches;
- in the store (``layers.pushdown.StoredSelection``), when the store answers selections itself
  (PostGIS), the layer is stored as it is (a ``StoredSource``: not computed, no columns added on
  read) and the policy changes nothing of it for the caller (``layers.access.sees_all_of``: conflict
  events, for every role). Only the matching row numbers and the rows of a page cross the wire.
  Projects and schools (columns added on read, generalised public sites), the summaries
  (computed) and non-point layers stay in memory.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace

import geopandas as gpd
import numpy as np

from geo.analytics.summaries import SUMMARY_FILTERS
from geo.cache import LRUCache
from geo.errors import LayerNotFound
from geo.features.geojson import FeatureEncoder
from geo.features.index import LayerIndex, SortKey, layer_index
from geo.query import Query, parse_query, parse_sortby
from geo.storage.store import Store
from geo.types import WGS84
from layers.catalogue import Field, Layer

SOURCE_PARAMS = ("datetime", *SUMMARY_FILTERS)
"""Parameters a computed layer (the summaries) receives: the period and the event filters."""
PREPARED_CACHE_SIZE = 16
"""Prepared layers (index and encoder) kept per app."""


@dataclass(frozen=True)
class Prepared:
    """A layer's frame ready for queries: its index and its GeoJSON encoder."""

    index: LayerIndex
    encoder: FeatureEncoder


CHUNK = 5000
"""Rows per chunk of a streamed download."""


@dataclass(frozen=True)
class Page:
    """Rows to serialise: the encoder of a frame and the positions of the rows in it, in order."""

    encoder: FeatureEncoder
    positions: np.ndarray


class Selection(ABC):
    """The rows of a layer matching the request, in output order."""

    layer: Layer
    query: Query
    sortby: SortKey

    @property
    @abstractmethod
    def matched(self) -> int:
        """The number of matching rows (exact)."""

    @property
    @abstractmethod
    def fields(self) -> list[str]:
        """The properties served, in order."""

    @abstractmethod
    def page(self, offset: int, limit: int) -> Page:
        """The matches ``offset`` to ``offset + limit``."""

    def chunks(self, size: int = CHUNK) -> Iterator[Page]:
        """Every match, ``size`` at a time (memory bounded by a chunk on the stores that select); one
        empty page when nothing matches."""
        if not self.matched:
            yield self.page(0, 0)
        for start in range(0, self.matched, size):
            yield self.page(start, size)

    @abstractmethod
    def frame(self) -> gpd.GeoDataFrame:
        """The matches as one frame: the served fields and the geometry."""

    def frames(self, size: int = CHUNK) -> Iterator[gpd.GeoDataFrame]:
        """The matches as frames of the served fields and the geometry: one frame in memory, a
        frame per chunk of ``size`` when the store selects (at least one frame, maybe empty)."""
        yield self.frame()

    @abstractmethod
    def has_synthetic(self) -> bool:
        """True when any match is synthetic demo data."""


@dataclass(frozen=True)
class MemorySelection(Selection):
    """A selection over a layer index held in memory."""

    layer: Layer
    prepared: Prepared
    query: Query
    sortby: SortKey
    positions: np.ndarray

    @property
    def matched(self) -> int:
        return len(self.positions)

    @property
    def fields(self) -> list[str]:
        return self.prepared.encoder.fields

    def page(self, offset: int, limit: int) -> Page:
        return Page(self.prepared.encoder, self.positions[offset : offset + limit])

    def frame(self) -> gpd.GeoDataFrame:
        frame = self.prepared.index.frame
        return frame.iloc[self.positions][[*self.fields, frame.geometry.name]].reset_index(drop=True)

    def has_synthetic(self) -> bool:
        return self.prepared.encoder.has_synthetic(self.positions)


def filterable(layer: Layer, fields: Sequence[Field]) -> list[str]:
    """Names usable as property filters on ``layer`` (summaries also take the event filters).

    ``fields`` are the fields served to the caller (``layers.access.visible_fields``).
    """
    names = [f.name for f in fields]
    if layer.source.computed:
        names += [name for name in SUMMARY_FILTERS if name not in names]
    names += [name for name in layer.source.forwarded if name not in names]
    return names


def source_params(layer: Layer, params: Mapping[str, str]) -> dict[str, str]:
    """The parameters passed on to a layer's source: a computed layer's period and event filters,
    a stored layer's ``forwarded`` ones (the exposure period of projects and schools)."""
    names = SOURCE_PARAMS if layer.source.computed else layer.source.forwarded
    return {name: str(params[name]) for name in names if params.get(name)}


def empty_frame(layer: Layer) -> gpd.GeoDataFrame:
    """A frame with the layer's columns and no rows (a layer without data yet)."""
    return gpd.GeoDataFrame({f.name: [] for f in layer.fields}, geometry=[], crs=WGS84)


def other_data_of_same_layer(new: Hashable, old: Hashable) -> bool:
    """True when ``old`` is a ``prepare`` key of the same layer (``key[0]``) and the same served
    fields (``key[-1]``) built from other stored data (``key[1]``, the stored digest or data version,
    the same for every role): storing ``new`` then drops ``old``. Another role's view of the same
    data (``key[2]``, the view's digest or version) is kept, so public, planner and analyst requests
    do not evict each other's prepared layer (a country summary costs ~170 ms to recompute)."""
    return (
        isinstance(new, tuple)
        and isinstance(old, tuple)
        and len(new) >= 2
        and len(old) >= 2
        and new[0] == old[0]
        and new[1] != old[1]
        and (len(new) < 3 or len(old) < 3 or new[-1] == old[-1])
    )


def prepared_cache() -> LRUCache:
    """An empty cache for ``prepare``: the least recently used of ``PREPARED_CACHE_SIZE`` layers
    goes first, and a layer's preparation from new data replaces those from other data."""
    return LRUCache(PREPARED_CACHE_SIZE, supersedes=other_data_of_same_layer)


def prepare(
    cache: LRUCache,
    layer: Layer,
    store: Store,
    params: Mapping[str, str],
    fields: Sequence[Field],
) -> Prepared:
    """The index and encoder of ``layer`` for ``params``, cached by data version.

    ``fields`` are the fields served to the caller, in order.
    """
    forwarded = source_params(layer, params)
    served = tuple(f.name for f in fields)
    raw = getattr(store, "raw", store)  # the data as stored, whoever asks (layers.secured.SecuredStore)
    if layer.source.computed:
        key: tuple = (layer.id, raw.data_version, store.data_version, tuple(sorted(forwarded.items())), served)
    else:
        record = store.manifest().layers.get(layer.id)
        stored = raw.manifest().layers.get(layer.id)
        key = (layer.id, stored.digest if stored else "absent", record.digest if record else "absent",
               tuple(sorted(forwarded.items())), served)

    def build() -> Prepared:
        frame = _frame(layer, store, forwarded)
        index = layer_index(frame, layer.time)
        types = {f.name: f.type for f in layer.fields}
        return Prepared(index, FeatureEncoder(index, list(served), layer.id_field, types))

    return cache.get_or_compute(key, build)


def _frame(layer: Layer, store: Store, forwarded: Mapping[str, str]) -> gpd.GeoDataFrame:
    try:
        return layer.source.frame(store, forwarded)
    except LayerNotFound:
        return empty_frame(layer)
    except NotImplementedError:
        # A computed layer whose analysis is not built yet is listed, empty.
        return empty_frame(layer)


def request_query(layer: Layer, params: Mapping[str, str], fields: Sequence[Field],
                  reserved: tuple[str, ...] = ()) -> Query:
    """The query of request ``params`` on ``layer`` (strict: a parameter that is neither a filter of
    the fields served nor ``reserved`` is an ``InvalidParameter``)."""
    queryables = {f.name: f.type for f in fields}  # what the caller may see, and nothing else
    return parse_query(params, filterable(layer, fields), strict=True, reserved=reserved, queryables=queryables)


def select(
    cache: LRUCache,
    layer: Layer,
    store: Store,
    params: Mapping[str, str],
    fields: Sequence[Field],
    reserved: tuple[str, ...] = (),
) -> Selection:
    """Parse ``params`` strictly and select the matching rows of ``layer``, in the store when it
    can (see the module docstring), else in memory.

    Parameters
    ----------
    cache : where prepared layers are kept between calls
    layer : the catalogue layer
    store : the data store
    params : request parameters (``bbox``, ``bbox-crs``, ``datetime``, property filters, ``sortby``;
        ``crs`` is left to the serialiser)
    fields : the fields served to the caller (``layers.access.visible_fields``)
    reserved : other parameter names the caller handles itself (``limit``, ``f``...)

    Raises
    ------
    InvalidParameter
        For a malformed value or a parameter that is not a property of the layer.
    """
    from layers.crsbox import PARAMS, in_crs84, within  # bbox-crs: select by the CRS84 envelope, then exactly

    params, area = in_crs84(params)
    query = request_query(layer, params, fields, ("sortby", *PARAMS, *reserved))
    from layers.pushdown import stored_selection

    in_store = stored_selection(layer, store, query, params.get("sortby"), fields)
    if in_store is not None:
        return within(in_store, area)
    prepared = prepare(cache, layer, store, params, fields)
    columns = set(prepared.index.frame.columns)
    sortable = [f.name for f in fields if f.name in columns]
    sortby = parse_sortby(params.get("sortby"), sortable)
    if layer.source.computed:
        query = replace(query, period=None, filters=tuple(f for f in query.filters if f[0] not in SOURCE_PARAMS))
    elif layer.source.forwarded:  # not property filters: the source took them
        query = replace(query, filters=tuple(f for f in query.filters if f[0] not in layer.source.forwarded))
    if any(name not in columns for name, _ in query.filters):
        # A filter on a column this layer's data lacks matches nothing.
        positions = np.zeros(0, dtype=np.int64)
    else:
        positions = prepared.index.select(query, sortby)
    return within(MemorySelection(layer, prepared, query, sortby, positions), area)


def overview(cache: LRUCache, layer: Layer, store: Store, fields: Sequence[Field]) -> tuple[
        list[float] | None, list[str | None] | None, int]:
    """The bbox, the time interval (``LayerIndex.extent``) and the number of features of ``layer``
    for a collection's metadata: from the store when it answers it, else from the prepared index."""
    from layers.pushdown import stored_overview

    found = stored_overview(layer, store)
    if found is not None:
        return found
    prepared = prepare(cache, layer, store, {}, fields)
    bbox, interval = prepared.index.extent()
    return bbox, interval, prepared.index.n


def find(cache: LRUCache, layer: Layer, store: Store, params: Mapping[str, str], fields: Sequence[Field],
         feature_id: str) -> Page | None:
    """The feature of ``layer`` whose id field, as text, is ``feature_id`` (None: there is none)."""
    from layers.pushdown import stored_find

    found = stored_find(layer, store, fields, feature_id)
    if found is not None:
        return found if len(found.positions) else None
    prepared = prepare(cache, layer, store, params, fields)
    if layer.id_field not in prepared.index.frame.columns:
        return None
    positions = prepared.index.find(layer.id_field, feature_id)
    return Page(prepared.encoder, positions[:1]) if len(positions) else None
