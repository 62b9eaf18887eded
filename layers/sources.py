"""Where a layer's data comes from.

A source is a small class with abstract methods (never a dict read with ``.get()``): a typo in a
source definition fails when the catalogue is built, not silently at request time.
"""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd

from geo.store import Store


class Source(ABC):
    """Produces the GeoDataFrame of a layer."""

    @abstractmethod
    def frame(self, store: Store, params: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
        """Return the layer's features; ``params`` are query parameters for computed layers."""

    @abstractmethod
    def describe(self) -> str:
        """One line saying where the data comes from (shown in the API and the README)."""

    @property
    def computed(self) -> bool:
        """True when ``frame`` depends on ``params`` (summaries)."""
        return False


@dataclass(frozen=True)
class StoredSource(Source):
    """A layer stored as-is in the store under ``layer_id``."""

    layer_id: str
    origin: str

    def frame(self, store: Store, params: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
        return store.read(self.layer_id)

    def describe(self) -> str:
        return self.origin


@dataclass(frozen=True)
class ComputedSource(Source):
    """A layer computed from other layers by a function of ``(store, params)``.

    ``function`` is a ``"module:attribute"`` path resolved on first use, so the catalogue does
    not import the analytics at import time.
    """

    function: str
    origin: str

    def resolve(self) -> Callable[[Store, Mapping[str, str]], gpd.GeoDataFrame]:
        module, _, attribute = self.function.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def frame(self, store: Store, params: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
        return self.resolve()(store, params or {})

    def describe(self) -> str:
        return self.origin

    @property
    def computed(self) -> bool:
        return True


@dataclass(frozen=True)
class ExposedSource(StoredSource):
    """A stored point layer (``projects``, ``envr``) with conflict-exposure columns added on read.

    The columns (events and fatalities within 50 km over the last 12 months of data, nearest
    event in metres) are computed by ``function`` — ``(store, layer_id, params) -> GeoDataFrame``
    — and cached by data version, so reading the layer again costs nothing until the data change.
    The layer's own query parameters (bbox, datetime on the project dates) are not passed on:
    the exposure columns always use the defaults; ``coopmap exposure`` takes other ones.
    It is a ``StoredSource`` (same ``layer_id``: ingest writes there) that adds columns on read.
    """

    function: str = "geo.exposure:with_exposure"

    def resolve(self) -> Callable[[Store, str, Mapping[str, str]], gpd.GeoDataFrame]:
        module, _, attribute = self.function.partition(":")
        return getattr(importlib.import_module(module), attribute)

    def frame(self, store: Store, params: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
        return self.resolve()(store, self.layer_id, {})

    def describe(self) -> str:
        return f"{self.origin}; exposure columns computed from conflict-events"
