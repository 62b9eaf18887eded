"""One period for every layer of a snapshot: choropleth, events, project sites (schools follow the
catalogue's rule for their layer), stated in the subtitle; the site badge counts projects."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import geopandas as gpd
import pandas as pd
import pytest
from matplotlib.axes import Axes

import webmap.snapshots as snapshot_views
from geo.render.snapshot import render_snapshot
from tests.builders import make_events
from tests.mapfixtures import projects_frame

SMALL = "width=600&height=400"
SVG = "{http://www.w3.org/2000/svg}"


def _texts(content: bytes) -> list[str]:
    root = ET.fromstring(content)
    return ["".join(node.itertext()) for node in root.iter(f"{SVG}text")]


@pytest.fixture
def store(app):
    """Events in the DRC: three known only to the province in 2022, two precise and two known
    only to the province in 2024 (the latest on 2024-06-15)."""
    rows = (
        [{"event_date": "2022-06-15", "precision": 3}] * 3
        + [{"event_date": "2024-03-15", "precision": 1}] * 2
        + [{"event_date": "2024-06-15", "precision": 3}] * 2
    )
    events = make_events(
        [{**r, "lon": 29.2, "lat": -1.6, "country_iso3": "COD", "fatalities": 1} for r in rows]
    )
    store = app.extensions["coopmap.store"]
    store.write("conflict-events", events, ["test"])
    return store


def test_without_datetime_every_layer_shows_the_last_twelve_months(client, store):
    texts = _texts(client.get(f"/snapshot.svg?iso3=COD&{SMALL}").data)
    words = " ".join(texts)
    # the latest event is 2024-06-15: the twelve months before it start on 2023-06-16
    assert "Period: 2023-06-16 – 2024-06-15 (the last 12 months of data, for every layer)" in words
    # events in it: 2 precise + 2 vague of 2024 = 4 in the DRC; one positive value, one class
    legend = texts[texts.index("Conflict events") + 1 :][:2]
    assert legend == ["0", "4"]
    # the points follow the same period: the 2 vague events of 2024 are noted, not the 3 of 2022
    assert "2 events located only to a province or country" in words
    assert "5 events" not in words


def test_an_explicit_period_applies_to_events_and_choropleth(client, store):
    words = " ".join(_texts(client.get(f"/snapshot.svg?iso3=COD&{SMALL}&datetime=2022").data))
    assert "Period: 2022-01-01 – 2022-12-31" in words and "last 12 months" not in words
    assert "3 events located only to a province or country" in words  # the three of 2022


@pytest.fixture
def sites(app, store):
    """PAS (two sites in the DRC, from 2024), NEW (one site in the DRC, from 2024-02), GOL (one
    site in Côte d'Ivoire, 2019 to 2023-03) and SEC (one site in Niger, from 2025)."""
    projects = projects_frame()
    new = projects[projects["site_id"] == "PAS-1"].assign(site_id="NEW-1", acronym="NEW", start="2024-02-01")
    projects = gpd.GeoDataFrame(pd.concat([projects, new], ignore_index=True), crs=projects.crs)
    dates = {"PAS": ("2024-01-01", "2026-12-31"), "NEW": ("2024-02-01", "2026-12-31"),
             "GOL": ("2019-01-01", "2023-03-31"), "SEC": ("2025-01-01", "2027-12-31")}
    projects["start"] = projects["acronym"].map(lambda a: dates[a][0])
    projects["end"] = projects["acronym"].map(lambda a: dates[a][1])
    store.write("projects", projects, ["test"])
    return store


def test_project_sites_follow_the_period(client, sites):
    legend = "Cooperation project site"
    # Côte d'Ivoire: GOL ran 2019 to 2023, so it is on the 2019 snapshot and not on the 2024 one
    assert legend in _texts(client.get(f"/snapshot.svg?iso3=CIV&{SMALL}&layers=projects&datetime=2019").data)
    assert legend not in _texts(client.get(f"/snapshot.svg?iso3=CIV&{SMALL}&layers=projects&datetime=2024").data)


def test_the_badge_counts_projects_not_sites(client, sites, monkeypatch):
    # the badge is drawn with a halo, so the SVG holds it as outlines: read what is annotated
    badges = []
    annotate = Axes.annotate

    def spy(self, text, *args, **kwargs):
        badges.append(text)
        return annotate(self, text, *args, **kwargs)

    monkeypatch.setattr(Axes, "annotate", spy)
    # render in this process (the pool's processes would not see the spy)
    monkeypatch.setattr(snapshot_views, "_render_in_pool", render_snapshot)
    response = client.get(f"/snapshot.svg?iso3=COD&{SMALL}&layers=projects&datetime=2024")
    assert response.status_code == 200
    # the DRC has 3 sites in 2024 (PAS-1, PAS-2, NEW-1) of 2 projects (PAS, NEW): the badge says 2
    assert badges == ["2"]
