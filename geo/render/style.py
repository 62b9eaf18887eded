"""Default cartography of a layer, shared by the interactive map and the snapshots."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

import geopandas as gpd

from geo.storage.store import Store


@dataclass(frozen=True)
class Style:
    """How a layer is drawn: kind, colours, line weight, marker radius, colour ramp."""

    kind: str  # "choropleth" | "point" | "polygon" | "cluster"
    color: str = "#333333"
    fill_color: str = "#cccccc"
    fill_opacity: float = 0.6
    weight: float = 1.0
    radius: float = 6.0
    icon: str = ""
    colormap: str = "YlOrRd"


@dataclass(frozen=True)
class MapLayer:
    """What the renderer needs of a layer: its look, its credit line and its features.

    The catalogue (``layers/``) makes one per layer; the renderer never imports the catalogue.
    ``frame(store, params)`` returns the features (``params``: period and event filters for
    computed layers).
    """

    id: str
    style: Style
    attribution: str
    frame: Callable[[Store, Mapping[str, str]], gpd.GeoDataFrame]
    generalise_geometry: bool = False
