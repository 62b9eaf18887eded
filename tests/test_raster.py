from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import orjson
import pytest
import rasterio
from matplotlib.image import imread

from cli.main import main
from geo.analytics.overlay import mercator_overlay
from geo.analytics.prepared import prepare_events
from geo.analytics.raster import density_grid, snap_bbox, write_cog, zonal_sums
from geo.analytics.summaries import SUMMARY_FILTERS, country_summary
from geo.boundaries.countries import load_countries
from geo.config import REPO_ROOT
from geo.errors import InvalidParameter
from geo.query import parse_query
from geo.storage.store import ParquetStore
from tests.builders import make_events

BOXES = {"MLI": (-4.5, 15.5, -1.5, 18.5), "NER": (6.0, 15.0, 11.0, 18.5)}
"""Areas well inside Mali and Niger (no 0.25° cell centre of them falls across a border)."""


@pytest.fixture(scope="module")
def countries() -> gpd.GeoDataFrame:
    return load_countries(REPO_ROOT / "data" / "boundaries")


def _events_in_boxes(counts: dict[str, int], seed: int = 0) -> gpd.GeoDataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for iso3, n in counts.items():
        minx, miny, maxx, maxy = BOXES[iso3]
        for _ in range(n):
            rows.append(
                {
                    "lon": rng.uniform(minx, maxx),
                    "lat": rng.uniform(miny, maxy),
                    "country_iso3": iso3,
                    "event_date": f"2024-{rng.integers(1, 13):02d}-10",
                    "fatalities": int(rng.integers(0, 4)),
                }
            )
    return make_events(rows)


def test_zonal_sums_per_country_equal_the_summary_counts(countries):
    events = _events_in_boxes({"MLI": 40, "NER": 25})
    inside = gpd.sjoin(events, countries[["iso3", "geometry"]], predicate="within")
    assert (inside["iso3"] == inside["country_iso3"]).all() and len(inside) == 65
    query = parse_query({"datetime": "2024"}, SUMMARY_FILTERS)
    summary = country_summary(events, countries, query).set_index("iso3")
    for value in ("events", "fatalities"):
        grid = density_grid(prepare_events(events), query, resolution=0.25, value=value)
        zonal = zonal_sums(grid, countries, "iso3")
        assert (
            zonal["MLI"] == summary.loc["MLI", value] and zonal["NER"] == summary.loc["NER", value]
        )
        assert zonal.sum() == grid.total == summary[value].sum()


def test_every_selected_event_lands_in_one_cell_including_the_edges():
    events = make_events(
        [
            {"lon": x, "lat": y, "event_date": "2024-01-01", "fatalities": 1}
            for x, y in [(0, 0), (10, 10), (10, 0), (0, 10), (5, 5), (20, 20)]
        ]
    )
    grid = density_grid(
        prepare_events(events), parse_query({"bbox": "0,0,10,10"}, []), resolution=1
    )
    assert grid.values.shape == (10, 10)
    assert grid.total == 5  # (20, 20) is outside the bbox
    assert grid.values[0, 9] == 1 and grid.values[9, 0] == 1  # north-east and south-west corners


def test_bbox_is_widened_to_whole_aligned_cells():
    assert snap_bbox((0.1, 0.1, 0.9, 0.2), 0.5) == (0.0, 0.0, 1.0, 0.5)


def test_cog_has_tags_for_period_filters_source_and_units(tmp_path):
    events = make_events(
        [
            {
                "lon": 1.2,
                "lat": 1.7,
                "event_date": "2024-03-01",
                "fatalities": 4,
                "event_type": "Battles",
            }
        ],
        dataset="synthetic-demo",
    )
    query = parse_query({"datetime": "2024", "event_type": "Battles"}, SUMMARY_FILTERS)
    grid = density_grid(prepare_events(events), query, resolution=0.5, value="fatalities")
    path = tmp_path / "density.tif"
    write_cog(grid, str(path))
    with rasterio.open(path) as dataset:
        tags = dataset.tags()
        data = dataset.read(1)
        assert dataset.crs.to_epsg() == 4326
        assert dataset.profile["tiled"] and dataset.profile["compress"] == "deflate"
        assert dataset.tags(ns="IMAGE_STRUCTURE").get("LAYOUT") == "COG"
        row, col = dataset.index(1.2, 1.7)
    assert data.sum() == 4 and data[row, col] == 4
    assert tags["period"] == "2024-01-01/2024-12-31"
    assert tags["filters"] == "event_type=Battles"
    assert "synthetic-demo" in tags["source"] and tags["note"] == "synthetic demo data"
    assert tags["units"] == "fatalities per cell of 0.5 x 0.5 degrees"
    assert [p.name for p in tmp_path.iterdir()] == ["density.tif"]


