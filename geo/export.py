"""Writing layers to the download formats: GeoJSON, GeoPackage, CSV, GeoParquet, FlatGeobuf."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd

from geo.errors import InvalidParameter
from geo.io import atomic_path

FORMATS = {"geojson": ".geojson", "gpkg": ".gpkg", "csv": ".csv", "parquet": ".parquet", "fgb": ".fgb"}
DRIVERS = {"geojson": "GeoJSON", "gpkg": "GPKG", "fgb": "FlatGeobuf"}


def format_of(path: Path) -> str:
    """The export format named by a file suffix."""
    suffix = Path(path).suffix.lower()
    for name, ext in FORMATS.items():
        if suffix == ext:
            return name
    raise InvalidParameter("output", str(path), f"unknown suffix; use one of {sorted(FORMATS.values())}")


def write_frame(frame: gpd.GeoDataFrame, path: Path, layer_name: str, metadata: dict[str, str]) -> None:
    """Write ``frame`` to ``path`` (format from the suffix) atomically, with ``metadata``.

    CSV carries ``longitude``/``latitude`` for points and ``wkt`` for other geometries.
    """
    fmt = format_of(path)
    with atomic_path(path) as tmp:
        if fmt == "parquet":
            frame.to_parquet(tmp, compression="zstd", index=False)
        elif fmt == "csv":
            _csv_frame(frame).to_csv(tmp, index=False)
        else:
            tmp.unlink()
            kwargs = {"layer": layer_name} if fmt == "gpkg" else {}
            frame.to_file(tmp, driver=DRIVERS[fmt], engine="pyogrio", metadata=metadata if fmt == "gpkg" else None,
                          **kwargs)


def _csv_frame(frame: gpd.GeoDataFrame):  # noqa: ANN202
    table = frame.drop(columns=frame.geometry.name).copy()
    if len(frame) and (frame.geom_type == "Point").all():
        table["longitude"] = frame.geometry.x
        table["latitude"] = frame.geometry.y
    else:
        table["wkt"] = frame.geometry.to_wkt()
    return table
