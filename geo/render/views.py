"""Named map views and their projections: where a snapshot looks and how it flattens the Earth.

Every view is drawn in a Lambert azimuthal equal-area projection centred on the view, so areas
(and therefore choropleth impressions) are true, and distortion stays small over a region.
"""

from __future__ import annotations

from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import shapely
from pyproj import CRS, Transformer

from geo.errors import InvalidParameter
from geo.types import WGS84, BBox


@dataclass(frozen=True)
class View:
    """A map view: its extent in degrees and the projection it is drawn in."""

    name: str
    title_en: str
    title_fr: str
    bbox: BBox
    focus_iso3: str | None = None
    countries: tuple[str, ...] = ()
    """The ISO3 codes a region's brief counts (its figures are these countries' summed)."""
    continent: str = ""
    """Or: every country of this ``continent`` (Natural Earth's name) when ``countries`` is empty."""

    @property
    def centre(self) -> tuple[float, float]:
        minx, miny, maxx, maxy = self.bbox
        return ((minx + maxx) / 2, (miny + maxy) / 2)

    @property
    def crs(self) -> CRS:
        """Lambert azimuthal equal-area centred on the view (metres)."""
        lon, lat = self.centre
        return CRS.from_proj4(
            f"+proj=laea +lat_0={lat:.4f} +lon_0={lon:.4f} +x_0=0 +y_0=0 "
            "+datum=WGS84 +units=m +no_defs"
        )

    def title(self, lang: str) -> str:
        return self.title_fr if lang == "fr" else self.title_en


VIEWS: dict[str, View] = {
    "africa": View("africa", "Africa", "Afrique", (-19.0, -36.0, 53.0, 38.5), continent="Africa"),
    "sahel": View("sahel", "Sahel", "Sahel", (-18.0, 8.0, 25.0, 25.0),
                  countries=("BFA", "MLI", "MRT", "NER", "TCD")),
    "great-lakes": View(
        "great-lakes", "Great Lakes region", "Région des Grands Lacs", (25.5, -9.5, 35.5, 4.5),
        countries=("BDI", "COD", "RWA", "TZA", "UGA"),
    ),
    "middle-east": View("middle-east", "Middle East", "Moyen-Orient", (25.0, 12.0, 63.0, 42.0),
                        countries=("ARE", "BHR", "CYP", "EGY", "IRN", "IRQ", "ISR", "JOR", "KWT", "LBN", "OMN",
                                   "PSE", "QAT", "SAU", "SYR", "TUR", "YEM")),
}
"""The named views offered by the map page, the snapshots and the regional briefs. A view's
countries are chosen, not derived from its box (the Sahel's box also holds Guinea and Sierra
Leone; the Great Lakes' box cuts the DRC in half): the Sahel is the five G5 Sahel states, the
Great Lakes the DRC and its four eastern neighbours on the lakes."""

MARGIN = 0.08
"""Share of a country's extent added around it in a country view."""


def named_view(name: str) -> View:
    """The view called ``name``; an ``InvalidParameter`` naming the choices otherwise."""
    try:
        return VIEWS[name]
    except KeyError:
        raise InvalidParameter("view", name, f"unknown view; use one of {sorted(VIEWS)}") from None


def view_countries(view: View, countries: gpd.GeoDataFrame) -> tuple[str, ...]:
    """The ISO3 codes of ``view``'s countries present in ``countries`` (the ``countries`` layer), sorted.

    Examples
    --------
    >>> view_countries(VIEWS["sahel"], countries)  # doctest: +SKIP
    ('BFA', 'MLI', 'MRT', 'NER', 'TCD')
    """
    codes = countries["iso3"].astype(str)
    if view.countries:
        chosen = codes[codes.isin(view.countries)]
    else:
        chosen = codes[(countries["continent"] == view.continent).fillna(False).to_numpy(bool)]
    return tuple(sorted(set(chosen)))


def country_view(iso3: str, countries: gpd.GeoDataFrame) -> View:
    """A view framing country ``iso3`` with a small margin.

    Parameters
    ----------
    iso3 : ISO 3166-1 alpha-3 code, as in the ``countries`` layer
    countries : the ``countries`` layer (EPSG:4326)
    """
    code = iso3.strip().upper()
    rows = countries[countries["iso3"] == code]
    if rows.empty:
        raise InvalidParameter(
            "iso3", iso3, "no country with this ISO 3166-1 alpha-3 code in the boundaries"
        )
    geom = shapely.union_all(rows.geometry.values)
    # Far overseas parts would blow the extent up: keep the region of the largest part.
    parts = list(getattr(geom, "geoms", [geom]))
    main = max(parts, key=lambda p: p.area)
    near = [p for p in parts if p.distance(main) < 5.0]
    minx, miny, maxx, maxy = shapely.union_all(near).bounds
    dx, dy = (maxx - minx) * MARGIN + 0.2, (maxy - miny) * MARGIN + 0.2
    bbox = (
        max(minx - dx, -180.0),
        max(miny - dy, -90.0),
        min(maxx + dx, 180.0),
        min(maxy + dy, 90.0),
    )
    name_en = str(rows["name"].iloc[0])
    name_fr = str(rows["name_fr"].iloc[0]) if "name_fr" in rows else name_en
    return View(code, name_en, name_fr, bbox, focus_iso3=code)


def bbox_view(bbox: BBox) -> View:
    """A view of an explicit ``bbox`` (minx, miny, maxx, maxy in degrees)."""
    return View("bbox", "Selected area", "Zone sélectionnée", bbox)


def map_extent(view: View, aspect: float) -> tuple[float, float, float, float]:
    """The projected extent (metres) covering ``view.bbox`` with width/height ``aspect``."""
    outline = _densified_outline(view.bbox)
    to_map = Transformer.from_crs(WGS84, view.crs, always_xy=True)
    x, y = to_map.transform(outline[:, 0], outline[:, 1])
    xmin, xmax, ymin, ymax = np.nanmin(x), np.nanmax(x), np.nanmin(y), np.nanmax(y)
    width, height = xmax - xmin, ymax - ymin
    if width / height < aspect:
        grow = (height * aspect - width) / 2
        xmin, xmax = xmin - grow, xmax + grow
    else:
        grow = (width / aspect - height) / 2
        ymin, ymax = ymin - grow, ymax + grow
    return (float(xmin), float(ymin), float(xmax), float(ymax))


def lonlat_window(view: View, extent: tuple[float, float, float, float]) -> BBox:
    """The degree box around the projected ``extent`` (to prefilter data before projecting)."""
    xmin, ymin, xmax, ymax = extent
    outline = _densified_outline((xmin, ymin, xmax, ymax))
    to_ll = Transformer.from_crs(view.crs, WGS84, always_xy=True)
    lon, lat = to_ll.transform(outline[:, 0], outline[:, 1])
    return (
        max(float(np.nanmin(lon)) - 0.5, -180.0),
        max(float(np.nanmin(lat)) - 0.5, -90.0),
        min(float(np.nanmax(lon)) + 0.5, 180.0),
        min(float(np.nanmax(lat)) + 0.5, 90.0),
    )


def _densified_outline(bbox: tuple[float, float, float, float], n: int = 41) -> np.ndarray:
    minx, miny, maxx, maxy = bbox
    xs, ys = np.linspace(minx, maxx, n), np.linspace(miny, maxy, n)
    return np.concatenate(
        [
            np.column_stack([xs, np.full(n, miny)]),
            np.column_stack([xs, np.full(n, maxy)]),
            np.column_stack([np.full(n, minx), ys]),
            np.column_stack([np.full(n, maxx), ys]),
        ]
    )
