"""Editing the registries through OGC API - Features Part 4, on both stores (issue 18).

The fixture records are the default registries (``data/reference``); the project added is one
project in Senegal, active from May 2024, so every expected count is that of the default data
plus or minus that one project.
"""

from __future__ import annotations

import html

import pytest

from layers import registry_edit
from tests.backends import backend  # noqa: F401  (the module's tests run on both stores)

NEW = {
    "type": "Feature",
    "geometry": {"type": "Point", "coordinates": [-17.45, 14.69]},  # Dakar, inside Senegal
    "properties": {"acronym": "DAKSEC", "title": "Dakar maritime security", "countries": "SEN",
                   "start": "2024-05-01", "end": "2025-12-31", "budget_eur": 250000, "funder": "AFD"},
}
GEOJSON = "application/geo+json"
MERGE = "application/merge-patch+json"


def _bearer(app, role: str, name: str | None = None) -> dict[str, str]:
    token = app.extensions["coopmap.tokens"].create(name or f"{role}-1", role)
    return {"Authorization": f"Bearer {token}"}


def _summary(client, headers, iso3: str = "SEN") -> dict:
    answer = client.get(f"/ogc/collections/country-summary/items/{iso3}?datetime=2024-06", headers=headers)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    return answer.get_json()["properties"]


def _acronyms(client, headers, layer: str = "projects") -> list[str]:
    answer = client.get(f"/ogc/collections/{layer}/items?limit=1000", headers=headers)
    return [f["properties"]["acronym"] for f in answer.get_json()["features"]]


def _create(client, headers, body=NEW):
    return client.post("/ogc/collections/projects/items", json=body, headers=headers)


def test_post_creates_a_project_that_the_items_and_the_country_summary_show_at_once(app):
    client = app.test_client()
    planner = _bearer(app, "planner")
    before = _summary(client, planner)
    version = client.get("/health").get_json()["data_version"]
    made = _create(client, planner)
    assert made.status_code == 201, made.get_data(as_text=True)
    assert made.headers["Location"].endswith("/ogc/collections/projects/items/DAKSEC")
    assert made.headers["ETag"] and made.headers["Cache-Control"] == "private, no-store"
    assert made.get_json()["properties"]["title"] == "Dakar maritime security"
    # one point given: one site, DAKSEC-1, at Dakar
    site = client.get("/ogc/collections/projects/items/DAKSEC-1", headers=planner)
    assert site.status_code == 200 and site.get_json()["geometry"]["coordinates"] == [-17.45, 14.69]
    assert site.headers["ETag"].strip('"') == made.headers["ETag"].strip('"')  # the record's ETag
    assert "DAKSEC" in _acronyms(client, planner)
    assert client.get("/health").get_json()["data_version"] != version
    # active in 2024-06 (2024-05-01 .. 2025-12-31) in SEN only: exactly one more project there
    after = _summary(client, planner)
    assert after["projects_active"] == before["projects_active"] + 1
    assert "DAKSEC" in after["project_acronyms"]
    # the record itself, by its own id
    record = client.get("/ogc/collections/projects/items/DAKSEC", headers=planner)
    assert record.status_code == 200 and record.get_json()["properties"]["countries"] == "SEN"


def test_put_and_patch_change_a_field_and_a_stale_etag_loses(app):
    client = app.test_client()
    alice, bob = _bearer(app, "planner", "alice"), _bearer(app, "planner", "bob")
    etag = _create(client, alice).headers["ETag"]
    url = "/ogc/collections/projects/items/DAKSEC"
    # both read version 1; Alice saves first, Bob's change with the old ETag is refused
    read = client.get(url, headers=bob)
    assert read.headers["ETag"] == etag
    body = {**NEW, "properties": {**NEW["properties"], "title": "Dakar port security"}}
    first = client.put(url, json=body, headers={**alice, "If-Match": etag})
    assert first.status_code == 200 and first.get_json()["properties"]["title"] == "Dakar port security"
    assert first.headers["ETag"] != etag
    lost = client.patch(url, data='{"properties": {"funder": "EU"}}', content_type=MERGE,
                        headers={**bob, "If-Match": read.headers["ETag"]})
    assert lost.status_code == 412 and lost.get_json()["code"] == "PreconditionFailed"
    assert client.patch(url, data='{"properties": {"funder": "EU"}}', content_type=MERGE,
                        headers=bob).status_code == 428
    won = client.patch(url, data='{"properties": {"funder": "EU", "notes": null}}', content_type=MERGE,
                       headers={**bob, "If-Match": first.headers["ETag"]})
    assert won.status_code == 200, won.get_data(as_text=True)
    shown = client.get(url, headers=bob).get_json()["properties"]
    assert shown["funder"] == "EU" and shown["title"] == "Dakar port security"  # the patch kept Alice's title


