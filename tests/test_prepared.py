from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from geo.analytics.prepared import default_period, period_slice, prepare_events
from geo.types import Period
from tests.builders import random_events
from tests.reference import period_mask


@pytest.mark.parametrize(
    "period",
    [
        Period(dt.date(2024, 1, 1), dt.date(2024, 12, 31)),
        Period(None, dt.date(2023, 3, 5)),
        Period(dt.date(2024, 2, 29), None),
        Period(dt.date(2023, 7, 1), dt.date(2023, 7, 1)),
        Period(dt.date(2030, 1, 1), None),
        None,
    ],
)
def test_period_slice_selects_what_period_mask_selects(period):
    events = random_events(2_000, seed=5)
    events.loc[events.index[::97], "event_date"] = pd.NaT  # some undated events
    arrays = prepare_events(events)
    part = period_slice(arrays, period)
    expected = (
        np.ones(len(events), bool) if period is None else period_mask(events["event_date"], period)
    )
    got = np.zeros(len(events), bool)
    got[arrays.order[part]] = True
    assert (got == expected).all()


def test_arrays_follow_the_date_order_and_keep_the_rows():
    events = random_events(500, seed=6)
    arrays = prepare_events(events)
    assert (np.diff(arrays.dates.astype("int64")) >= 0).all()
    assert (arrays.fatalities == events["fatalities"].to_numpy()[arrays.order]).all()
    assert (arrays.lon == events.geometry.x.to_numpy()[arrays.order]).all()
    assert arrays.latest == events["event_date"].max().date()


def test_default_period_ends_on_the_latest_event():
    assert str(default_period(dt.date(2024, 2, 29))) == "2023-03-01/2024-02-29"
    assert default_period(None) is None
