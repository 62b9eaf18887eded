"""The layer catalogue: the one place where the API, the maps and the snapshots learn which
layers exist, what their fields are, how they look and who may see them."""

from layers.catalogue import CATALOGUE, Catalogue, Field, Layer, Style

__all__ = ["CATALOGUE", "Catalogue", "Field", "Layer", "Style"]
