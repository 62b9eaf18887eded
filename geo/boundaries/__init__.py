"""Boundaries: countries and provinces, point-in-polygon joins, geocoding, generalisation."""
