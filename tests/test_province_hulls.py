"""Provinces by admin1 name: their outline is the convex hull of their events, however many."""

from __future__ import annotations

import shapely

from geo.analytics.provinces import name_units
from tests.builders import make_events


def _event(lon: float, lat: float, admin1: str) -> dict:
    return {"lon": lon, "lat": lat, "event_date": "2024-01-01", "country_iso3": "COD", "admin1": admin1}


def test_hulls_of_squares_lines_and_single_points():
    """Square: the four corners of a 1° square, its centre and points on its edges (area 1 by hand).
    Line: three points on a parallel (a hull of area 0, 2° long). Point: one event, twice."""
    square = [(0, 0), (1, 0), (1, 1), (0, 1), (0.5, 0.5), (0.5, 0), (1, 0.3), (0.2, 0.7), (0.1, 0.1)]
    rows = [_event(x, y, "Square") for x, y in square]
    rows += [_event(x, 5.0, "Line") for x in (10.0, 11.0, 12.0)]
    rows += [_event(20.0, -3.0, "Point"), _event(20.0, -3.0, "Point")]
    table = name_units(make_events(rows)).table.set_index("province")
    assert table.geometry["Square"].area == 1.0
    assert shapely.equals(table.geometry["Square"], shapely.box(0, 0, 1, 1))
    assert table.geometry["Line"].length == 2.0 and table.geometry["Line"].area == 0.0
    assert shapely.equals(table.geometry["Point"], shapely.Point(20.0, -3.0))
