"""The one table of words: complete in both languages, and the map pages get only their own."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import LanguageAccept
from werkzeug.http import parse_accept_header

from geo.errors import InvalidParameter
from geo.i18n import LANGS, SNAPSHOT_PREFIX, TEXTS, number, pick_language, strings, text


def test_every_key_has_an_english_and_a_french_text():
    incomplete = {key: texts for key, texts in TEXTS.items() if set(texts) != set(LANGS) or not all(texts.values())}
    assert incomplete == {}


def test_the_map_pages_get_their_words_and_not_the_snapshot_ones():
    en, fr = strings("en"), strings("fr")
    assert set(en) == set(fr)
    assert not any(key.startswith(SNAPSHOT_PREFIX) for key in en)
    assert (en["events"], fr["events"]) == ("Events", "Événements")
    assert text("en", "snapshot_metric_events") == "Conflict events"
    assert text("fr", "snapshot_events_cells", km=2.5) == "Événements de conflit, regroupés par maille de 2.5 km"


def test_numbers_follow_the_language():
    assert number("en", 1234567.891, 2) == "1,234,567.89"
    assert number("fr", 1234567.891, 2) == "1\u202f234\u202f567,89"
    assert number("fr", -12.5, 1, sign=True) == "-12,5"


def test_language_from_the_query_then_the_browser():
    assert pick_language({"lang": "fr"}, LanguageAccept([("en", 1)])) == "fr"
    browser = parse_accept_header("fr-FR,fr;q=0.9,en;q=0.5", LanguageAccept)
    assert pick_language({}, browser) == "fr"
    assert pick_language({}, None) == "en"
    with pytest.raises(InvalidParameter, match="lang"):
        pick_language({"lang": "de"}, None)
