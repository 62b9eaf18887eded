"""Named views and country views: extents, aspect ratio, projection."""

from __future__ import annotations

import pytest
from pyproj import Transformer

from geo.boundaries.countries import load_countries
from geo.config import Settings
from geo.errors import InvalidParameter
from geo.render.views import VIEWS, country_view, lonlat_window, map_extent, named_view


@pytest.fixture(scope="module")
def countries():
    return load_countries(Settings().boundaries_dir, "countries_z2")


def test_country_view_frames_the_whole_country(countries):
    view = country_view("cod", countries)
    minx, miny, maxx, maxy = view.bbox
    for lon, lat in ((15.3, -4.3), (29.2, -1.7), (27.5, -11.7)):  # Kinshasa, Goma, Lubumbashi
        assert minx < lon < maxx and miny < lat < maxy
    assert maxx - minx < 25  # not the whole continent
    assert view.title("fr") == "République démocratique du Congo"


def test_country_view_of_an_unknown_code_names_it(countries):
    with pytest.raises(InvalidParameter, match="iso3='XXX'"):
        country_view("XXX", countries)


def test_unknown_view_lists_the_choices():
    with pytest.raises(InvalidParameter, match="great-lakes"):
        named_view("atlantis")


@pytest.mark.parametrize("name", sorted(VIEWS))
def test_extent_has_the_map_aspect_and_covers_the_view(name):
    view = VIEWS[name]
    assert "Lambert Azimuthal Equal Area" in view.crs.coordinate_operation.method_name
    xmin, ymin, xmax, ymax = map_extent(view, 1.6)
    assert (xmax - xmin) / (ymax - ymin) == pytest.approx(1.6)
    to_map = Transformer.from_crs("EPSG:4326", view.crs, always_xy=True)
    for lon, lat in ((view.bbox[0], view.centre[1]), (view.bbox[2], view.centre[1]), view.centre):
        x, y = to_map.transform(lon, lat)
        assert xmin <= x <= xmax and ymin <= y <= ymax
    window = lonlat_window(view, (xmin, ymin, xmax, ymax))
    assert window[0] <= view.bbox[0] and window[2] >= view.bbox[2]
