"""The registry pages: planners add and edit projects and schools in a form, see a record's history
and restore a version; the public is sent to the login page; errors stand next to their field.

Every change goes through ``layers.registry_edit`` (tested in ``tests/test_registry_edit.py``): these
tests check what a person using the pages sees.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest

from layers.tokens import FileTokenStore
from tests.test_security import _csrf

# A point in Ituri (DR Congo), near Bunia: inside COD, 1.56 N 30.25 E.
ITURI = {"lat": "1.56", "lon": "30.25"}
NEW_PROJECT = {"acronym": "TST-FORM", "title": "Appui test", "countries": "COD", "start": "2024-01",
               "end": "2025-06", "funder": "European Union", **ITURI}


class _Elements(HTMLParser):
    """Every element's attributes by id, and the text of each element with an id."""

    def __init__(self) -> None:
        super().__init__()
        self.by_id: dict[str, dict[str, str | None]] = {}
        self.text: dict[str, str] = {}
        self._open: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs)
        found["tag"] = tag
        if found.get("id"):
            self.by_id[found["id"]] = found
            if tag not in ("input", "br", "meta", "link"):
                self._open.append(found["id"])
                self.text[found["id"]] = ""

    def handle_endtag(self, tag):
        if self._open and self.by_id[self._open[-1]]["tag"] == tag:
            self._open.pop()

    def handle_data(self, data):
        for ident in self._open:
            self.text[ident] += data


def _parse(html: str) -> _Elements:
    parser = _Elements()
    parser.feed(html)
    return parser


def _signed_in(app, home, role: str = "planner"):
    client = app.test_client()
    token = FileTokenStore(home).create(f"{role}-forms", role)
    csrf = _csrf(client.get("/login").get_data(as_text=True))
    assert client.post("/login", data={"csrf_token": csrf, "token": token}).status_code == 303
    return client


def _post_form(client, path: str, values: dict[str, str]):
    page = client.get(path).get_data(as_text=True)
    data = {"csrf_token": _csrf(page), **values}
    etag = re.search(r'name="etag" value="([^"]+)"', page)
    if etag and "etag" not in values:
        data["etag"] = etag.group(1)
    return client.post(path, data=data)


def _matched(client, acronym: str, collection: str = "projects") -> int:
    return client.get(f"/ogc/collections/{collection}/items?acronym={acronym}").get_json()["numberMatched"]


def test_the_public_is_sent_to_the_login_page_and_gets_no_suggestions(app):
    client = app.test_client()
    response = client.get("/registry/projects/new?lang=fr")
    assert response.status_code == 303
    assert response.headers["Location"] == "/login?next=/registry/projects/new?lang%3Dfr"
    assert client.get("/registry/places?q=gom").status_code == 401
    assert client.post("/registry/projects/new", data={"acronym": "X"}).status_code == 303
    assert _matched(client, "X") == 0


def test_the_form_has_every_field_labelled_and_the_budget_only_for_analysts(app, home):
    planner = _signed_in(app, home)
    page = _parse(planner.get("/registry/projects/new").get_data(as_text=True))
    fields = ["acronym", "title", "countries", "funder", "implementers", "start", "end", "status", "components",
              "region", "countries_coverage", "sites", "lat", "lon", "geocode_precision", "location_source",
              "source", "notes"]
    assert [f for f in fields if f"f-{f}" not in page.by_id] == []
    assert "f-budget_eur" not in page.by_id  # restricted to analysts and above
    analyst = _signed_in(app, home, "analyst")
    assert "f-budget_eur" in _parse(analyst.get("/registry/projects/new").get_data(as_text=True)).by_id
    school = _parse(planner.get("/registry/envr/new?lang=fr").get_data(as_text=True))
    assert {"f-name", "f-country_iso3", "f-city", "f-domain", "f-founded", "f-verified"} <= set(school.by_id)
    assert planner.get("/registry/conflict-events/new").status_code == 404