def test_roles_public_cannot_write_planner_cannot_delete_admin_retires(app):
    client = app.test_client()
    assert _create(client, {}).status_code == 401
    assert _create(client, {}).headers["WWW-Authenticate"] == "Bearer"
    planner, admin = _bearer(app, "planner"), _bearer(app, "admin")
    etag = _create(client, planner).headers["ETag"]
    url = "/ogc/collections/projects/items/DAKSEC"
    refused = client.delete(url, headers={**planner, "If-Match": etag})
    assert refused.status_code == 403 and "DAKSEC" in _acronyms(client, planner)
    assert client.delete(url, headers={**admin, "If-Match": etag}).status_code == 204
    assert "DAKSEC" not in _acronyms(client, planner)
    assert client.get("/ogc/collections/projects/items/DAKSEC-1", headers=planner).status_code == 404


def test_history_lists_each_version_field_by_field_and_restore_brings_version_1_back(app):
    client = app.test_client()
    planner = _bearer(app, "planner", "alice")
    etag = _create(client, planner).headers["ETag"]
    url = "/ogc/collections/projects/items/DAKSEC"
    client.patch(url, data='{"properties": {"title": "Renamed", "end": "2026"}}', content_type=MERGE,
                 headers={**planner, "If-Match": etag})
    versions = client.get(url + "/history", headers=planner).get_json()["versions"]
    assert [(v["version"], v["action"], v["actor"]) for v in versions] == [(1, "create", "alice"),
                                                                            (2, "patch", "alice")]
    assert versions[1]["changes"] == {"title": {"from": "Dakar maritime security", "to": "Renamed"},
                                      "end": {"from": "2025-12-31", "to": "2026"}}
    assert "budget_eur" not in versions[0]["changes"]  # a planner does not see budgets, nor their history
    assert client.get(url + "/history").status_code == 404  # nor does the public see who edits what
    store = app.extensions["coopmap.store"]
    admin = registry_edit.Editor("root", "admin")
    restored = registry_edit.restore(store, admin, "projects", "DAKSEC", 1, versions[1]["etag"])
    assert restored.version == 3 and restored.properties["title"] == "Dakar maritime security"
    assert client.get(url, headers=planner).get_json()["properties"]["end"] == "2025-12-31"
    last = client.get(url + "/history", headers=planner).get_json()["versions"][-1]
    assert last["action"] == "restore" and last["changes"]["title"] == {"from": "Renamed",
                                                                          "to": "Dakar maritime security"}


@pytest.mark.parametrize(("field", "value"), [("start", "2024-13-45"), ("countries", "XYZ"),
                                              ("budget_eur", -5), ("end", "2020")])
def test_a_bad_value_is_a_400_naming_its_field_and_nothing_is_saved(app, field, value):
    client = app.test_client()
    planner = _bearer(app, "planner")
    version = client.get("/health").get_json()["data_version"]
    body = {**NEW, "properties": {**NEW["properties"], field: value}}
    answer = _create(client, planner, body)
    assert answer.status_code == 400, answer.get_data(as_text=True)
    assert list(answer.get_json()["fields"]) == [field]
    assert client.get("/health").get_json()["data_version"] == version
    french = client.post("/ogc/collections/projects/items?lang=fr", json=body, headers=planner)
    assert french.get_json()["fields"][field] != answer.get_json()["fields"][field]  # said in French


