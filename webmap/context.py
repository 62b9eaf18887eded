"""Access to the app's store, settings and catalogue from views."""

from __future__ import annotations

from flask import current_app

from geo.config import Settings
from geo.store import Store
from layers import CATALOGUE, Catalogue


def store() -> Store:
    return current_app.extensions["coopmap.store"]


def settings() -> Settings:
    return current_app.extensions["coopmap.settings"]


def catalogue() -> Catalogue:
    return CATALOGUE
