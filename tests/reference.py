"""Plain pandas/geopandas selections, the slow and obvious way: references the fast selectors
(``geo.analytics.prepared``, ``geo.features.index``) are checked against."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from geo.query import Query
from geo.types import Period


def period_mask(values: pd.Series, period: Period) -> np.ndarray:
    """True where the date in ``values`` lies in the closed ``period`` (open ends allowed)."""
    dates = pd.to_datetime(values)
    mask = np.ones(len(values), dtype=bool)
    if period.start:
        mask &= (dates >= pd.Timestamp(period.start)).to_numpy()
    if period.end:
        mask &= (dates <= pd.Timestamp(period.end)).to_numpy()
    return mask


def apply_query(frame: gpd.GeoDataFrame, query: Query, time_field: str | None) -> gpd.GeoDataFrame:
    """The rows of ``frame`` whose geometry intersects the bbox, dated in the period and matching
    every filter (values OR-ed per field), in the frame's order."""
    mask = np.ones(len(frame), dtype=bool)
    if query.bbox is not None and len(frame):
        mask &= frame.intersects(shapely.box(*query.bbox)).to_numpy()
    if query.period is not None and time_field is not None:
        mask &= period_mask(frame[time_field], query.period)
    for name, values in query.filters:
        mask &= frame[name].astype("string").isin(values).fillna(False).to_numpy()
    return frame[mask]
