from __future__ import annotations

import pytest

from layers import CATALOGUE
from layers.sources import ComputedSource

EXPECTED = ["countries", "provinces", "envr", "projects", "project-countries", "conflict-events",
            "country-summary", "province-summary"]


def test_catalogue_has_the_layers_of_the_design():
    assert CATALOGUE.ids == EXPECTED


def test_every_layer_is_fully_described():
    for layer in CATALOGUE:
        assert layer.title and layer.title_fr and layer.description, layer.id
        assert layer.fields, layer.id
        assert layer.id_field in layer.field_names, layer.id
        assert layer.style.kind, layer.id
        assert layer.attribution and layer.licence, layer.id
        assert layer.access in ("public", "restricted"), layer.id
        if layer.time_field:
            assert layer.time_field in layer.field_names, layer.id
        if layer.time is not None and layer.time.end is not None:
            assert layer.time.end in layer.field_names, layer.id
        assert len(set(layer.field_names)) == len(layer.field_names), layer.id


def test_computed_sources_are_functions_checked_at_import():
    for layer in CATALOGUE:
        if isinstance(layer.source, ComputedSource):
            assert callable(layer.source.function), layer.id
            assert layer.source.function.__module__.startswith("geo."), layer.id


def test_a_source_whose_function_cannot_take_its_arguments_fails_at_definition():
    with pytest.raises(TypeError, match="cannot take 2 arguments"):
        ComputedSource(lambda store: None, "broken")  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="not callable"):
        ComputedSource("geo.analytics.summaries:country_summary_layer", "a string")  # type: ignore[arg-type]
