"""Leaflet and its plugins, served from the installed XStatic packages (nothing from a CDN)."""

from __future__ import annotations

from flask import Blueprint, Response, send_from_directory
from werkzeug.exceptions import NotFound

bp = Blueprint("assets", __name__, url_prefix="/assets")

PACKAGES = {
    "leaflet": "xstatic.pkg.leaflet",
    "markercluster": "xstatic.pkg.leaflet_markercluster",
}
"""URL segment → XStatic package whose ``BASE_DIR`` holds the files."""


def _base_dir(package: str) -> str:
    import importlib

    return importlib.import_module(PACKAGES[package]).BASE_DIR


@bp.get("/<package>/<path:filename>")
def asset(package: str, filename: str) -> Response:
    """A file of an XStatic package, cached for a day."""
    if package not in PACKAGES:
        raise NotFound(f"no asset package {package!r}; packages are {sorted(PACKAGES)}")
    return send_from_directory(_base_dir(package), filename, max_age=86400)
