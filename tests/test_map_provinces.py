"""The country map's province choropleth, its name-based fallback, sites following the period."""

from __future__ import annotations

from geo.boundaries.provinces import import_provinces
from tests.builders import make_events
from tests.mapfixtures import analyst_token, authorise, footprints_frame, populate, projects_frame


def _app(app_factory, home):
    return authorise(app_factory(), analyst_token(home))


def import_into(store, province_file) -> None:
    """Import ``province_file`` (Ituri, Nord-Kivu) as the CLI does."""
    result = import_provinces(province_file, store.read("countries"))
    store.write("provinces", result.provinces, [str(province_file)])


def test_a_project_closed_in_2021_leaves_the_map_of_2024(app_factory, home):
    app = _app(app_factory, home)
    store = app.extensions["coopmap.store"]
    populate(store)
    projects = projects_frame()
    closed = projects["site_id"] == "GOL-1"
    projects.loc[closed, ["start", "end"]] = ["2019-01-01", "2021-06-30"]
    projects.loc[projects["site_id"] == "SEC-1", ["start", "end"]] = [None, None]  # dates unknown
    store.write("projects", projects, ["test"])
    footprints = footprints_frame()
    footprints.loc[0, ["start", "end"]] = ["2019-01-01", "2021-06-30"]
    store.write("project-countries", footprints, ["test"])
    client = app.test_client()

    def shown(datetime: str) -> tuple[set[str], int]:
        data = client.get(f"/map-data/sites?datetime={datetime}").json
        return {p["site_id"] for p in data["projects"]}, len(data["footprints"]["features"])

    # SEC-1's dates are unknown: it is in no period (not "always active"), only in the map of all dates.
    assert shown("2024") == ({"PAS-1", "PAS-2"}, 0)
    assert shown("2021-01/2021-12") == ({"GOL-1"}, 1)
    assert shown("2020-01/2023-02") == ({"PAS-1", "PAS-2", "GOL-1"}, 1)
    everything = client.get("/map-data/sites").json  # no period: every project
    assert len(everything["projects"]) == 4
    assert client.get("/map-data/sites?datetime=2024-13").status_code == 400


def test_imported_provinces_are_coloured_by_the_metric(app_factory, home, province_file):
    app = _app(app_factory, home)
    store = app.extensions["coopmap.store"]
    populate(store)
    import_into(store, province_file)
    data = app.test_client().get("/map-data/country/COD?datetime=2024&metric=events").json
    assert data["basis"] == "polygon" and data["ranking"] is None
    by_name = {f["properties"]["name"]: f["properties"] for f in data["provinces"]["features"]}
    assert set(by_name) == {"Ituri", "Nord-Kivu"}
    # the eastern-DRC cluster (Rutshuru) lies in Nord-Kivu: the darker class of the legend
    assert by_name["Nord-Kivu"]["events"] > by_name["Ituri"]["events"]
    legend = [c["color"] for c in data["legend"]["classes"]]
    assert legend.index(by_name["Nord-Kivu"]["color"]) > legend.index(by_name["Ituri"]["color"])
    assert data["legend"]["title"] == "Events"
    before = app.test_client().get("/map-data/country/COD?datetime=2010&metric=events").json
    # 2010 is before the first loaded event: no data (null, with the legend's note), not 0
    assert {f["properties"]["events"] for f in before["provinces"]["features"]} == {None}
    assert before["legend"]["note"].startswith("No data for this period")
    assert app.test_client().get("/map-data/country/COD?metric=nope").status_code == 400
    # the public (no token) sees the same province counts: events are not a restricted layer
    public = app_factory().test_client()
    seen = public.get("/map-data/country/COD?datetime=2024&metric=events").json
    assert {
        f["properties"]["name"]: f["properties"]["events"] for f in seen["provinces"]["features"]
    } == {name: p["events"] for name, p in by_name.items()}


def test_without_polygons_the_admin1_names_are_ranked_beside_the_map(app_factory, home):
    app = _app(app_factory, home)
    store = app.extensions["coopmap.store"]
    rows = [
        {"lon": 29.2, "lat": -1.2, "admin1": "Nord-Kivu", "fatalities": 2},
        {"lon": 29.3, "lat": -1.1, "admin1": "Nord-Kivu", "fatalities": 1},
        {"lon": 29.1, "lat": -1.3, "admin1": "Nord-Kivu", "fatalities": 0},
        {"lon": 30.0, "lat": 1.6, "admin1": "Ituri", "fatalities": 9},
        {"lon": 15.3, "lat": -4.3, "admin1": "<b>Kinshasa</b>", "fatalities": 0},
        {
            "lon": 29.4,
            "lat": -1.9,
            "admin1": "Nord-Kivu",
            "fatalities": 0,
            "event_date": "2019-05-01",
        },
        {"lon": 30.1, "lat": -1.9, "admin1": "Kigali", "country_iso3": "RWA", "fatalities": 0},
    ]
    for r in rows:
        r.setdefault("event_date", "2024-03-01")
        r.setdefault("country_iso3", "COD")
    populate(store, events=make_events(rows))
    data = app.test_client().get("/map-data/country/COD?datetime=2024&metric=events").json
    assert data["basis"] == "name" and data["provinces"] is None
    ranking = [(r["province"], r["events"]) for r in data["ranking"]]
    assert ranking == [("Nord-Kivu", 3), ("<b>Kinshasa</b>", 1), ("Ituri", 1)]
    by_deaths = app.test_client().get("/map-data/country/COD?datetime=2024&metric=fatalities").json
    assert by_deaths["ranking"][0]["province"] == "Ituri"
    assert by_deaths["metric_title"] == "Fatalities"


def test_provinces_of_another_country_leave_this_one_to_its_names(app_factory, home, province_file):
    app = _app(app_factory, home)
    store = app.extensions["coopmap.store"]
    rows = [
        {
            "lon": 2.1,
            "lat": 13.5,
            "admin1": "Niamey",
            "country_iso3": "NER",
            "fatalities": 0,
            "event_date": "2024-02-01",
        }
    ]
    populate(store, events=make_events(rows))
    import_into(store, province_file)  # DRC provinces only
    data = app.test_client().get("/map-data/country/NER?datetime=2024").json
    assert data["basis"] == "name" and [r["province"] for r in data["ranking"]] == ["Niamey"]


def test_density_overlay_does_not_use_the_choropleth_colours(app_factory, home):
    import io

    from matplotlib.image import imread

    app = _app(app_factory, home)
    populate(app.extensions["coopmap.store"])
    client = app.test_client()
    meta = client.get("/map-data/density?bbox=-20,-35,52,38&zoom=3&datetime=2024").json
    rgba = imread(io.BytesIO(client.get(meta["url"]).data))
    drawn = rgba[rgba[..., 3] > 0]
    assert len(drawn)
    # YlOrRd (the choropleth) never has more blue than red; the map's raster ramp does
    assert (drawn[:, 2] > drawn[:, 0]).mean() > 0.5
