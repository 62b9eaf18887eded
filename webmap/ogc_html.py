"""What the OGC API's HTML pages need besides their document: the small map and its data.

The items, collection and item pages show a small Leaflet map (``static/ogcmap.js``) drawn over our
own boundaries, like the map pages: Leaflet from ``/assets``, the land from ``/map-data/basemap``,
nothing from the internet. The map's data (the page's geometries, or the collection's extent) is
embedded in the page as a ``<script type="application/json">`` block whose text can never close
the element: ``<``, ``>`` and ``&`` are written as JSON escapes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import orjson
import shapely.geometry
from flask import url_for
from markupsafe import Markup

from geo.features.geojson import FeatureEncoder
from geo.i18n import text
from geo.render.minimap import minimap_geometries

LANG = "en"
"""The language of the OGC API's pages."""

STRING_KEYS = (
    "ogc_map_items",
    "ogc_map_item",
    "ogc_map_extent",
    "ogc_map_help",
    "ogc_extent_spatial",
    "ogc_extent_temporal",
    "ogc_count",
    "ogc_count_unknown",
    "ogc_open_start",
    "ogc_open_end",
    "ogc_links",
    "ogc_link_templated",
    "attribution_boundaries",
)
"""The words of the OGC pages' map and extents (``geo/i18n.py``)."""

_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def script_json(value: Any) -> Markup:
    """``value`` as JSON safe to place inside a ``<script type="application/json">`` element.

    Parameters
    ----------
    value
        Anything orjson serialises (numpy scalars included).

    Returns
    -------
    Markup
        JSON text without a ``<``, ``>`` or ``&`` character (each written ``\\u003c``…), so no
        data text can end the element or open a comment; ``JSON.parse`` reads back the same value.

    Examples
    --------
    >>> str(script_json({"title": "</script><b>"}))
    '{"title":"\\\\u003c/script\\\\u003e\\\\u003cb\\\\u003e"}'
    """
    raw = orjson.dumps(value, option=orjson.OPT_SERIALIZE_NUMPY).decode("utf-8")
    return Markup(raw.translate(_ESCAPES))


def geometries(encoder: FeatureEncoder, positions: np.ndarray, features: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The map's copy of a page's features: ids and light geometries (the properties are in the table).

    Parameters
    ----------
    encoder, positions
        The page's rows (``layers.selection.Page``): the geometries are read from its frame.
    features
        The same rows as GeoJSON features (for their ids).

    Returns
    -------
    dict
        A GeoJSON FeatureCollection whose features keep only ``id`` and ``geometry``, simplified for
        the small map by ``geo.render.minimap`` (points stay where the table says).
    """
    shapes = np.asarray(encoder.index.frame.geometry.array)[np.asarray(positions, dtype=np.int64)]
    light = minimap_geometries([None if g is None or g.is_empty else g for g in shapes])
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": f.get("id"),
                "geometry": shapely.geometry.mapping(g) if g is not None else None,
                "properties": {},
            }
            for f, g in zip(features, light, strict=True)
        ],
    }


def map_context(data: dict[str, Any], label_key: str) -> dict[str, Any]:
    """Template context of a page's small map.

    Parameters
    ----------
    data
        What the map draws: ``{"features": FeatureCollection}`` or ``{"bbox": [minx, miny, maxx, maxy]}``.
    label_key
        The ``geo/i18n.py`` key of the map's accessible name.

    Returns
    -------
    dict
        ``ogc_map``: asset URLs, the basemap URL and colours, the words, and the data as safe JSON.
    """
    from webmap.mapbuild import BORDER, LAND, SEA  # the map pages' colours (mapbuild imports the OGC views)

    strings = {key: text(LANG, key) for key in STRING_KEYS}
    options = {
        "basemap": url_for("mapdata.basemap"),
        "sea": SEA,
        "land": LAND,
        "border": BORDER,
        "attribution": strings["attribution_boundaries"],
        **data,
    }
    return {
        "ogc_map": {
            "leaflet_js": url_for("assets.asset", package="leaflet", filename="leaflet.js"),
            "leaflet_css": url_for("assets.asset", package="leaflet", filename="leaflet.css"),
            "script": url_for("static", filename="ogcmap.js"),
            "label": strings[label_key],
            "data": script_json(options),
        },
        "t": strings,
    }