def test_an_end_before_the_start_is_shown_next_to_the_end_in_french_and_nothing_is_saved(app, home):
    planner = _signed_in(app, home)
    response = _post_form(planner, "/registry/projects/new?lang=fr", {**NEW_PROJECT, "end": "2023-06"})
    assert response.status_code == 400
    page = _parse(response.get_data(as_text=True))
    end = page.by_id["f-end"]
    assert end["aria-invalid"] == "true"
    assert end["aria-describedby"] == "f-end-hint f-end-error"
    assert page.text["f-end-error"] == "la fin '2023-06' précède le début"
    assert end["value"] == "2023-06"  # what was typed stays in the form
    assert page.by_id["f-title"]["value"] == "Appui test"
    assert page.by_id["f-start"].get("aria-invalid") is None
    assert _matched(planner, "TST-FORM") == 0


def test_a_valid_project_is_saved_redirected_to_its_page_and_served_by_the_api(app, home):
    planner = _signed_in(app, home)
    response = _post_form(planner, "/registry/projects/new", NEW_PROJECT)
    assert response.status_code == 303  # Post/Redirect/Get
    assert response.headers["Location"] == "/registry/projects/TST-FORM?lang=en"
    page = planner.get(response.headers["Location"]).get_data(as_text=True)
    assert "Saved: version 1." in page and "Created by planner-forms" in page
    items = planner.get("/ogc/collections/projects/items?acronym=TST-FORM").get_json()
    assert items["numberMatched"] == 1
    feature = items["features"][0]
    assert feature["geometry"]["coordinates"] == [30.25, 1.56]
    assert feature["properties"]["geocode_precision"] == "exact"
    assert feature["properties"]["country_iso3"] == "COD"
    # the notice is shown once
    assert "Saved: version 1." not in planner.get(response.headers["Location"]).get_data(as_text=True)


def test_without_the_csrf_token_nothing_is_saved(app, home):
    planner = _signed_in(app, home)
    response = planner.post("/registry/projects/new", data=NEW_PROJECT)
    assert response.status_code == 400
    assert _matched(planner, "TST-FORM") == 0


def test_edit_history_field_by_field_and_restore_the_first_version(app, home):
    planner = _signed_in(app, home)
    assert _post_form(planner, "/registry/projects/new", NEW_PROJECT).status_code == 303
    edit = _parse(planner.get("/registry/projects/TST-FORM/edit").get_data(as_text=True))
    assert edit.by_id["f-title"]["value"] == "Appui test"
    assert "readonly" in edit.by_id["f-acronym"]  # the record's id
    changed = {**NEW_PROJECT, "title": "<script>alert(1)</script> Appui", "end": "2026-12"}
    assert _post_form(planner, "/registry/projects/TST-FORM/edit", changed).status_code == 303
    page = planner.get("/registry/projects/TST-FORM").get_data(as_text=True)
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)&lt;/script&gt; Appui" in page
    rows = re.findall(r'<tr><th scope="row">([^<]+)</th>\s*<td class="reg-before">([^<]*)</td>\s*'
                      r'<td class="reg-after">([^<]*)</td>', page)
    # version 2 changed the title and the end (2025-06 was stored as typed)
    assert rows[:2] == [("Title", "Appui test", "&lt;script&gt;alert(1)&lt;/script&gt; Appui"),
                        ("End", "2025-06", "2026-12")]
    csrf = _csrf(page)
    etag = re.search(r'name="etag" value="([^"]+)"', page).group(1)
    restored = planner.post("/registry/projects/TST-FORM/restore",
                            data={"csrf_token": csrf, "etag": etag, "version": "1"})
    assert restored.status_code == 303
    page = planner.get(restored.headers["Location"]).get_data(as_text=True)
    assert "Version 1 restored." in page
    assert "Version 3 (current version)" in page
    feature = planner.get("/ogc/collections/projects/items?acronym=TST-FORM").get_json()["features"][0]
    assert (feature["properties"]["title"], feature["properties"]["end"]) == ("Appui test", "2025-06-30")


def test_a_stale_form_is_not_saved_and_says_so(app, home):
    planner = _signed_in(app, home)
    assert _post_form(planner, "/registry/projects/new", NEW_PROJECT).status_code == 303
    first = planner.get("/registry/projects/TST-FORM/edit").get_data(as_text=True)
    stale = re.search(r'name="etag" value="([^"]+)"', first).group(1)
    assert _post_form(planner, "/registry/projects/TST-FORM/edit", {**NEW_PROJECT, "title": "B"}).status_code == 303
    response = planner.post("/registry/projects/TST-FORM/edit",
                            data={"csrf_token": _csrf(first), "etag": stale, **NEW_PROJECT, "title": "A"})
    assert response.status_code == 412
    assert "Someone saved this record since you opened it" in response.get_data(as_text=True)
    title = planner.get("/ogc/collections/projects/items?acronym=TST-FORM").get_json()["features"][0]
    assert title["properties"]["title"] == "B"


