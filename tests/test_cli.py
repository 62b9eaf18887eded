from __future__ import annotations

import geopandas as gpd

from cli.main import main


def test_layers_lists_row_counts_on_a_fresh_workspace(runner, home):
    result = runner.invoke(main, ["layers"])
    assert result.exit_code == 0, result.output
    line = next(line for line in result.output.splitlines() if line.startswith("countries "))
    assert int(line.split()[1]) >= 250
    assert (home / "manifest.json").exists()


def test_unknown_layer_is_one_line_and_exit_2(runner, tmp_path):
    result = runner.invoke(main, ["export", "nope", "-o", str(tmp_path / "x.gpkg")])
    assert result.exit_code == 2
    assert "unknown layer 'nope'" in result.output
    assert "Traceback" not in result.output


def test_export_countries_as_geopackage(runner, tmp_path):
    out = tmp_path / "countries.gpkg"
    result = runner.invoke(main, ["export", "countries", "-o", str(out)])
    assert result.exit_code == 0, result.output
    back = gpd.read_file(out)
    assert len(back) >= 250
    assert "COD" in set(back.iso3)


def test_import_provinces_keeps_the_drc_and_rejects_the_stray(runner, home, province_file):
    result = runner.invoke(main, ["boundaries", "import", str(province_file), "--level", "1"])
    assert result.exit_code == 1
    assert "2 provinces imported, 1 rejected" in result.output
    provinces = gpd.read_parquet(home / "layers" / "provinces.parquet")
    assert sorted(provinces.name) == ["Ituri", "Nord-Kivu"]
    assert set(provinces.iso3) == {"COD"}
    rejects = (home / "rejects" / "geoBoundaries-COD-ADM1.provinces.rejects.csv").read_text()
    assert "Atlantis" in rejects and "inside COD" in rejects
