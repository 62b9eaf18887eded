"""The real UCDP GED 23.1 sample (../shared/data), ingested in place."""

from __future__ import annotations

import os
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from cli.main import main
from geo.config import REPO_ROOT
from tests.conftest import SHARED_DATA

NAME = "ucdp_ged_v23_1_sample1000.csv"
# A git worktree sits one level deeper than the main checkout (/work/wt/i4 vs /work/main).
UCDP_SAMPLE = next(
    (
        d / NAME
        for d in (SHARED_DATA, REPO_ROOT.parent.parent / "shared" / "data")
        if (d / NAME).exists()
    ),
    SHARED_DATA / NAME,
)


def require_shared_file(path: Path) -> Path:
    """``path`` if it exists; if not, fail under CI (``$CI`` set) and skip on a developer machine.

    CI must never pass by skipping the real-data test because the reference file went missing.
    """
    if path.exists():
        return path
    if os.environ.get("CI", "").strip().lower() not in ("", "0", "false"):
        pytest.fail(f"{path} is absent: the real-data test cannot run (CI={os.environ['CI']!r})")
    pytest.skip(f"{path} is absent (a developer machine without ../shared/data)")


def test_an_absent_reference_file_fails_under_ci_and_skips_elsewhere(tmp_path, monkeypatch):
    missing = tmp_path / NAME
    for value in ("true", "1", "yes"):
        monkeypatch.setenv("CI", value)
        with pytest.raises(pytest.fail.Exception, match="is absent"):
            require_shared_file(missing)
    for value in (None, "", "false", "0"):
        if value is None:
            monkeypatch.delenv("CI", raising=False)
        else:
            monkeypatch.setenv("CI", value)
        with pytest.raises(pytest.skip.Exception, match="is absent"):
            require_shared_file(missing)
    missing.write_text("event_id\n")
    assert require_shared_file(missing) == missing


def test_real_ucdp_sample_is_ingested_and_assigned(runner, home):
    sample = require_shared_file(UCDP_SAMPLE)
    result = runner.invoke(main, ["ingest", "ucdp", str(sample)])
    assert result.exit_code == 0, result.output
    assert "read 1,000  added 1,000  updated 0  unchanged 0  rejected 0" in result.output
    events = gpd.read_parquet(home / "layers" / "conflict-events.parquet")
    assert len(events) == 1000 and set(events["source_dataset"]) == {"ucdp-ged"}
    raw = pd.read_csv(sample)
    regions = events["original"].str.extract(r'"region":"([^"]*)"')[0].value_counts().to_dict()
    assert regions == {"Middle East": 342, "Asia": 301, "Africa": 191, "Americas": 95, "Europe": 71}
    assert (events["country_iso3"] == "SYR").sum() >= 255  # 265 rows say Syria
    assert events["fatalities"].sum() == raw["best"].sum()
    # where_prec: 475 exact (1), 372 near (2-3), 140 province (4-5), 13 country (6-7)
    assert events["precision"].value_counts().sort_index().tolist() == [475, 372, 140, 13]
    report = pd.read_csv(home / "rejects" / "ucdp_ged_v23_1_sample1000.country-disagreements.csv")
    agree = 1 - len(report) / len(events)
    assert agree >= 0.97, report.head(20)
    assert "disagree with the file's own country" in result.output
    assert (events["assigned_by"] == "none").sum() <= 2
