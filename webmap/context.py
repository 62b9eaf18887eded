"""Access to the app's store, settings and catalogue from views.

Inside a request, ``store()`` and ``catalogue()`` are what the CALLER may see (the access policy
of ``layers/access.py`` applied by ``webmap/guard.py``): views cannot forget it. ``raw_store()``
is the workspace as stored, for code that serves no data to a client.
"""

from __future__ import annotations

from flask import current_app, has_request_context

from geo.config import Settings
from geo.storage.store import Store
from layers import CATALOGUE, Catalogue


def raw_store() -> Store:
    return current_app.extensions["coopmap.store"]


def store() -> Store:
    if has_request_context():
        from webmap.guard import secured_store

        return secured_store()
    return raw_store()


def settings() -> Settings:
    return current_app.extensions["coopmap.settings"]


def catalogue() -> Catalogue:
    if has_request_context():
        from webmap.guard import visible_catalogue

        return visible_catalogue()
    return CATALOGUE
