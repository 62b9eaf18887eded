"""Province imports one country at a time keep the other countries; codes unique per country."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
from shapely.geometry import box

from cli.main import main

# Boxes well inside each country on the Natural Earth 1:10m boundaries (checked by eye on a map:
# Kasai, Tombouctou, Centre, Agadez regions).
BOXES = {"COD": (23, -3, 24, -2), "MLI": (-4, 16, -3, 17), "BFA": (-2, 12, -1, 13), "NER": (8, 15, 9, 16)}


def ne_file(tmp_path: Path, iso3: str, names: list[str], codes: list[str], adm1_codes: list[str] | None = None) -> Path:
    """A Natural Earth admin-1 style file: ``names`` as strips of the country's box."""
    minx, miny, maxx, maxy = BOXES[iso3]
    step = (maxx - minx) / len(names)
    columns = {"adm0_a3": [iso3] * len(names), "name": names, "iso_3166_2": codes}
    if adm1_codes is not None:
        columns["adm1_code"] = adm1_codes
    frame = gpd.GeoDataFrame(
        columns,
        geometry=[box(minx + i * step, miny, minx + (i + 1) * step, maxy) for i in range(len(names))],
        crs="EPSG:4326",
    )
    path = tmp_path / f"ne-{iso3}-{len(names)}.geojson"
    frame.to_file(path, driver="GeoJSON", engine="pyogrio")
    return path


def _provinces(home: Path) -> gpd.GeoDataFrame:
    from geo.storage.store import read_layer_file  # the layer in its own order (the file's is spatial)

    return read_layer_file(home / "layers" / "provinces.parquet")


def test_importing_country_by_country_keeps_every_country(runner, home, tmp_path):
    files = [
        ne_file(tmp_path, "COD", ["Ituri", "Nord-Kivu"], ["CD-IT", "CD-NK"]),
        ne_file(tmp_path, "MLI", ["Tombouctou"], ["ML-6"]),
        ne_file(tmp_path, "BFA", ["Centre"], ["BF-03"]),
        ne_file(tmp_path, "NER", ["Agadez", "Tahoua"], ["NE-1", "NE-5"]),
    ]
    outputs = []
    for path in files:
        result = runner.invoke(main, ["boundaries", "import", str(path)])
        assert result.exit_code == 0, result.output
        outputs.append(result.output)
    assert "COD: 0 → 2 provinces" in outputs[0]
    assert "MLI: 0 → 1 provinces" in outputs[1] and "COD" not in outputs[1]
    assert "provinces layer: 6 provinces in 4 countries" in outputs[3]
    assert _provinces(home)["iso3"].value_counts().to_dict() == {"COD": 2, "NER": 2, "MLI": 1, "BFA": 1}
    # a new COD file replaces COD's provinces only: 2 → 3, the 4 others stay
    result = runner.invoke(main, ["boundaries", "import", str(
        ne_file(tmp_path, "COD", ["Ituri", "Nord-Kivu", "Sud-Kivu"], ["CD-IT", "CD-NK", "CD-SK"])
    )])
    assert "COD: 2 → 3 provinces" in result.output
    assert "provinces layer: 7 provinces in 4 countries" in result.output
    assert sorted(_provinces(home).query("iso3 == 'COD'")["name"]) == ["Ituri", "Nord-Kivu", "Sud-Kivu"]
    # --replace-all swaps the whole layer and says what went
    result = runner.invoke(main, ["boundaries", "import", str(files[2]), "--replace-all"])
    assert result.exit_code == 0, result.output
    for line in ("BFA: 1 → 1", "COD: 3 → 0", "MLI: 1 → 0", "NER: 2 → 0"):
        assert line in result.output
    assert _provinces(home)["iso3"].tolist() == ["BFA"]


def test_repeated_codes_fall_back_to_a_unique_field_with_a_warning(runner, home, tmp_path):
    # NE's old DRC layer: every province coded "CD-"; adm1_code is unique
    names = ["Bas-Uele", "Haut-Uele", "Ituri"]
    path = ne_file(tmp_path, "COD", names, ["CD-"] * 3, ["COD-2000", "COD-2001", "COD-2002"])
    result = runner.invoke(main, ["boundaries", "import", str(path)])
    assert result.exit_code == 0, result.output
    assert "warning: COD: code field iso_3166_2 repeats 'CD-' × 3; using adm1_code instead" in result.output
    assert _provinces(home)["code"].tolist() == ["COD-2000", "COD-2001", "COD-2002"]
    # no other code field: generated ids in file order; COD's provinces stay
    path = ne_file(tmp_path, "NER", ["Agadez", "Tahoua"], ["NE-", "NE-"])
    result = runner.invoke(main, ["boundaries", "import", str(path)])
    assert "using generated ids NER-001" in result.output
    provinces = _provinces(home)
    assert provinces.query("iso3 == 'NER'")["code"].tolist() == ["NER-001", "NER-002"]
    assert provinces.query("iso3 == 'COD'")["code"].tolist() == ["COD-2000", "COD-2001", "COD-2002"]
    assert not provinces.duplicated(["iso3", "code"]).any()


def test_repeated_or_empty_codes_without_another_field_get_generated_ids(runner, home, tmp_path):
    path = ne_file(tmp_path, "COD", ["Bas-Uele", "Haut-Uele"], ["CD-", "CD-"])
    runner.invoke(main, ["boundaries", "import", str(path)])
    for iso3, names in (("MLI", ["Tombouctou"]), ("BFA", ["Centre"])):
        runner.invoke(main, ["boundaries", "import", str(ne_file(tmp_path, iso3, names, [""]))])
    provinces = _provinces(home)
    assert provinces["code"].tolist() == ["COD-001", "COD-002", "MLI-001", "BFA-001"]
