"""Links to the tiles (``webmap/tiles.py``) from the landing page and the collections."""

from __future__ import annotations

from flask import url_for

from layers.catalogue import Layer
from webmap.ogc_links import link

REL = "http://www.opengis.net/def/rel/ogc/1.0/"


def tileset_links(layer: Layer) -> list[dict[str, str]]:
    """A collection's link to its vector tilesets, when it has tiles."""
    if layer.tiling is None:
        return []
    return [link(url_for("tiles.tilesets", collection_id=layer.id, _external=True), f"{REL}tilesets-vector",
                 "application/json", "Vector tilesets")]


def landing_tiles_links() -> list[dict[str, str]]:
    """The landing page's link to the tile matrix sets."""
    return [link(url_for("tiles.tile_matrix_sets", _external=True), f"{REL}tiling-schemes", "application/json",
                 "Tile matrix sets")]
