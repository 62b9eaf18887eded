"""Where a layer's data comes from.

A source is a small class with abstract methods (never a dict read with ``.get()``), and the
function a computed source calls is the function itself, not a ``"module:name"`` string: a typo
in a source definition fails when the catalogue is imported, not at request time.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd

from geo.analytics.exposure import with_exposure
from geo.analytics.prepared import FILTER_FIELDS
from geo.errors import InvalidParameter
from geo.storage.store import Store

LayerFunction = Callable[[Store, Mapping[str, str]], gpd.GeoDataFrame]
"""``(store, params) -> frame``: a computed layer (the summaries)."""
ExposureFunction = Callable[[Store, str, Mapping[str, str]], gpd.GeoDataFrame]
"""``(store, layer_id, params) -> frame``: a stored layer with columns added on read."""


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

    @property
    def forwarded(self) -> tuple[str, ...]:
        """Request parameters of a stored layer passed on to ``frame`` (not property filters)."""
        return ()


def _check_arity(function: Callable[..., object], count: int, owner: str) -> None:
    """Refuse, at catalogue import, a function that cannot take the source's arguments."""
    if not callable(function):
        raise TypeError(f"{owner}: function={function!r} is not callable")
    try:
        inspect.signature(function).bind(*([None] * count))
    except TypeError as exc:
        raise TypeError(f"{owner}: {function!r} cannot take {count} arguments ({exc})") from None


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
    """A layer computed from other layers by ``function(store, params)``."""

    function: LayerFunction
    origin: str

    def __post_init__(self) -> None:
        _check_arity(self.function, 2, "ComputedSource")

    def frame(self, store: Store, params: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
        return self.function(store, params or {})

    def describe(self) -> str:
        return self.origin

    @property
    def computed(self) -> bool:
        return True


EXPOSURE_REQUEST = tuple(f"exposure_{name}" for name in ("datetime", *FILTER_FIELDS))
"""The items API's exposure parameters: ``exposure_datetime`` (and ``exposure_<event filter>``)
set the period (and events) the exposure columns count, as ``coopmap exposure --datetime`` does."""


@dataclass(frozen=True)
class ExposedSource(StoredSource):
    """A stored point layer (``projects``, ``envr``) with conflict-exposure columns added on read.

    The columns (events and fatalities within 50 km over the last 12 months of data, nearest
    event in metres) are computed by ``function(store, layer_id, params)`` and cached by data
    version, so reading the layer again costs nothing until the data change. The layer's own
    query parameters (bbox, datetime on the project dates) are not passed on: the exposure
    columns use the defaults unless ``exposure_datetime`` (and ``exposure_<event filter>``) say
    otherwise (``EXPOSURE_REQUEST``). It is a ``StoredSource`` (same ``layer_id``: ingest writes
    there) that adds columns on read.
    """

    function: ExposureFunction = with_exposure

    def __post_init__(self) -> None:
        _check_arity(self.function, 3, "ExposedSource")

    def frame(self, store: Store, params: Mapping[str, str] | None = None) -> gpd.GeoDataFrame:
        chosen = {name.removeprefix("exposure_"): str(value) for name, value in (params or {}).items()
                  if name in EXPOSURE_REQUEST and value}
        try:
            return self.function(store, self.layer_id, chosen)
        except InvalidParameter as error:
            raise InvalidParameter(f"exposure_{error.parameter}", error.value, error.reason) from None

    @property
    def forwarded(self) -> tuple[str, ...]:
        return EXPOSURE_REQUEST

    def describe(self) -> str:
        return f"{self.origin}; exposure columns computed from conflict-events"
