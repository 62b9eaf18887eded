"""The features API serves each role the fields and geometry the access policy gives it."""

from __future__ import annotations

from tests.backends import backend  # noqa: F401  (these tests run on both stores)


def _ups(client, headers=None):
    response = client.get("/ogc/collections/projects/items?acronym=UPS", headers=headers or {})
    assert response.status_code == 200
    return response.get_json()["features"]


def test_analyst_gets_budgets_and_exact_sites_the_public_does_not(client, app):
    token = app.extensions["coopmap.tokens"].create("ogc-analyst", "analyst")
    analyst = _ups(client, {"Authorization": f"Bearer {token}"})
    public = _ups(client)
    # UPS has two sites (Ituri, Nord-Kivu), both in the DRC: without imported provinces the public
    # gets one feature at the DRC's point, so the number of sites does not show
    assert len(analyst) == 2 and len(public) == 1
    assert all(f["properties"]["budget_eur"] == 30_000_000 for f in analyst)
    assert all("budget_eur" not in f["properties"] for f in public)
    assert {f["properties"]["generalised"] for f in public} <= {"province", "country"}
    exact = {tuple(f["geometry"]["coordinates"]) for f in analyst}
    assert exact.isdisjoint({tuple(f["geometry"]["coordinates"]) for f in public})


def test_openapi_lists_budget_as_a_filter_only_for_analysts(client, app):
    token = app.extensions["coopmap.tokens"].create("ogc-analyst2", "analyst")
    public = client.get("/ogc/api").get_data(as_text=True)
    analyst = client.get("/ogc/api", headers={"Authorization": f"Bearer {token}"}).get_data(as_text=True)
    assert '"name":"budget_eur"' not in public
    assert '"name":"budget_eur"' in analyst
