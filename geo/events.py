"""The normalised conflict-event frame shared by ACLED and UCDP ingest, joins and maps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from geo.types import WGS84
from layers.catalogue import EVENT_FIELDS

EVENT_COLUMNS = [f.name for f in EVENT_FIELDS]
"""Columns of the ``conflict-events`` layer, in order; ``original`` (JSON text of the source row)
follows them, then ``geometry``."""

DTYPES = {
    "event_date": "datetime64[ms]",
    "fatalities": "int64",
    "precision": "int8",
}

SYNTHETIC = "synthetic-demo"


def events_frame(columns: Mapping[str, Sequence[object]], lon: Sequence[float], lat: Sequence[float]) -> gpd.GeoDataFrame:
    """Build a ``conflict-events`` frame from column values and coordinates.

    Missing columns are filled with empty values; types follow ``DTYPES`` (others are strings).
    """
    n = len(lon)
    data: dict[str, object] = {}
    for name in [*EVENT_COLUMNS, "original"]:
        values = columns.get(name)
        if values is None:
            values = [0] * n if name in ("fatalities",) else [None] * n
        if name == "precision" and columns.get(name) is None:
            values = [1] * n
        data[name] = values
    frame = pd.DataFrame(data)
    for name, dtype in DTYPES.items():
        frame[name] = frame[name].astype(dtype) if name != "event_date" else pd.to_datetime(frame[name]).astype(dtype)
    for name in frame.columns:
        if name not in DTYPES:
            frame[name] = frame[name].astype("string")
    return gpd.GeoDataFrame(frame, geometry=gpd.points_from_xy(np.asarray(lon, float), np.asarray(lat, float)), crs=WGS84)
