"""The density overlay's work is bounded by its output: pixels, cells and cached bytes.

Before, a world view at zoom 7 (0.05°) built a 7200 x 7176 float64 RGBA image (about 11 s and
4 GB) and cached a 7200 x 3400 grid (98 MB) per distinct request.
"""

from __future__ import annotations

import io
import math
import tracemalloc

import pytest
from PIL import Image

from geo.analytics.overlay import MAX_OVERLAY_PIXELS, overlay_for
from geo.analytics.prepared import prepare_events
from geo.analytics.raster import MAX_CELLS, density_grid
from geo.cache import RESULTS
from geo.errors import InvalidParameter
from geo.query import parse_query
from geo.storage.store import ParquetStore
from tests.builders import make_events

WORLD = "-180,-85,180,85"


def _merc(lat: float) -> float:
    return math.log(math.tan(math.pi / 4 + math.radians(lat) / 2))


def _png_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def test_the_bounds_are_the_documented_ones():
    assert MAX_OVERLAY_PIXELS == 2048 * 2048 == 4_194_304
    assert MAX_CELLS == 4096 * 4096 == 16_777_216


def test_a_world_view_at_zoom_7_is_coarsened_to_the_pixel_bound(client):
    # Zoom 7 asks for 0.05°. Over 360° x 170° (Mercator rows: columns x 2*merc(85)/(2*pi) = x 0.9968):
    #   0.05° -> 7200 x 7177 = 51.7 M pixels, 0.1° -> 3600 x 3589 = 12.9 M: both above 4,194,304;
    #   0.2°  -> 1800 x 1794 = 3.23 M pixels (grid 1800 x 850): the first that fits.
    response = client.get(f"/map-data/density?bbox={WORLD}&zoom=7")
    assert response.status_code == 200
    meta = response.json
    assert meta["requested_resolution"] == 0.05 and meta["resolution"] == 0.2
    assert response.headers["X-Coopmap-Resolution"] == "0.2"
    assert "resolution=0.2" in meta["url"]
    png = client.get(meta["url"])
    assert png.status_code == 200 and png.headers["X-Coopmap-Resolution"] == "0.2"
    width, height = _png_size(png.data)
    assert width == 1800 and height == round(1800 * 2 * _merc(85) / (2 * math.pi))
    assert width * height <= MAX_OVERLAY_PIXELS


def test_a_direct_png_at_a_fine_resolution_is_coarsened_and_says_so(client):
    # 0.051° -> 7059 columns; x2 = 0.102° -> 3529 x ~3518 = 12.4 M pixels, still above the bound;
    # x4 = 0.204° -> 1765 columns x ~1759 rows = 3.1 M pixels.
    response = client.get(f"/map-data/density.png?bbox={WORLD}&resolution=0.051")
    assert response.status_code == 200 and response.mimetype == "image/png"
    assert response.headers["X-Coopmap-Resolution"] == "0.204"
    width, height = _png_size(response.data)
    assert width == 1765 and width * height <= MAX_OVERLAY_PIXELS


def test_a_small_view_keeps_the_resolution_asked(client):
    # 10° x 10° at 0.05°: 200 x ~201 pixels, far below the bound: nothing is coarsened.
    response = client.get("/map-data/density.png?bbox=0,0,10,10&resolution=0.05")
    assert response.headers["X-Coopmap-Resolution"] == "0.05"
    assert _png_size(response.data)[0] == 200


def test_a_world_overlay_stays_within_a_small_memory_budget(tmp_path):
    # At the bound, the work holds a uint32 count per pixel and per grid cell and a uint8 RGBA
    # pixel: 4 + 4 + 4 bytes x 4.2 M = 50 MB at most; before, 51.7 M float64 RGBA pixels = 1.6 GB.
    store = ParquetStore(tmp_path)
    store.write(
        "conflict-events",
        make_events([{"lon": 10.0, "lat": 10.0, "event_date": "2024-03-01", "fatalities": 2}]),
        ["test"],
    )
    RESULTS.clear()
    tracemalloc.start()
    try:
        overlay = overlay_for(store, {"bbox": WORLD, "resolution": "0.05", "datetime": "2024"})
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
        RESULTS.clear()
    assert overlay.width * overlay.height <= MAX_OVERLAY_PIXELS
    assert overlay.maximum == 1
    assert peak < 64 * 2**20, f"peak {peak / 2**20:.0f} MB"


def test_distinct_requests_keep_the_cache_under_its_byte_budget(client, monkeypatch):
    # Eight world overlays with distinct bboxes: each caches a 1800 x ~850 uint32 grid (about
    # 6 MB) and its PNG; with a 16 MB budget, at most two grids stay.
    RESULTS.clear()
    monkeypatch.setattr(RESULTS, "max_bytes", 16 * 2**20)
    try:
        for i in range(8):
            response = client.get(f"/map-data/density.png?bbox=-180,-85,{179 - i},85&resolution=0.05")
            assert response.status_code == 200
            assert RESULTS.total_bytes <= 16 * 2**20
        assert len(RESULTS) < 16  # 8 grids + 8 overlays were computed; the oldest went
    finally:
        RESULTS.clear()


def test_a_grid_finer_than_the_cell_bound_is_refused_naming_the_resolution():
    # The world at 0.05° is 7200 x 3400 = 24.48 M cells (accepted before, 98 MB); the bound is 16.8 M.
    arrays = prepare_events(make_events([{"lon": 0, "lat": 0, "event_date": "2024-01-01", "fatalities": 0}]))
    with pytest.raises(InvalidParameter, match="resolution") as caught:
        density_grid(arrays, parse_query({"bbox": WORLD}, []), resolution=0.05)
    assert "7200 x 3400 cells" in str(caught.value)


def test_too_fine_a_resolution_over_http_is_a_400_naming_it(client):
    response = client.get(f"/map-data/density.png?bbox={WORLD}&resolution=0")
    assert response.status_code == 400
    assert "resolution" in response.get_data(as_text=True)
