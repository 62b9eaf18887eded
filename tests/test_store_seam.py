"""The store as the one place persistent state lives: ingest reports (rejects), the session
secret, the boundaries, and ``coopmap init`` building the default workspace once."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
import time
from pathlib import Path

import geopandas as gpd
import pyarrow as pa
import pytest
from shapely.geometry import box

from cli.main import main
from geo.config import REPO_ROOT
from geo.errors import InvalidParameter
from geo.ingest.defaults import DEFAULT_BUILDERS
from geo.storage.rejects import Reject, rejects_of, rejects_table
from geo.storage.store import ParquetStore
from layers.catalogue import CATALOGUE
from layers.secured import SecuredStore
from layers.tokens import FileTokenStore, token_store
from tests.test_ingest_events import GOOD_ROWS, acled_row, write_acled
from tests.test_tokens import _session_cookie, _sign_in, _whoami_app


def test_rejects_of_a_bad_file_are_listed_through_the_store(runner, home, store, tmp_path):
    # line 1 header, lines 2-3 a good event (its notes hold a newline), line 4 latitude 95,
    # line 5 no event id
    rows = [GOOD_ROWS[0], acled_row("DRC2001", "2024-02-01", "95", "29.2"), acled_row("", "2024-02-02", "-1.4", "29.1")]
    bad = write_acled(tmp_path / "bad.csv", rows)
    result = runner.invoke(main, ["ingest", "acled", str(bad)])
    assert result.exit_code == 1, result.output
    assert "read 3  added 1  updated 0  unchanged 0  rejected 2" in result.output
    assert f"rejects written to {home / 'rejects' / 'bad.rejects.csv'}" in result.output  # today's path

    assert "bad.rejects" in store.reports()
    rejects = rejects_of(store.read_report("bad.rejects"))
    assert [(r.line, r.reason) for r in rejects] == [
        (4, "latitude outside -90..90"),
        (5, "event_id_cnty is missing"),
    ]
    assert rejects[0].row["latitude"] == "95" and rejects[0].row["event_id_cnty"] == "DRC2001"
    assert rejects[1].row["event_id_cnty"] is None  # an empty field reads back as null


def test_a_registry_without_rejects_clears_its_earlier_report(tmp_path):
    store = ParquetStore(tmp_path / "home")
    where = store.save_report("envr.envr.rejects", rejects_table([Reject(7, "no country", {"name": "École A"})]))
    assert where == str(tmp_path / "home" / "rejects" / "envr.envr.rejects.csv")
    assert Path(where).read_text(encoding="utf-8").splitlines() == ["line,reason,name", "7,no country,École A"]
    assert store.save_report("envr.envr.rejects", rejects_table([])) is None
    assert store.reports() == [] and not Path(where).exists()
    with pytest.raises(InvalidParameter, match="report"):
        store.read_report("envr.envr.rejects")
    with pytest.raises(InvalidParameter, match="report"):
        store.save_report("../escape", pa.table({"line": [1]}))


def test_the_session_secret_is_the_stores_same_for_two_apps_and_private(home, app_factory):
    first, second = _whoami_app(app_factory), _whoami_app(app_factory)  # two workers
    key = first.config["SECRET_KEY"]
    assert key == second.config["SECRET_KEY"] == ParquetStore(home).secret("secret_key")
    assert len(key) == 64  # 32 random bytes as hex
    assert stat.S_IMODE((home / "secret_key").stat().st_mode) == 0o600
    # a login made on one worker is a login on the other
    token = FileTokenStore(home).create("sam", "planner")
    client = first.test_client()
    _sign_in(client, token)
    other = second.test_client()
    other.set_cookie("coopmap_session", _session_cookie(client))
    assert other.get("/whoami").json == {"role": "planner"}


def test_the_token_store_goes_with_the_store(home, store):
    tokens = token_store(store)
    assert isinstance(tokens, FileTokenStore) and tokens.path == home / "tokens.json"
    tokens.create("ann", "analyst")
    assert [r.name for r in FileTokenStore(home).records()] == ["ann"]


def test_boundaries_at_every_detail_come_from_the_store(tmp_path):
    store = ParquetStore(tmp_path / "home", REPO_ROOT / "data" / "boundaries")
    squares = gpd.GeoDataFrame({"iso3": ["AAA", "BBB"]}, geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)], crs=4326)
    store.write("countries", squares, ["two squares"])
    assert list(store.boundaries("countries")["iso3"]) == ["AAA", "BBB"]  # the stored layer itself
    z2 = store.boundaries("countries_z2")
    assert len(z2) > 200 and "COD" in set(z2["iso3"])  # the committed world at 0.1 degree
    with pytest.raises(InvalidParameter, match="detail"):
        store.boundaries("countries_z9")
    seen = SecuredStore(store, "public", CATALOGUE)
    assert list(seen.boundaries("countries")["iso3"]) == ["AAA", "BBB"]
    with pytest.raises(PermissionError):
        seen.secret("secret_key")


def _waiters(lock: Path) -> int:
    """Processes blocked on the flock of ``lock`` (``->`` lines of /proc/locks)."""
    inode = f":{lock.stat().st_ino} "
    return sum(1 for line in Path("/proc/locks").read_text().splitlines() if "->" in line and inode in line)


@pytest.mark.slow
def test_two_inits_at_once_build_the_workspace_once(tmp_path):
    home = tmp_path / "home"
    env = {**os.environ, "COOPMAP_HOME": str(home), "COOPMAP_DEMO_EVENTS": "2000"}
    store = ParquetStore(home)
    with store.lock("init"):  # both processes start on the empty home and must queue behind it
        procs = [
            subprocess.Popen([sys.executable, "-m", "cli", "init"], cwd=REPO_ROOT, env=env,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        deadline = time.monotonic() + 120
        while _waiters(home / ".init.lock") < 2:
            assert time.monotonic() < deadline, "the two inits never waited on the lock"
            assert all(p.poll() is None for p in procs), [p.communicate() for p in procs]
            time.sleep(0.1)
        assert store.manifest().layers == {}  # nobody built while the lock was held
    outputs = []
    for p in procs:
        out, err = p.communicate(timeout=300)
        assert p.returncode == 0, err
        outputs.append(out)
    built = [o for o in outputs if o.startswith("built ")]
    waited = [o for o in outputs if "already built" in o]
    assert len(built) == 1 and len(waited) == 1, outputs
    assert built[0].startswith("built countries, envr, projects, project-countries, conflict-events in")
    assert built[0].splitlines()[-1] == waited[0].splitlines()[-1]  # the same data version
    manifest = ParquetStore(home).manifest()
    assert sorted(manifest.layers) == sorted(DEFAULT_BUILDERS)
    for layer_id, record in manifest.layers.items():  # every file whole and as recorded
        assert len(gpd.read_parquet(home / "layers" / f"{layer_id}.parquet")) == record.rows
    assert manifest.layers["conflict-events"].rows == 2000
    assert not list(home.rglob(".tmp-*"))
