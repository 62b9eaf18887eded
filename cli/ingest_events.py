"""``coopmap ingest acled|ucdp FILE`` and ``coopmap demo-data``: conflict events."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click

from cli.common import open_store
from geo.ingest.load import IngestSummary, ingest_file
from geo.ingest.reader import Progress


@contextmanager
def _progress(label: str) -> Iterator[Progress | None]:
    """A progress bar on stderr when it is a terminal, else nothing."""
    if not sys.stderr.isatty():
        yield None
        return
    with click.progressbar(length=100, label=label, file=sys.stderr) as bar:
        done = [0]

        def update(current: int, total: int) -> None:
            percent = int(100 * current / total) if total else 100
            bar.update(percent - done[0])
            done[0] = percent

        yield update


TOLERANCE_HELP = (
    "keep the file's own country (and admin1 province) when the point lies within this many km "
    "of it (default $COOPMAP_BORDER_TOLERANCE_KM or 10; 0 = geometry only)"
)


def tolerance_option(command):  # type: ignore[no-untyped-def]
    """``--border-tolerance-km``, shared by the ingest and re-assign commands."""
    return click.option(
        "--border-tolerance-km", "tolerance_km", type=click.FloatRange(0, 1000), default=None,
        metavar="KM", help=TOLERANCE_HELP,
    )(command)


def _run(format_name: str, file: Path, tolerance_km: float | None) -> None:
    settings, store = open_store()
    tolerance = settings.border_tolerance_km if tolerance_km is None else tolerance_km
    with _progress(f"reading {file.name}") as progress:
        summary = ingest_file(file, format_name, store, settings, progress, tolerance)
    _report(summary, tolerance)
    if summary.rejected:
        raise SystemExit(1)


def _report(s: IngestSummary, tolerance_km: float) -> None:
    click.echo(
        f"read {s.read:,}  added {s.added:,}  updated {s.updated:,}  unchanged {s.unchanged:,}  "
        f"rejected {s.rejected:,}"
    )
    assigned = ", ".join(
        f"{k} {s.assigned.get(k, 0):,}" for k in ("within", "nearest", "source", "none")
    )
    click.echo(
        f"country assignment: {assigned} (nearest = within 25 km of a coast or border; "
        f"source = the file's own country, within {tolerance_km:g} km of it)"
    )
    if s.removed_demo:
        click.echo(f"removed {s.removed_demo:,} synthetic demo events (real data loaded)")
    if s.disagreements:
        top = "; ".join(f"{a}->{b}: {n}" for a, b, n in s.disagreement_pairs[:8])
        click.echo(f"{s.disagreements:,} events disagree with the file's own country ({top})")
        click.echo(f"disagreements written to {s.disagreements_path}")
    if s.rejects_path:
        click.echo(f"rejects written to {s.rejects_path}", err=True)


@click.command("acled")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tolerance_option
def ingest_acled(file: Path, tolerance_km: float | None) -> None:
    """Ingest an ACLED export (CSV or CSV.gz); re-ingesting upserts by event_id_cnty."""
    _run("acled", file, tolerance_km)


@click.command("ucdp")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@tolerance_option
def ingest_ucdp(file: Path, tolerance_km: float | None) -> None:
    """Ingest a UCDP GED export (CSV or CSV.gz); re-ingesting upserts by id."""
    _run("ucdp", file, tolerance_km)


@click.command("demo-data")
@click.option(
    "--events",
    "size",
    type=click.IntRange(1, 5_000_000),
    default=None,
    help="number of events (default $COOPMAP_DEMO_EVENTS or 50000)",
)
@click.option("--seed", type=int, default=None, help="random seed (default 2024)")
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="also write the rows as an ACLED-format CSV",
)
def demo_data(size: int | None, seed: int | None, csv_path: Path | None) -> None:
    """Replace the conflict events with the synthetic demo set (ACLED schema, 2023-2024)."""
    from geo.ingest.demo import DEFAULT_SEED, demo_events, demo_rows, demo_size

    settings, store = open_store()
    countries = store.read("countries")
    rows = demo_rows(
        size or demo_size(), DEFAULT_SEED if seed is None else seed, countries, settings.cache_dir
    )
    if csv_path is not None:
        from geo.ingest.demo import write_csv

        write_csv(rows, csv_path)
        click.echo(f"ACLED-format CSV written to {csv_path}")
    frame = demo_events(rows, countries, settings.cache_dir)
    store.write("conflict-events", frame, ["synthetic-demo (coopmap demo-data)"])
    click.echo(
        f"{len(frame):,} synthetic demo events written to conflict-events "
        "(synthetic demo data, not real events)"
    )
