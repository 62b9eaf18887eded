"""Accessibility of the pages' HTML, without a browser (the browser scan is tests/test_a11y_browser.py):
the language on ``<html>``, zoom allowed, one ``main``, every form field labelled, errors tied to their field.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest


class _Tags(HTMLParser):
    """Every start tag with its attributes, and the text inside each element that has an id."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []
        self.texts: dict[str, str] = {}
        self._open: list[str | None] = []

    def handle_starttag(self, tag, attrs):
        attributes = {name: value or "" for name, value in attrs}
        self.tags.append((tag, attributes))
        if tag not in ("meta", "input", "img", "br", "link"):
            self._open.append(attributes.get("id"))
            if attributes.get("id"):
                self.texts[attributes["id"]] = ""

    def handle_endtag(self, tag):
        if self._open and tag not in ("meta", "input", "img", "br", "link"):
            self._open.pop()

    def handle_data(self, data):
        for element_id in self._open:
            if element_id:
                self.texts[element_id] += data

    def all(self, tag: str) -> list[dict[str, str]]:
        return [attrs for name, attrs in self.tags if name == tag]


def _parse(html: str) -> _Tags:
    parser = _Tags()
    parser.feed(html)
    return parser


@pytest.mark.parametrize(
    ("path", "headers", "lang"),
    [
        ("/", {}, "en"),
        ("/?lang=fr", {}, "fr"),
        ("/map/COD", {"Accept-Language": "fr-FR,fr;q=0.9"}, "fr"),
        ("/map/COD?lang=en", {"Accept-Language": "fr-FR"}, "en"),
    ],
)
def test_map_pages_say_their_language_and_let_users_zoom(client, path, headers, lang):
    page = _parse(client.get(path, headers=headers).get_data(as_text=True))
    assert page.all("html") == [{"lang": lang}]
    viewports = [m["content"] for m in page.all("meta") if m.get("name") == "viewport"]
    # one viewport tag, ours: Folium's "maximum-scale=1.0, user-scalable=no" is gone
    assert viewports == ["width=device-width, initial-scale=1"]
    assert len(page.all("main")) == 1


def _labelled_fields(page: _Tags) -> tuple[list[str], set[str]]:
    fields = [
        attrs.get("id", "") for tag, attrs in page.tags
        if tag in ("input", "textarea", "select") and attrs.get("type") != "hidden"
    ]
    labels = {attrs["for"] for attrs in page.all("label") if "for" in attrs}
    return fields, labels


@pytest.mark.parametrize("lang", ["en", "fr"])
def test_snapshot_page_labels_every_field(client, lang):
    response = client.get(f"/snapshot?iso3=COD&layers=projects&lang={lang}")
    page = _parse(response.get_data(as_text=True))
    fields, labels = _labelled_fields(page)
    assert fields == ["snapshot-title", "snapshot-embed"]
    assert set(fields) <= labels
    assert page.all("html") == [{"lang": lang}]
    # the title field's hint is tied to it and says its limit (MAX_TITLE = 160)
    title = next(a for a in page.all("input") if a.get("id") == "snapshot-title")
    assert "160" in page.texts[title["aria-describedby"]]


def test_login_error_is_announced_next_to_its_field(client):
    form = _parse(client.get("/login").get_data(as_text=True))
    csrf = next(a["value"] for a in form.all("input") if a.get("name") == "csrf_token")
    fields, labels = _labelled_fields(form)
    assert fields == ["token"] and "token" in labels
    token = next(a for a in form.all("input") if a.get("id") == "token")
    assert "aria-invalid" not in token and "aria-describedby" not in token  # no error yet

    response = client.post("/login", data={"csrf_token": csrf, "token": "wrong", "next": "/"})
    assert response.status_code == 401
    page = _parse(response.get_data(as_text=True))
    token = next(a for a in page.all("input") if a.get("id") == "token")
    assert token["aria-invalid"] == "true"
    message = next(a for a in page.all("p") if a.get("id") == token["aria-describedby"])
    assert message["role"] == "alert"
    assert page.texts[message["id"]] == "This token is not recognised (unknown or revoked)."
    # next to the field: the message comes right after the token input, before the button
    order = [attrs.get("id") or tag for tag, attrs in page.tags if tag in ("input", "p", "button")]
    assert order[order.index("token") + 1] == message["id"]
