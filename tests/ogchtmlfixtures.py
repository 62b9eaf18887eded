"""Four hand-placed events for the OGC HTML pages' tests (plain HTTP and browser)."""

from __future__ import annotations

import geopandas as gpd

from tests.builders import make_events

BREAKOUT = "</script><script>alert(1)</script>"
"""An id that would end the page's JSON block, were it not escaped."""

EVENTS = [
    {"lon": 29.2, "lat": -1.6, "event_date": "2024-03-01", "event_id": "E1", "fatalities": 7,
     "notes": "<script>alert(2)</script> near Goma"},
    {"lon": 15.3, "lat": -4.3, "event_date": "2024-01-15", "event_id": "E2", "fatalities": 0},
    {"lon": 25.2, "lat": 0.5, "event_date": "2024-06-30", "event_id": BREAKOUT, "fatalities": 2},
    {"lon": 23.6, "lat": -6.1, "event_date": "2023-11-20", "event_id": "E4", "fatalities": 1},
]
"""By hand: lon 15.3..29.2, lat -6.1..0.5, dates 2023-11-20..2024-06-30; ordered by id the page
lists them as the store keeps them (four rows, four markers)."""


def events() -> gpd.GeoDataFrame:
    return make_events([{**row, "country_iso3": "COD"} for row in EVENTS])


def populate(store) -> None:
    """Replace the workspace's events by the four hand-placed ones."""
    store.write("conflict-events", events(), ["ogc-html"])
