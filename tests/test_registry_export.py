"""``coopmap registry export`` writes the registry back to a CSV the ingest reads unchanged, and a
bulk ingest is recorded in the history as one change by the user who ran it (issue 18)."""

from __future__ import annotations

import csv
import getpass

from cli.main import main
from geo.config import Settings
from geo.storage.store import store_from_settings
from layers import registry_edit


def _rows(path):
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_export_then_ingest_gives_the_same_records(runner, home, tmp_path):
    store = store_from_settings(Settings(home=home))
    registry_edit.create(store, registry_edit.Editor("alice", "planner"), "envr",
                         {"acronym": "ENVR-T", "name": "École test, « Dakar »", "country_iso3": "SEN",
                          "notes": 'line with "quotes", commas; and semicolons'},
                         {"type": "Point", "coordinates": [-17.45, 14.69]})
    before = {r.record_id: r.values for r in registry_edit.records(store, "envr")}
    out = tmp_path / "envr.csv"
    done = runner.invoke(main, ["registry", "export", "--layer", "envr", "-o", str(out)])
    assert done.exit_code == 0, done.output
    # data/reference/envr.csv has 21 schools; one was added above: 22 lines under the header
    assert len(_rows(out)) == 22 and _rows(out)[-1]["acronym"] in before
    versions = len(store.registry_versions("envr"))
    again = runner.invoke(main, ["ingest", "envr", str(out)])
    assert again.exit_code == 0, again.output
    assert {r.record_id: r.values for r in registry_edit.records(store, "envr")} == before
    assert len(store.registry_versions("envr")) == versions  # nothing changed: no new version


def test_a_bulk_ingest_is_one_change_by_its_user(runner, home, tmp_path):
    store = store_from_settings(Settings(home=home))
    out = tmp_path / "projects.csv"
    assert runner.invoke(main, ["registry", "export", "--layer", "projects", "-o", str(out)]).exit_code == 0
    rows = _rows(out)
    assert len(rows) == 16  # the 16 projects of data/reference/projects.csv
    rows = [r for r in rows if r["acronym"] != "PROGRESS"]  # one project dropped
    rows[0]["title"] = "Renamed in the spreadsheet"         # one changed
    with open(out, "w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    done = runner.invoke(main, ["ingest", "projects", str(out)])
    assert done.exit_code == 0, done.output
    latest = [v for v in store.registry_versions("projects") if v.action == "ingest" and v.version == 2]
    assert sorted(v.record_id for v in latest) == sorted(["PROGRESS", rows[0]["acronym"]])
    assert {v.actor for v in latest} == {getpass.getuser()} and len({v.change for v in latest}) == 1
    assert [v.retired for v in latest if v.record_id == "PROGRESS"] == [True]
    assert "PROGRESS" not in set(store.read("projects")["acronym"])
    history = registry_edit.history(store, "projects", rows[0]["acronym"])
    assert history[-1].changes["title"][1] == "Renamed in the spreadsheet"


def test_a_registry_loaded_from_a_file_no_longer_here_keeps_its_records_on_the_first_edit(home, tmp_path):
    store = store_from_settings(Settings(home=home))
    schools = store.read("envr")
    store.write("envr", schools.iloc[:5], [str(tmp_path / "gone" / "my_schools.csv")])  # 5 of the 21
    registry_edit.create(store, registry_edit.Editor("alice", "planner"), "envr",
                         {"acronym": "ENVR-T", "name": "École test", "country_iso3": "SEN"},
                         {"type": "Point", "coordinates": [-17.45, 14.69]})
    # the 5 stored schools, read back from the layer, plus the new one: 6, not the default 21 + 1
    assert sorted(store.read("envr")["acronym"]) == sorted([*schools["acronym"].iloc[:5], "ENVR-T"])
    kept = store.read("envr").set_index("acronym").loc[schools["acronym"].iloc[0]]
    assert kept.geometry.equals(schools.geometry.iloc[0])
