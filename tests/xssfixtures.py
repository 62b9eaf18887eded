"""A workspace whose every text field carries a script-injection payload (the XSS proof)."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point, box

from geo.storage.store import Store
from tests.builders import make_events, random_events

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "javascript:alert(3)",
    "\"'><svg onload=alert(4)>",
    "\" onmouseover=\"alert(5)\" autofocus onfocus=\"alert(6)\" x=\"",
    "' onmouseover='alert(7)' x='",
    "</script><script>alert(8)</script>",
)
"""Raw tags, an event handler, a ``javascript:`` URL, quotes that break out of attributes and a closing
tag that would end a page's embedded JSON (the OGC pages' map data)."""
BREAKOUT_ID = PAYLOADS[-1]
"""An event's id (its row and marker on the items page; an id with "/" has no item page)."""

HOOK = """
window.__xss = 0;
["alert", "confirm", "prompt", "print"].forEach(function (name) {
  var original = window[name];
  window[name] = function () {
    window.__xss += 1;
    return original ? original.apply(window, arguments) : undefined;
  };
});
"""
"""Installed before any page script: a payload that runs sets ``window.__xss``."""

SITES = [(29.23, -1.68), (28.86, -2.51), (27.5, -3.0), (25.2, 0.5), (23.6, -6.1), (15.31, -4.33)]
"""Places in the DRC: the focus country of the proof."""


def _pick(i: int, j: int) -> str:
    return PAYLOADS[(i + j) % len(PAYLOADS)]


def envr_payloads() -> gpd.GeoDataFrame:
    texts = ["acronym", "name", "city", "domain", "domain_detail", "source", "notes", "verified",
             "geocode_precision"]
    return gpd.GeoDataFrame(
        {
            **{name: [_pick(i, j) for i in range(len(SITES))] for j, name in enumerate(texts)},
            "country_iso3": "COD",
            "founded": 2001,
            "status": "open",
        },
        geometry=[Point(lon, lat) for lon, lat in SITES],
        crs="EPSG:4326",
    )


def projects_payloads() -> gpd.GeoDataFrame:
    texts = ["acronym", "title", "site", "funder", "implementers", "components", "source", "notes",
             "region", "countries_coverage"]
    frame = gpd.GeoDataFrame(
        {
            **{name: [_pick(i, j) for i in range(len(SITES))] for j, name in enumerate(texts)},
            "site_id": [f"XSS-{i}" for i in range(len(SITES))],
            "country_iso3": "COD",
            "countries": "COD;RWA",
            "start": "2023-01-01",
            "end": "2026-12-31",
            "status": "active",
            "budget_eur": 250_000.0,
            "geocode_precision": "city",
        },
        geometry=[Point(lon, lat) for lon, lat in SITES],
        crs="EPSG:4326",
    )
    frame.loc[0, "site_id"] = PAYLOADS[1]  # an id that is itself markup (no "/", so routable)
    return frame


def footprints_payloads() -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "acronym": list(PAYLOADS[:3]),
            "title": list(PAYLOADS[3:6]),
            "countries": "COD;RWA",
            "funder": list(PAYLOADS[1:4]),
            "start": "2023-01-01",
            "end": "2026-12-31",
            "status": "active",
            "budget_eur": 1.0,
            "region": list(PAYLOADS[2:5]),
        },
        geometry=[box(27.0, -3.5, 30.5, 0.5), box(20, -5, 24, -1), box(15, -6, 18, -3)],
        crs="EPSG:4326",
    )


def events_payloads() -> gpd.GeoDataFrame:
    texts = ["actor1", "actor2", "notes", "location", "source", "event_type", "sub_event_type",
             "admin1"]
    rows = []
    for i, (lon, lat) in enumerate(SITES * 2):
        row = {name: _pick(i, j) for j, name in enumerate(texts)}
        rows.append(
            {**row, "lon": lon + 0.3, "lat": lat + 0.2, "event_date": f"2024-{i % 12 + 1:02d}-10",
             "country_iso3": "COD", "fatalities": i, "precision": 1}
        )
    payload = make_events(rows)
    payload["event_id"] = [f"X{i}" for i in range(len(payload))]
    payload.loc[0, "event_id"] = PAYLOADS[1]
    payload.loc[1, "event_id"] = BREAKOUT_ID
    background = random_events(200, seed=3, bbox=(-10.0, -20.0, 40.0, 20.0))
    background["country_iso3"] = "CMR"
    return gpd.GeoDataFrame(
        pd.concat([payload, background], ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )


def populate_payloads(store: Store) -> None:
    """Write the payload registries, footprints and events into ``store``."""
    store.write("envr", envr_payloads(), ["xss"])
    store.write("projects", projects_payloads(), ["xss"])
    store.write("project-countries", footprints_payloads(), ["xss"])
    store.write("conflict-events", events_payloads(), ["xss"])