def test_only_admins_retire_and_restore(app, home):
    planner = _signed_in(app, home)
    assert _post_form(planner, "/registry/projects/new", NEW_PROJECT).status_code == 303
    assert "Retire" not in planner.get("/registry/projects/TST-FORM").get_data(as_text=True)
    page = planner.get("/registry/projects/TST-FORM/edit").get_data(as_text=True)
    etag = re.search(r'name="etag" value="([^"]+)"', page).group(1)
    refused = planner.post("/registry/projects/TST-FORM/retire", data={"csrf_token": _csrf(page), "etag": etag})
    assert refused.status_code == 403
    admin = _signed_in(app, home, "admin")
    page = admin.get("/registry/projects/TST-FORM").get_data(as_text=True)
    retired = admin.post("/registry/projects/TST-FORM/retire", data={"csrf_token": _csrf(page), "etag": etag})
    assert retired.status_code == 303
    assert _matched(admin, "TST-FORM") == 0
    page = admin.get("/registry/projects/TST-FORM").get_data(as_text=True)
    assert "Restore on the map" in page
    etag = re.search(r'name="etag" value="([^"]+)"', page).group(1)
    assert admin.post("/registry/projects/TST-FORM/restore",
                      data={"csrf_token": _csrf(page), "etag": etag}).status_code == 303
    assert _matched(admin, "TST-FORM") == 1


@pytest.mark.parametrize(("q", "countries", "expected"), [
    ("gom", "COD", ("Goma", "COD", "city")),
    ("nord-k", "COD", ("Nord-Kivu", "COD", "province")),
    ("dak", "SEN", ("Dakar", "SEN", "city")),
])
def test_place_suggestions_come_from_the_offline_gazetteer(app, home, q, countries, expected):
    planner = _signed_in(app, home)
    places = planner.get(f"/registry/places?q={q}&countries={countries}").get_json()["places"]
    first = places[0]
    assert (first["name"], first["iso3"], first["precision"]) == expected
    assert planner.get("/registry/places?q=g&countries=COD").get_json() == {"places": []}  # 2 letters at least


def test_the_map_offers_add_and_edit_to_planners_only(app, home):
    public = app.test_client().get("/?lang=fr").get_data(as_text=True)
    planner = _signed_in(app, home).get("/?lang=fr").get_data(as_text=True)
    options = {name: json.loads(re.search(r"coopmap\." + name + r"\(\w+, (\{.*\})\);", html).group(1))
               for name, html in (("controls", planner), ("sites", planner))}
    assert options["controls"]["add_links"] == [["Ajouter un projet", "/registry/projects/new?lang=fr"],
                                                ["Ajouter une école", "/registry/envr/new?lang=fr"]]
    assert options["sites"]["edit_url"] == "/registry/LAYER/ID/edit?lang=fr"
    shown = json.loads(re.search(r"coopmap\.controls\(\w+, (\{.*\})\);", public).group(1))
    assert shown["add_links"] == []
    assert json.loads(re.search(r"coopmap\.sites\(\w+, (\{.*\})\);", public).group(1))["edit_url"] is None


def test_a_point_outside_the_countries_is_shown_under_the_coordinates(app, home):
    planner = _signed_in(app, home)
    # Kigali (1.944 S, 30.060 E) is in Rwanda, about 70 km from DR Congo: beyond the 0.1 degree tolerance
    response = _post_form(planner, "/registry/projects/new", {**NEW_PROJECT, "lat": "-1.944", "lon": "30.06"})
    assert response.status_code == 400
    page = _parse(response.get_data(as_text=True))
    assert page.by_id["f-lat"]["aria-invalid"] == "true"
    assert page.text["f-lat-error"] == "the point (30.0600, -1.9440) lies outside the project's countries"
    unreadable = _post_form(planner, "/registry/projects/new", {**NEW_PROJECT, "lat": "north", "lon": "30"})
    assert unreadable.status_code == 400
    assert _parse(unreadable.get_data(as_text=True)).text["f-lat-error"].startswith("coordinates north / 30 are not")
    assert _matched(planner, "TST-FORM") == 0
