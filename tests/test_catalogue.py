from __future__ import annotations

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
        assert len(set(layer.field_names)) == len(layer.field_names), layer.id


def test_computed_sources_point_at_modules_not_dicts():
    for layer in CATALOGUE:
        if isinstance(layer.source, ComputedSource):
            module, _, attribute = layer.source.function.partition(":")
            assert module.startswith("geo.") and attribute, layer.id
