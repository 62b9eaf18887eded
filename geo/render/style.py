"""Default cartography of a layer, shared by the interactive map and the snapshots."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import geopandas as gpd

from geo.storage.store import Store

KINDS = ("choropleth", "point", "polygon", "cluster")
"""How a layer can be drawn: classed fills, sites, outlined areas, or events (points/cells)."""


@dataclass(frozen=True)
class Style:
    """How a layer is drawn: kind, colours, line weight, marker radius and marker.

    ``marker`` is the Matplotlib marker of a ``point`` layer on a snapshot (``icon`` the web's).
    """

    kind: str  # "choropleth" | "point" | "polygon" | "cluster"
    color: str = "#333333"
    fill_color: str = "#cccccc"
    fill_opacity: float = 0.6
    weight: float = 1.0
    radius: float = 6.0
    icon: str = ""
    marker: str = "o"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"Style: kind={self.kind!r} is not one of {list(KINDS)}")


@dataclass(frozen=True)
class MapLayer:
    """What the renderer needs of a layer: its look, its credit line, its features and its place.

    The catalogue (``layers/``) makes one per layer; the renderer never imports the catalogue.
    ``frame(store, params)`` returns the features (``params``: period and event filters for
    computed layers). ``order`` places the layer in a snapshot, bottom to top (``None``: snapshots
    do not draw it); ``snapshot_default`` layers are drawn when a snapshot names none;
    ``requires`` are the stored layers without which it is not drawn. ``titles`` (by language)
    name it in a legend when the snapshot words have no text of their own for its id.
    A snapshot selects the features of its period by ``time_field`` (the features index's rule,
    ``geo.features.index.LayerIndex``, as the API does).
    """

    id: str
    style: Style
    attribution: str
    frame: Callable[[Store, Mapping[str, str]], gpd.GeoDataFrame]
    generalise_geometry: bool = False
    id_field: str = ""
    titles: Mapping[str, str] = field(default_factory=dict)
    order: int | None = None
    snapshot_default: bool = False
    requires: tuple[str, ...] = ()
    time_field: str | None = None
    """The date field the catalogue selects a period on (``datetime``), or None."""


def drawing_order(layers: Iterable[MapLayer]) -> tuple[MapLayer, ...]:
    """The layers a snapshot can draw, bottom to top (ties keep the given order).

    Examples
    --------
    >>> top = MapLayer("top", Style("point"), "", lambda store, params: None, order=2)
    >>> bottom = MapLayer("bottom", Style("polygon"), "", lambda store, params: None, order=1)
    >>> [layer.id for layer in drawing_order([top, bottom])]
    ['bottom', 'top']
    """
    drawable = [layer for layer in layers if layer.order is not None]
    return tuple(sorted(drawable, key=lambda layer: layer.order))  # type: ignore[arg-type,return-value]