def test_png_rows_are_web_mercator_and_empty_cells_transparent(tmp_path):
    # One event at 60°N in a 0-70°N box: plate carrée would put it at row 10 of 70;
    # in Web Mercator rows it sits much lower in the image.
    events = make_events([{"lon": 5.5, "lat": 60.0, "event_date": "2024-01-01", "fatalities": 0}])
    arrays = prepare_events(events)
    query = parse_query({"bbox": "0,0,10,70"}, [])
    grid = density_grid(arrays, query, resolution=1)
    overlay = mercator_overlay(arrays, grid, query)
    path = tmp_path / "o.png"
    path.write_bytes(overlay.png)
    image = imread(path)
    assert image.shape[:2] == (overlay.height, overlay.width)
    assert overlay.bounds == ((0.0, 0.0), (70.0, 10.0))

    def merc(lat: float) -> float:
        return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))

    expected_row = int((merc(70) - merc(60)) / (merc(70) - merc(0)) * overlay.height)
    painted = np.argwhere(image[..., 3] > 0)
    assert painted.tolist() == [[expected_row, 5]]
    assert expected_row != 10
    assert image[..., 3].sum() == image[expected_row, 5, 3]  # everything else transparent


def test_bad_resolution_is_refused():
    events = make_events([{"lon": 0, "lat": 0, "event_date": "2024-01-01", "fatalities": 0}])
    with pytest.raises(InvalidParameter, match="resolution"):
        density_grid(
            prepare_events(events), parse_query({"bbox": "-180,-90,180,90"}, []), resolution=0.01
        )


def test_raster_command_writes_the_cog_png_and_bounds(runner, home, tmp_path):
    ParquetStore(home).write("conflict-events", _events_in_boxes({"MLI": 10, "NER": 5}), ["test"])
    tif, png = tmp_path / "d.tif", tmp_path / "d.png"
    result = runner.invoke(
        main,
        [
            "raster",
            "-o",
            str(tif),
            "--png",
            str(png),
            "--resolution",
            "0.5",
            "--datetime",
            "2024",
            "--bbox",
            "-5,10,12,20",
        ],
    )
    assert result.exit_code == 0, result.output
    with rasterio.open(tif) as dataset:
        assert dataset.read(1).sum() == 15
        assert dataset.bounds == (-5.0, 10.0, 12.0, 20.0)
    meta = orjson.loads((tmp_path / "d.png.json").read_bytes())
    assert meta["bounds"] == [[10.0, -5.0], [20.0, 12.0]]
    assert imread(png)[..., 3].max() > 0
    bad = runner.invoke(main, ["raster", "-o", str(tif), "--value", "events", "--bbox", "1,2,3"])
    assert bad.exit_code == 2 and "invalid bbox" in bad.output


def test_repeated_raster_requests_hit_the_cache(tmp_path):
    from geo.analytics.overlay import overlay_for
    from geo.analytics.raster import density_for
    from geo.cache import RESULTS

    store = ParquetStore(tmp_path)
    store.write("conflict-events", _events_in_boxes({"MLI": 5}), ["test"])
    RESULTS.clear()
    params = {"datetime": "2024", "resolution": "1"}
    first = density_for(store, params)
    assert density_for(store, dict(params)) is first
    overlay_for(store, params)
    overlay_for(store, params)
    assert (RESULTS.stats.misses, RESULTS.stats.hits) == (2, 3)  # overlay reuses the grid
    assert density_for(store, {"datetime": "2024", "resolution": "2"}) is not first
