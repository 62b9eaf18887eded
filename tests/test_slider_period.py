"""The map's period slider stands on the URL's period, whatever form ``datetime`` takes."""

from __future__ import annotations

import pytest

from geo.errors import InvalidParameter
from geo.i18n import strings
from webmap.mapbuild import slider_period

MONTHS = [f"2023-{m:02d}" for m in range(1, 13)] + [f"2024-{m:02d}" for m in range(1, 13)]
"""The months with events: 2023-01 to 2024-12."""


@pytest.mark.parametrize(
    ("datetime", "start", "end"),
    [
        ("", "2023-01", "2024-12"),
        ("2024", "2024-01", "2024-12"),
        ("2024-02", "2024-02", "2024-02"),
        ("2024-02-01/2024-04-30", "2024-02", "2024-04"),  # whole months given as days
        ("2023-05/2024-02", "2023-05", "2024-02"),
        ("../2023-06", "2023-01", "2023-06"),
        ("2024-07/..", "2024-07", "2024-12"),
        ("2023-01-01T00:00:00Z/2023-12-31T23:59:59Z", "2023-01", "2023-12"),
    ],
)
def test_every_form_of_datetime_sets_the_slider(datetime, start, end):
    shown = slider_period(datetime, MONTHS, strings("en"))
    assert (shown.start, shown.end, shown.note) == (start, end, None)


def test_days_are_said_in_words():
    shown = slider_period("2024-03-05/2024-04-10", MONTHS, strings("en"))
    assert (shown.start, shown.end) == ("2024-03", "2024-04")
    assert shown.note == "Period shown: 2024-03-05 – 2024-04-10 (to the day; the slider moves by whole months)"


def test_a_period_beyond_the_months_with_events_is_clamped_and_said():
    shown = slider_period("2030", MONTHS, strings("fr"))
    # 2030 lies after the last month: both ends stand on 2024-12
    assert (shown.start, shown.end) == ("2024-12", "2024-12")
    assert shown.note.startswith("Période affichée : 2030-01-01 – 2030-12-31, au-delà des mois")
    assert "(2023-01 – 2024-12)" in shown.note
    shown = slider_period("2022-11/2023-03", MONTHS, strings("en"))
    assert (shown.start, shown.end) == ("2023-01", "2023-03")
    assert "2022-11-01 – 2023-03-31, beyond the months with events" in shown.note


def test_no_months_no_slider_and_bad_periods_are_refused():
    assert slider_period("2024", [], strings("en")).start == ""
    with pytest.raises(InvalidParameter):
        slider_period("2024/2023", MONTHS, strings("en"))
