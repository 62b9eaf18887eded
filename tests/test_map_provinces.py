"""The country map's province choropleth, its name-based fallback, and sites following the period."""

from __future__ import annotations

import pytest

from geo.provinces import import_provinces
from tests.builders import make_events
from tests.mapfixtures import analyst_token, authorise, footprints_frame, populate, projects_frame
from webmap import create_app


def _app(home):
    return authorise(create_app({"TESTING": True, "COOPMAP_HOME": str(home)}), analyst_token(home))


def import_into(store, province_file) -> None:
    """Import ``province_file`` (Ituri, Nord-Kivu) as the CLI does."""
    result = import_provinces(province_file, store.read("countries"))
    store.write("provinces", result.provinces, [str(province_file)])


def test_a_project_closed_in_2021_leaves_the_map_of_2024(home):
    app = _app(home)
    store = app.extensions["coopmap.store"]
    populate(store)
    projects = projects_frame()
    closed = projects["site_id"] == "GOL-1"
    projects.loc[closed, ["start", "end"]] = ["2019-01-01", "2021-06-30"]
    projects.loc[projects["site_id"] == "SEC-1", ["start", "end"]] = [None, None]  # open dates
    store.write("projects", projects, ["test"])
    footprints = footprints_frame()
    footprints.loc[0, ["start", "end"]] = ["2019-01-01", "2021-06-30"]
    store.write("project-countries", footprints, ["test"])
    client = app.test_client()

    def shown(datetime: str) -> tuple[set[str], int]:
        data = client.get(f"/map-data/sites?datetime={datetime}").json
        return {p["site_id"] for p in data["projects"]}, len(data["footprints"]["features"])

    assert shown("2024") == ({"PAS-1", "PAS-2", "SEC-1"}, 0)
    assert shown("2021-01/2021-12") == ({"SEC-1", "GOL-1"}, 1)
    assert shown("2020-01/2023-02") == ({"PAS-1", "PAS-2", "SEC-1", "GOL-1"}, 1)
    everything = client.get("/map-data/sites").json  # no period: every project
    assert len(everything["projects"]) == 4
    assert client.get("/map-data/sites?datetime=2024-13").status_code == 400
