"""A populated workspace for the map pages: events, ENVR schools, project sites, footprints."""

from __future__ import annotations

import functools

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import Point, box

from geo.boundaries.countries import load_countries
from geo.config import Settings
from geo.storage.store import Store
from tests.builders import make_events, random_events

XSS = "<img src=x onerror=alert(1)>"


def envr_frame() -> gpd.GeoDataFrame:
    rows = [
        (
            "EMP",
            "Ecole de maintien de la paix Alioune Blondin Beye",
            "Bamako",
            "MLI",
            "peacekeeping",
            2007,
            -8.0,
            12.64,
        ),
        (
            "CPADD",
            "Centre de perfectionnement aux actions post-conflictuelles de deminage",
            "Ouidah",
            "BEN",
            "demining",
            2002,
            2.08,
            6.36,
        ),
        (
            "EEML",
            "Ecole d'etat-major de Libreville",
            "Libreville",
            "GAB",
            "staff college",
            2001,
            9.45,
            0.39,
        ),
        (
            "ENVR-K",
            "Ecole du genie de Kinshasa",
            "Kinshasa",
            "COD",
            "engineering",
            2010,
            15.31,
            -4.33,
        ),
    ]
    return gpd.GeoDataFrame(
        {
            "acronym": [r[0] for r in rows],
            "name": [r[1] for r in rows],
            "city": [r[2] for r in rows],
            "country_iso3": [r[3] for r in rows],
            "domain": [r[4] for r in rows],
            "founded": [r[5] for r in rows],
            "status": "open",
            "geocode_precision": "city",
            "verified": "yes",
            "source": "test fixture",
        },
        geometry=[Point(r[6], r[7]) for r in rows],
        crs="EPSG:4326",
    )


def projects_frame(title: str = "Appui a la securite maritime") -> gpd.GeoDataFrame:
    rows = [
        ("PAS-1", "PAS", title, "Goma", "COD", "COD;RWA", "active", 29.23, -1.68),
        ("PAS-2", "PAS", title, "Bukavu", "COD", "COD;RWA", "active", 28.86, -2.51),
        (
            "SEC-1",
            "SEC",
            "Formation des forces de securite",
            "Niamey",
            "NER",
            "NER",
            "planned",
            2.11,
            13.51,
        ),
        (
            "GOL-1",
            "GOL",
            "Securite du golfe de Guinee",
            "Abidjan",
            "CIV",
            "CIV;GHA",
            "closed",
            -4.02,
            5.35,
        ),
    ]
    return gpd.GeoDataFrame(
        {
            "site_id": [r[0] for r in rows],
            "acronym": [r[1] for r in rows],
            "title": [r[2] for r in rows],
            "site": [r[3] for r in rows],
            "country_iso3": [r[4] for r in rows],
            "countries": [r[5] for r in rows],
            "funder": "EU",
            "implementers": "Expertise France",
            "start": "2023-01-01",
            "end": "2026-12-31",
            "status": [r[6] for r in rows],
            "budget_eur": 1_500_000.0,
            "components": "training; equipment",
            "geocode_precision": "city",
            "source": "test fixture",
        },
        geometry=[Point(r[7], r[8]) for r in rows],
        crs="EPSG:4326",
    )


def footprints_frame(title: str = "Appui a la securite maritime") -> gpd.GeoDataFrame:
    return gpd.GeoDataFrame(
        {
            "acronym": ["PAS"],
            "title": [title],
            "countries": ["COD;RWA"],
            "funder": ["EU"],
            "start": ["2023-01-01"],
            "end": ["2026-12-31"],
            "status": ["active"],
            "budget_eur": [1_500_000.0],
        },
        geometry=[box(27.0, -3.5, 30.5, 0.5)],
        crs="EPSG:4326",
    )


@functools.lru_cache(maxsize=2)
def demo_events(n: int = 3000, seed: int = 1) -> gpd.GeoDataFrame:
    """Random events over Africa with their country, plus a precise cluster in eastern DRC."""
    events = random_events(n, seed=seed, bbox=(-17.0, -34.0, 50.0, 36.0))
    countries = load_countries(Settings().boundaries_dir, "countries_z4")[["iso3", "geometry"]]
    joined = gpd.sjoin(events, countries, how="left", predicate="within")
    joined = joined[~joined.index.duplicated()]
    events["country_iso3"] = joined["iso3"].astype("string").to_numpy()
    events = events[events["country_iso3"].notna()]
    rng = np.random.default_rng(seed)
    kivu = make_events(
        [
            {
                "lon": 29.2 + rng.normal(0, 0.4),
                "lat": -1.2 + rng.normal(0, 0.6),
                "event_date": f"2024-{m:02d}-15",
                "country_iso3": "COD",
                "fatalities": int(rng.poisson(3)),
                "actor1": "M23",
                "actor2": "FARDC",
                "location": "Rutshuru",
                "source": "Radio Okapi",
                "precision": 1,
                "event_type": ["Battles", "Violence against civilians"][i % 2],
                "source_dataset": "synthetic-demo",
            }
            for i, m in enumerate(list(range(1, 13)) * 20)
        ]
    )
    kivu["event_id"] = [f"K{i}" for i in range(len(kivu))]
    out = gpd.GeoDataFrame(
        pd.concat([events, kivu], ignore_index=True), geometry="geometry", crs="EPSG:4326"
    )
    return out


def populate(
    store: Store,
    *,
    events: gpd.GeoDataFrame | None = None,
    title: str = "Appui a la securite maritime",
) -> None:
    """Write events, schools, project sites and footprints into ``store``."""
    store.write("conflict-events", demo_events() if events is None else events, ["test"])
    store.write("envr", envr_frame(), ["test"])
    store.write("projects", projects_frame(title), ["test"])
    store.write("project-countries", footprints_frame(title), ["test"])


def analyst_token(home) -> str:
    """A bearer token of the analyst role (exact sites, restricted fields) in workspace ``home``."""
    from layers.tokens import FileTokenStore

    return FileTokenStore(home).create("map-tests", "analyst")


def authorise(app, token: str):
    """Make every test client of ``app`` send ``token`` as a bearer token."""
    from flask.testing import FlaskClient

    class _Client(FlaskClient):
        def __init__(self, *args, **kwargs) -> None:
            super().__init__(*args, **kwargs)
            self.environ_base["HTTP_AUTHORIZATION"] = f"Bearer {token}"

    app.test_client_class = _Client
    return app
