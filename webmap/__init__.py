"""The coopmap web service: map pages, the OGC API - Features, downloads and snapshots."""

from webmap.app import create_app

__all__ = ["create_app"]
