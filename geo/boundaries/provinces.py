"""Importing admin-1 (province) boundaries from the files analysts already hold.

Recognised field layouts (auto-detected, each overridable):

=================  ===============  ======================  ==================
layout             country field    name field              code field
=================  ===============  ======================  ==================
geoBoundaries      shapeGroup       shapeName               shapeISO / shapeID
GADM               GID_0            NAME_1                  GID_1
Natural Earth      adm0_a3          name                    iso_3166_2
OCHA COD-AB        ADM0_PCODE       ADM1_FR / ADM1_EN       ADM1_PCODE
=================  ===============  ======================  ==================
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import geopandas as gpd
import pandas as pd
import shapely

from geo.boundaries.codes import to_iso3
from geo.errors import InputFileError
from geo.storage.io import read_vector
from geo.storage.rejects import Reject

COUNTRY_CANDIDATES = ("shapeGroup", "GID_0", "adm0_a3", "ADM0_A3", "ADM0_PCODE", "iso3", "ISO3", "ISO")
NAME_CANDIDATES = ("shapeName", "NAME_1", "ADM1_FR", "ADM1_EN", "ADM1_NAME", "name", "NAME", "province")
CODE_CANDIDATES = ("shapeISO", "GID_1", "iso_3166_2", "ADM1_PCODE", "adm1_code", "shapeID", "code", "CODE")

INSIDE_SHARE = 0.9
"""A province must have at least this share of its area inside its country's polygon (1:10m)."""