def test_a_duplicate_acronym_and_a_point_outside_the_countries_are_refused(app):
    client = app.test_client()
    planner = _bearer(app, "planner")
    assert _create(client, planner, {**NEW, "properties": {**NEW["properties"], "acronym": "ups"}}
                   ).get_json()["fields"] == {"acronym": "acronym 'ups' is already used"}
    outside = {**NEW, "geometry": {"type": "Point", "coordinates": [2.35, 48.85]}}  # Paris, not Senegal
    assert list(_create(client, planner, outside).get_json()["fields"]) == ["geometry"]


def test_a_script_title_is_stored_as_text_and_escaped_in_html(app):
    client = app.test_client()
    planner = _bearer(app, "planner")
    title = "<script>alert(1)</script>"
    made = _create(client, planner, {**NEW, "properties": {**NEW["properties"], "title": title}})
    assert made.get_json()["properties"]["title"] == title
    page = client.get("/ogc/collections/projects/items/DAKSEC-1?f=html", headers=planner).get_data(as_text=True)
    assert html.escape(title) in page and title not in page


def test_a_cookie_session_needs_its_csrf_token_a_bearer_token_does_not(app):
    client = app.test_client()
    token = app.extensions["coopmap.tokens"].create("browser", "planner")
    login = client.get("/login").get_data(as_text=True)
    csrf = login.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post("/login", data={"token": token, "csrf_token": csrf}).status_code in (302, 303)
    assert _create(client, {}).status_code == 400  # signed in, but no CSRF token
    page = client.get("/logout").get_data(as_text=True)  # the signed-in session's token
    csrf = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert _create(client, {"X-CSRF-Token": csrf}).status_code == 201


def test_an_edit_on_one_server_is_seen_by_another_at_once(app_factory, backend):  # noqa: F811
    if backend != "postgis":
        pytest.skip("several servers share a database: the PostGIS store")
    a, b = app_factory(), app_factory()
    assert a.extensions["coopmap.store"] is not b.extensions["coopmap.store"]
    planner = _bearer(a, "planner")
    client_b = b.test_client()
    before = _summary(client_b, planner)
    assert _create(a.test_client(), planner).status_code == 201
    assert "DAKSEC" in _acronyms(client_b, planner)
    assert _summary(client_b, planner)["projects_active"] == before["projects_active"] + 1


def test_envr_schools_are_edited_the_same_way(app):
    client = app.test_client()
    planner = _bearer(app, "planner")
    url = "/ogc/collections/envr/items/EMP-ABB"
    read = client.get(url, headers=planner)
    answer = client.patch(url, data='{"properties": {"status": "open"}}', content_type=MERGE,
                          headers={**planner, "If-Match": read.headers["ETag"]})
    assert answer.status_code == 200, answer.get_data(as_text=True)
    shown = client.get(url, headers=planner).get_json()
    assert shown["properties"]["status"] == "open"
    assert shown["geometry"]["coordinates"] == read.get_json()["geometry"]["coordinates"]  # not moved
    assert client.patch(url, data='{"properties": {"founded": "soon"}}', content_type=MERGE,
                        headers={**planner, "If-Match": answer.headers["ETag"]}).get_json()["fields"] == {
        "founded": "founded: 'soon' is not a number >= 0"}


def test_conformance_and_openapi_declare_the_part_4_operations(client):
    classes = client.get("/ogc/conformance").get_json()["conformsTo"]
    assert "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/create-replace-delete" in classes
    assert "http://www.opengis.net/spec/ogcapi-features-4/1.0/conf/update" in classes
    paths = client.get("/ogc/api").get_json()["paths"]
    assert set(paths["/collections/projects/items"]) == {"get", "post"}
    assert set(paths["/collections/envr/items/{featureId}"]) == {"get", "put", "patch", "delete"}
    assert "post" not in paths["/collections/conflict-events/items"]  # only the registries take writes
