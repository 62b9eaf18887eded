"""Builders of small, hand-checkable layers for tests."""

from __future__ import annotations

import geopandas as gpd
import numpy as np

from geo.events import events_frame


def make_events(rows: list[dict], dataset: str = "acled") -> gpd.GeoDataFrame:
    """Events from dicts with ``lon``, ``lat`` and any event columns.

    >>> make_events([{"lon": 29.2, "lat": -1.6, "event_date": "2024-03-01", "country_iso3": "COD"}])  # doctest: +SKIP
    """
    columns: dict[str, list] = {}
    names = {k for r in rows for k in r} - {"lon", "lat"}
    for name in names:
        columns[name] = [r.get(name) for r in rows]
    columns.setdefault("event_id", [f"T{i}" for i in range(len(rows))])
    columns.setdefault("source_dataset", [dataset] * len(rows))
    columns.setdefault("event_type", ["Battles"] * len(rows))
    columns.setdefault("assigned_by", ["within"] * len(rows))
    return events_frame(columns, [r["lon"] for r in rows], [r["lat"] for r in rows])


def random_events(n: int, seed: int = 0, bbox=(-18.0, -12.0, 45.0, 25.0)) -> gpd.GeoDataFrame:
    """``n`` events spread uniformly over ``bbox`` in 2023-2024 (country left empty)."""
    rng = np.random.default_rng(seed)
    minx, miny, maxx, maxy = bbox
    days = rng.integers(0, 731, n)
    dates = np.datetime64("2023-01-01") + days.astype("timedelta64[D]")
    types = np.array(["Battles", "Violence against civilians", "Explosions/Remote violence", "Protests"])
    return events_frame(
        {
            "event_id": [f"R{i}" for i in range(n)],
            "source_dataset": ["synthetic-demo"] * n,
            "event_date": dates,
            "event_type": types[rng.integers(0, len(types), n)],
            "fatalities": rng.poisson(1.5, n),
        },
        rng.uniform(minx, maxx, n),
        rng.uniform(miny, maxy, n),
    )
