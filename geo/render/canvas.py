"""The map canvas: the axes, the view's projection, and what the drawn layers report back."""

from __future__ import annotations

from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import shapely
from matplotlib.axes import Axes
from pyproj import Transformer

from geo.render.views import View
from geo.types import WGS84, BBox


@dataclass
class LegendEntry:
    """One row of the legend: a patch (``fill``) or a marker, and its label."""

    label: str
    fill: str = ""
    edge: str = "#555555"
    marker: str = ""
    size: float = 0.0
    """Marker diameter in points, or 0 for a patch."""
    hatch: str = ""
    alpha: float = 1.0


@dataclass
class LegendBlock:
    """A titled group of legend rows (one per drawn layer)."""

    title: str
    entries: list[LegendEntry] = field(default_factory=list)


@dataclass
class Canvas:
    """The map axes in the CRS of ``view``; collects legend, notes and sources."""

    ax: Axes
    view: View
    extent: tuple[float, float, float, float]
    window: BBox
    lang: str
    font_scale: float
    metres_per_point: float
    legend: list[LegendBlock] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    attributions: list[str] = field(default_factory=list)
    synthetic: bool = False

    def __post_init__(self) -> None:
        self._to_map = Transformer.from_crs(WGS84, self.view.crs, always_xy=True)

    def project_xy(self, lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Project degree coordinates to the map CRS (metres)."""
        x, y = self._to_map.transform(np.asarray(lon, float), np.asarray(lat, float))
        return np.asarray(x), np.asarray(y)

    def in_window(self, lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
        """True for coordinates inside the degree window of the map."""
        minx, miny, maxx, maxy = self.window
        return (lon >= minx) & (lon <= maxx) & (lat >= miny) & (lat <= maxy)

    def project_frame(self, frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
        """The features of ``frame`` touching the window, clipped to it and projected."""
        if frame.crs is None or not frame.crs.equals(WGS84):
            frame = frame.to_crs(WGS84)
        bounds = frame.geometry.bounds
        minx, miny, maxx, maxy = self.window
        touching = (
            (bounds["maxx"] >= minx)
            & (bounds["minx"] <= maxx)
            & (bounds["maxy"] >= miny)
            & (bounds["miny"] <= maxy)
        ).to_numpy()
        part = frame[touching].copy()
        part["geometry"] = shapely.clip_by_rect(part.geometry.values, *self.window)
        part = part[~part.geometry.is_empty]
        return part.to_crs(self.view.crs)

    def attribute(self, attribution: str) -> None:
        """Add the parts (``;``-separated) of a source line not yet listed."""
        for part in attribution.split(";"):
            part = part.strip()
            if part and part not in self.attributions:
                self.attributions.append(part)

    def points(self, size_pt: float) -> float:
        """A marker size in points scaled for the figure."""
        return size_pt * self.font_scale
