"""The normalised conflict-event frame shared by ACLED and UCDP ingest, joins and maps."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.schema import EVENT_FIELDS
from geo.types import WGS84

EVENT_COLUMNS = [f.name for f in EVENT_FIELDS]
"""Columns of the ``conflict-events`` layer, in order; ``original`` (JSON text of the source row)
follows them, then ``geometry``."""

DTYPES = {
    "event_date": "datetime64[ms]",
    "fatalities": "int64",
    "precision": "int8",
}

SYNTHETIC = "synthetic-demo"


def events_frame(
    columns: Mapping[str, Sequence[object]], lon: Sequence[float], lat: Sequence[float]
) -> gpd.GeoDataFrame:
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
    return gpd.GeoDataFrame(
        frame, geometry=gpd.points_from_xy(np.asarray(lon, float), np.asarray(lat, float)), crs=WGS84
    )


@functools.lru_cache(maxsize=1)
def events_schema() -> pa.Schema:
    """The Arrow schema of the stored ``conflict-events`` layer: ``EVENT_COLUMNS``, ``original``
    and a WKB ``geometry``, with the pandas metadata that makes a read give ``events_frame``'s
    dtypes."""
    empty = pd.DataFrame(events_frame({}, [], []).drop(columns="geometry"))
    schema = pa.Schema.from_pandas(empty, preserve_index=False)
    return schema.append(pa.field("geometry", pa.binary()))


def events_table(
    columns: Mapping[str, pa.Array | pa.ChunkedArray], lon: np.ndarray, lat: np.ndarray
) -> pa.Table:
    """The Arrow twin of ``events_frame``: rows of the stored layer (``events_schema``) without
    building shapely objects; missing columns are filled as ``events_frame`` fills them."""
    schema = events_schema()
    n = len(lon)
    data = []
    for f in schema:
        if f.name == "geometry":
            data.append(points_wkb(lon, lat))
        elif f.name in columns:
            data.append(pc.cast(columns[f.name], f.type))
        elif f.name == "precision":
            data.append(pa.array(np.ones(n, np.int8)))
        elif f.name == "fatalities":
            data.append(pa.array(np.zeros(n, np.int64)))
        else:
            data.append(pa.nulls(n, f.type))
    return pa.Table.from_arrays(data, schema=schema)


def points_wkb(x: np.ndarray, y: np.ndarray) -> pa.Array:
    """Little-endian WKB points of coordinate arrays, built with NumPy (21 bytes each)."""
    n = len(x)
    raw = np.empty((n, 21), dtype=np.uint8)
    raw[:, 0] = 1  # little endian
    raw[:, 1:5] = np.frombuffer(np.uint32(1).astype("<u4").tobytes(), dtype=np.uint8)  # Point
    raw[:, 5:13] = np.ascontiguousarray(x, dtype="<f8").view(np.uint8).reshape(n, 8)
    raw[:, 13:21] = np.ascontiguousarray(y, dtype="<f8").view(np.uint8).reshape(n, 8)
    offsets = np.arange(0, 21 * n + 1, 21, dtype=np.int32)
    return pa.Array.from_buffers(pa.binary(), n, [None, pa.py_buffer(offsets), pa.py_buffer(raw)])
