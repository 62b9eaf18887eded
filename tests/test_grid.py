"""Server-side aggregation of events for the map: points when sparse, grid cells when dense."""

from __future__ import annotations

import pytest

from geo.analytics.grid import cell_size_for_zoom, grid_view
from geo.analytics.timeseries import month_range, monthly_by_type
from geo.errors import InvalidParameter
from tests.builders import make_events, random_events


def test_sparse_view_returns_precise_points_and_counts_imprecise_ones_in_cells():
    events = make_events(
        [
            {"lon": 29.2, "lat": -1.6, "precision": 1, "event_date": "2024-03-01", "fatalities": 2},
            {"lon": 29.3, "lat": -1.7, "precision": 2, "event_date": "2024-03-02", "fatalities": 0},
            {
                "lon": 29.25,
                "lat": -1.65,
                "precision": 3,
                "event_date": "2024-03-03",
                "fatalities": 5,
            },
            {
                "lon": 10.0,
                "lat": 10.0,
                "precision": 1,
                "event_date": "2024-03-04",
                "fatalities": 0,
            },  # outside the view
        ]
    )
    view = grid_view(events, (28.0, -3.0, 31.0, 0.0), zoom=6)
    assert view.mode == "points"
    assert sorted(view.points["event_id"]) == ["T0", "T1"]
    assert view.total == 3
    assert len(view.cells) == 1 and int(view.cells["events"].iloc[0]) == 1
    assert int(view.cells["fatalities"].iloc[0]) == 5
    cell = view.cells.iloc[0]
    assert cell.minx <= 29.25 <= cell.maxx and cell.miny <= -1.65 <= cell.maxy


def test_dense_view_switches_to_cells_that_add_up_to_the_total():
    events = random_events(5000, seed=3, bbox=(10.0, -10.0, 30.0, 5.0))
    view = grid_view(events, (10.0, -10.0, 30.0, 5.0), zoom=5, max_points=1000)
    assert view.mode == "grid"
    assert view.points.empty
    assert int(view.cells["events"].sum()) == view.total == 5000
    assert view.synthetic == 5000
    # cells sit on a global grid: edges are multiples of the cell size
    size = cell_size_for_zoom(5)
    assert ((view.cells["minx"] / size).round(6) % 1 == 0).all()
    assert set(view.cells["top_type"]) <= {
        "Battles",
        "Violence against civilians",
        "Explosions/Remote violence",
        "Protests",
    }


def test_cell_count_is_bounded_by_the_view_not_the_data():
    events = random_events(50_000, seed=4, bbox=(-18.0, -12.0, 45.0, 25.0))
    view = grid_view(events, (-18.0, -12.0, 45.0, 25.0), zoom=4)
    width_cells = (63 / cell_size_for_zoom(4)) + 2
    height_cells = (37 / cell_size_for_zoom(4)) + 2
    assert len(view.cells) <= width_cells * height_cells


def test_bad_zoom_names_the_parameter():
    with pytest.raises(InvalidParameter, match="zoom"):
        cell_size_for_zoom(40)


def test_monthly_counts_fill_gaps_with_zero():
    events = make_events(
        [
            {
                "lon": 0,
                "lat": 0,
                "event_date": "2024-01-10",
                "fatalities": 3,
                "event_type": "Battles",
            },
            {
                "lon": 0,
                "lat": 0,
                "event_date": "2024-03-10",
                "event_type": "Protests",
                "fatalities": 0,
            },
        ]
    )
    counts, deaths = monthly_by_type(events)
    assert [str(m) for m in counts.index] == ["2024-01", "2024-02", "2024-03"]
    assert counts.loc["2024-02"].sum() == 0
    assert deaths.loc["2024-01", "Battles"] == 3
    assert month_range(events) == ["2024-01", "2024-02", "2024-03"]


def test_an_oversized_bbox_gets_coarser_cells_not_more_of_them():
    events = random_events(20_000, seed=5, bbox=(-18.0, -12.0, 45.0, 25.0))
    view = grid_view(events, (-180.0, -85.0, 180.0, 85.0), zoom=12)
    assert view.cell_size > cell_size_for_zoom(12)
    assert len(view.cells) <= 4096
    assert int(view.cells["events"].sum()) == 20_000