@dataclass
class ProvinceImport:
    """The result of an import: the accepted provinces and the rejected features."""

    provinces: gpd.GeoDataFrame
    rejects: list[Reject] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Repeated codes and the field (or generated id) used instead, one line per country."""


def import_provinces(
    path: Path,
    countries: gpd.GeoDataFrame,
    *,
    country_field: str | None = None,
    name_field: str | None = None,
    code_field: str | None = None,
    iso3: str | None = None,
) -> ProvinceImport:
    """Read an admin-1 file and map it to ``iso3``, ``name``, ``code``; validate each feature.

    Parameters
    ----------
    path : GeoJSON, GeoPackage, Shapefile (or zipped) or GeoParquet file
    countries : the admin-0 boundaries, for the inside-its-country check
    country_field, name_field, code_field : override the auto-detected field names
    iso3 : the country of every feature, for files without a country field

    Returns
    -------
    ProvinceImport with a GeoDataFrame of iso3, name, code, source_file, geometry; ``code`` is
    unique within each country: when the code field repeats a value within a country (Natural
    Earth's old DRC layer gives all 11 provinces "CD-"), another code field unique there is used,
    else ``ISO3-001``, ``ISO3-002``… in file order, with a warning

    Examples
    --------
    >>> result = import_provinces(Path("geoBoundaries-COD-ADM1.geojson"), countries)  # doctest: +SKIP
    >>> result.provinces.loc[result.provinces.name == "Ituri", "iso3"].item()  # doctest: +SKIP
    'COD'
    """
    raw = read_vector(path)
    fields = _detect_fields(raw, path, country_field, name_field, code_field, iso3)
    mapped = _map_fields(raw, fields, iso3, Path(path).name)
    mapped["code"], warnings = _unique_codes(raw, mapped, fields["code"])
    accepted, rejects = _validate(mapped, countries)
    return ProvinceImport(accepted, rejects, fields, warnings)


def merge_provinces(
    stored: gpd.GeoDataFrame | None, imported: gpd.GeoDataFrame, *, replace_all: bool = False
) -> tuple[gpd.GeoDataFrame, dict[str, tuple[int, int]]]:
    """The provinces layer after an import: the stored provinces of the countries the file does
    not cover, then the imported ones (all stored ones go with ``replace_all``).

    Parameters
    ----------
    stored : the current ``provinces`` layer (None when there is none)
    imported : ``ProvinceImport.provinces``
    replace_all : drop every stored province, not only those of the file's countries

    Returns
    -------
    ``(provinces, changes)``: ``changes`` maps each country whose provinces were replaced or
    removed to ``(old count, new count)``.

    Examples
    --------
    >>> merged, changes = merge_provinces(store.read("provinces"), result.provinces)  # doctest: +SKIP
    >>> changes  # doctest: +SKIP
    {'MLI': (0, 10)}
    """
    new = imported["iso3"].value_counts()
    old = stored["iso3"].value_counts() if stored is not None else pd.Series(dtype="int64")
    affected = sorted(set(new.index) | (set(old.index) if replace_all else set()))
    changes = {iso: (int(old.get(iso, 0)), int(new.get(iso, 0))) for iso in affected}
    if stored is None or replace_all or not len(stored):
        return imported.reset_index(drop=True), changes
    kept = stored[~stored["iso3"].isin(list(new.index))]
    merged = pd.concat([kept, imported.to_crs(stored.crs)], ignore_index=True)
    return gpd.GeoDataFrame(merged, geometry="geometry", crs=stored.crs), changes


def _detect_fields(
    raw: gpd.GeoDataFrame, path: Path, country: str | None, name: str | None, code: str | None,
    iso3: str | None,
) -> dict[str, str]:
    columns = list(raw.columns)

    def pick(kind: str, given: str | None, candidates: tuple[str, ...], required: bool) -> str:
        if given is not None:
            if given not in columns:
                raise InputFileError(path, f"--{kind}-field {given!r} is not a field; fields are {columns}")
            return given
        for candidate in candidates:
            if candidate in columns:
                return candidate
        if required:
            raise InputFileError(path, f"no {kind} field found among {columns}; pass --{kind}-field")
        return ""

    return {
        "country": pick("country", country, COUNTRY_CANDIDATES, required=iso3 is None),
        "name": pick("name", name, NAME_CANDIDATES, required=True),
        "code": pick("code", code, CODE_CANDIDATES, required=False),
    }


def _map_fields(raw: gpd.GeoDataFrame, fields: dict[str, str], iso3: str | None, source: str) -> gpd.GeoDataFrame:
    if fields["country"]:
        codes = raw[fields["country"]].astype("string").fillna("").map(lambda v: to_iso3(v) or "")
    else:
        codes = pd.Series([iso3.upper() if iso3 else ""] * len(raw), index=raw.index)
    names = raw[fields["name"]].astype("string").fillna("").str.strip()
    if fields["code"]:
        code = raw[fields["code"]].astype("string").fillna("")
    else:
        code = codes + "-" + names
    return gpd.GeoDataFrame(
        {"iso3": codes, "name": names, "code": code, "source_file": source, "feature": range(1, len(raw) + 1),
         "original": raw.drop(columns="geometry").astype("string").to_dict("records")},
        geometry=raw.geometry.values,
        crs=raw.crs,
    )


def _unique_codes(raw: gpd.GeoDataFrame, mapped: gpd.GeoDataFrame, used: str) -> tuple[pd.Series, list[str]]:
    """``mapped.code`` made unique within each country (see ``import_provinces``) and warnings."""
    code = mapped["code"].astype("string").fillna("").str.strip()
    iso3 = mapped["iso3"].astype("string").fillna("")
    warnings = []
    for country in sorted(set(iso3)):
        rows = (iso3 == country).to_numpy()
        mine = code[rows]
        if mine.is_unique and (mine != "").all():
            continue
        repeated = mine[mine.duplicated(keep=False) | (mine == "")].value_counts()
        what = ", ".join(f"{v!r} × {n}" for v, n in repeated.items())
        label = country or "(no country)"
        for other in (c for c in CODE_CANDIDATES if c in raw.columns and c != used):
            values = raw.loc[rows, other].astype("string").fillna("").str.strip()
            if values.is_unique and (values != "").all():
                code[rows] = values.to_numpy()
                warnings.append(f"{label}: code field {used or '(none)'} repeats {what}; using {other} instead")
                break
        else:
            code[rows] = [f"{country or 'XXX'}-{i:03d}" for i in range(1, int(rows.sum()) + 1)]
            warnings.append(
                f"{label}: code field {used or '(none)'} repeats {what}; no other unique code field, "
                f"using generated ids {country or 'XXX'}-001…"
            )
    return code.astype(object), warnings


def _validate(mapped: gpd.GeoDataFrame, countries: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, list[Reject]]:
    rejects: list[Reject] = []
    by_iso = countries.set_index("iso3").geometry
    keep = []
    for row in mapped.itertuples():
        reason = _problem(row, by_iso)
        if reason:
            rejects.append(Reject(row.feature, reason, dict(row.original)))
        else:
            keep.append(row.Index)
    accepted = mapped.loc[keep].drop(columns=["feature", "original"])
    accepted["geometry"] = shapely.make_valid(accepted.geometry.values)
    return accepted.reset_index(drop=True), rejects


def _problem(row: object, by_iso: pd.Series) -> str:
    geom = row.geometry  # type: ignore[attr-defined]
    iso3, name = row.iso3, row.name  # type: ignore[attr-defined]
    if geom is None or geom.is_empty:
        return "empty geometry"
    if geom.geom_type not in ("Polygon", "MultiPolygon"):
        return f"geometry is {geom.geom_type}, not a polygon"
    if not name:
        return "no province name"
    if not iso3:
        return "country code not recognised as ISO 3166-1"
    if iso3 not in by_iso.index:
        return f"country {iso3} is not in the boundaries"
    geom = shapely.make_valid(geom)
    share = geom.intersection(by_iso[iso3]).area / geom.area if geom.area else 0.0
    if share < INSIDE_SHARE:
        return f"only {share:.0%} of the province lies inside {iso3}"
    return ""
