"""One choropleth classification for the map and the snapshot: same colours, same labels."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from geo.render import furniture
from geo.render.choropleth import value_text
from geo.render.classes import NO_DATA, ZERO, classify
from geo.render.snapshot import render_snapshot
from geo.render.spec import parse_snapshot
from layers import CATALOGUE
from tests.builders import make_events

NNBSP = "\u202f"


@pytest.fixture
def store(app):
    """Ten events of 2024: six in the DRC, three in Uganda, one in Rwanda; 250 deaths each."""
    places = [(29.2, -1.6, "COD")] * 6 + [(32.5, 0.3, "UGA")] * 3 + [(30.0, -2.0, "RWA")]
    rows = [
        {"lon": lon, "lat": lat, "country_iso3": iso3, "event_date": "2024-05-01", "fatalities": 250}
        for lon, lat, iso3 in places
    ]
    store = app.extensions["coopmap.store"]
    store.write("conflict-events", make_events(rows), ["test"])
    return store


def _snapshot_legend(app, store, monkeypatch, params: dict[str, str]) -> list[tuple[str, str]]:
    """(label, colour) rows of the snapshot's choropleth legend block, as handed to the legend panel."""
    blocks = []
    draw_legend = furniture.draw_legend

    def spy(ax, legend, *args):
        blocks.extend(legend)
        return draw_legend(ax, legend, *args)

    monkeypatch.setattr(furniture, "draw_legend", spy)
    layers = CATALOGUE.map_layers()
    spec = parse_snapshot({**params, "width": "400", "height": "300"}, layers)
    render_snapshot(store, app.extensions["coopmap.settings"], spec, "svg", layers)
    choropleth = blocks[0]  # drawn first: the country-summary layer
    return [(entry.label, entry.fill) for entry in choropleth.entries]


@pytest.mark.parametrize(
    ("metric", "lang", "expected"),
    [
        # one class per distinct value (1, 3, 6 events), YlOrRd at 0.2, 0.6 and 1.0; contiguous
        # ranges: each class starts one above the last one's top (1 + 1 = 2, 3 + 1 = 4)
        ("events", "en", [("0", ZERO), ("1", "#fee187"), ("2 – 3", "#fc5b2e"), ("4 – 6", "#800026")]),
        # 250, 750 and 1,500 deaths (251 = 250 + 1, 751 = 750 + 1), French thousands separator
        (
            "fatalities",
            "fr",
            [("0", ZERO), ("250", "#fee187"), ("251 – 750", "#fc5b2e"), (f"751 – 1{NNBSP}500", "#800026")],
        ),
    ],
)
def test_map_and_snapshot_legends_are_the_same(app, client, store, monkeypatch, metric, lang, expected):
    params = {"metric": metric, "datetime": "2024", "lang": lang}
    data = client.get("/map-data/choropleth", query_string=params).json
    on_map = [(c["label"], c["color"]) for c in data["legend"]["classes"]]
    assert on_map == expected
    assert _snapshot_legend(app, store, monkeypatch, params) == expected
    by_iso = {f["properties"]["iso3"]: f["properties"]["color"] for f in data["features"]}
    assert (by_iso["COD"], by_iso["UGA"], by_iso["RWA"], by_iso["NER"]) == (
        "#800026",
        "#fc5b2e",
        "#fee187",
        ZERO,
    )


def test_counts_have_a_zero_class_and_a_hatched_no_data_class():
    classes = classify(np.array([0, 1, 3, 6, np.nan]), "events", "en")
    assert classes.colors == [ZERO, "#fee187", "#fc5b2e", "#800026", NO_DATA]
    assert classes.hatched.tolist() == [False, False, False, False, True]
    assert [(r.label, r.color, r.hatched) for r in classes.legend] == [
        ("0", ZERO, False),
        ("1", "#fee187", False),
        ("2 – 3", "#fc5b2e", False),
        ("4 – 6", "#800026", False),
        ("no data", NO_DATA, True),
    ]


def test_a_period_without_data_has_only_the_no_data_class():
    # every country null (a year outside the data's coverage): no "0" class beside "no data"
    classes = classify(np.array([np.nan, np.nan, np.nan]), "events", "en")
    assert [(row.label, row.hatched) for row in classes.legend] == [("no data", True)]
    assert classes.colors == [NO_DATA] * 3


def test_change_has_fixed_classes_in_both_languages():
    values = pd.Series([-60.0, -50.0, 0.0, 10.5, 300.0, None])
    classes = classify(values, "change_pct", "fr")
    # upper bounds included: -50 is in the first class, 10.5 above +10
    assert classes.colors == ["#2166ac", "#2166ac", "#f7f7f7", "#f4a582", "#b2182b", NO_DATA]
    assert [r.label for r in classes.legend] == [
        "< -50 %",
        "-50 – -10 %",
        "-10 – +10 %",
        "+10 – +50 %",
        "> +50 %",
        "pas de données",
    ]


def test_rates_keep_two_decimals_below_ten_in_the_language_asked():
    classes = classify(np.array([0.25, 0.25, 12.5, 1500.0]), "events_per_100k", "fr")
    # not whole numbers: a class starts at the top of the one below (each includes its top)
    assert [r.label for r in classes.legend] == ["0", "0,25", "0,25 – 12", f"12 – 1{NNBSP}500"]
    assert value_text(1234.5, "events_per_100k", "fr") == f"1{NNBSP}234,50"
    assert value_text(1234.5, "events_per_100k", "en") == "1,234.50"
    assert value_text(1250.0, "change_pct", "en") == "+1250.0 %"
    assert value_text(None, "events", "fr") == "pas de données"


def test_the_snapshot_classes_do_not_depend_on_its_window(app, client, store, monkeypatch):
    # a window over Mali and Mauritania holds none of the ten events, yet its legend is the map's:
    # classes of 1, 3 and 6 events (the DRC, Uganda, Rwanda), as on the overview
    params = {"datetime": "2024", "bbox": "-10,10,0,20"}
    on_map = client.get("/map-data/choropleth", query_string=params).json["legend"]["classes"]
    expected = [("0", ZERO), ("1", "#fee187"), ("2 – 3", "#fc5b2e"), ("4 – 6", "#800026")]
    assert [(c["label"], c["color"]) for c in on_map] == expected
    assert _snapshot_legend(app, store, monkeypatch, params) == expected


def test_the_snapshot_classes_provinces_as_the_country_map(app, client, monkeypatch, province_file):
    from tests.test_map_provinces import import_into

    store = app.extensions["coopmap.store"]
    places = [(28.5, -0.5)] * 3 + [(29.0, 1.5)]  # three events in Nord-Kivu, one in Ituri
    rows = [
        {"lon": lon, "lat": lat, "country_iso3": "COD", "event_date": "2024-05-01", "fatalities": 1}
        for lon, lat in places
    ]
    store.write("conflict-events", make_events(rows), ["test"])
    import_into(store, province_file)
    on_map = client.get("/map-data/country/COD", query_string={"datetime": "2024"}).json["legend"]["classes"]
    # one class per value: Ituri's 1, then Nord-Kivu's 3 from 1 + 1 = 2
    expected = [("0", ZERO), ("1", "#fee187"), ("2 – 3", "#800026")]
    assert [(c["label"], c["color"]) for c in on_map] == expected
    params = {"datetime": "2024", "iso3": "COD", "layers": "province-summary"}
    assert _snapshot_legend(app, store, monkeypatch, params) == expected
