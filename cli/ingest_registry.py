"""``coopmap ingest projects FILE`` and ``coopmap ingest envr FILE``: replace a registry, recorded in
its history as one change by the user running the command (``layers.registry_edit.ingest``)."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from cli.common import open_store
from geo.boundaries.geocode import Geocoder
from geo.registries import RegistryLoad, load_envr, load_projects
from geo.storage.rejects import rejects_table
from geo.storage.store import Store
from layers import registry_edit

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _geocoder(store) -> Geocoder:  # noqa: ANN001
    provinces = store.read("provinces") if store.has("provinces") else None
    return Geocoder(store.read("countries"), provinces)


def _editor() -> registry_edit.Editor:
    """The user running the command: the history records the ingest as one change by them."""
    return registry_edit.Editor(getpass.getuser(), "admin")


def _report(result: RegistryLoad, store: Store, name: str) -> None:
    """Print the summary; keep (or clear) the rejects report ``name`` in the store; exit 1 when
    rows were rejected."""
    click.echo(result.summary())
    rejects_path = store.save_report(name, rejects_table(result.rejects))
    if not result.rejects:
        return
    for reject in result.rejects[:10]:
        click.echo(f"  line {reject.line}: {reject.reason}", err=True)
    if len(result.rejects) > 10:
        click.echo(f"  ... and {len(result.rejects) - 10} more", err=True)
    click.echo(f"rejects written to {rejects_path}", err=True)
    raise SystemExit(1)


@click.command("projects")
@click.argument("file", type=FILE)
def ingest_projects(file: Path) -> None:
    """Replace the projects and project-countries layers with FILE (.csv or .geojson)."""
    _, store = open_store()
    result = load_projects(file, _geocoder(store))
    if result.loaded:
        registry_edit.ingest(store, _editor(), "projects", result, str(file))
    else:
        click.echo("no valid row: the project layers were left unchanged", err=True)
    _report(result, store, f"{file.stem}.projects.rejects")


@click.command("envr")
@click.argument("file", type=FILE)
def ingest_envr(file: Path) -> None:
    """Replace the ENVR school registry (layer envr) with FILE (.csv or .geojson)."""
    _, store = open_store()
    result = load_envr(file, _geocoder(store))
    if result.loaded:
        registry_edit.ingest(store, _editor(), "envr", result, str(file))
    else:
        click.echo("no valid row: the envr layer was left unchanged", err=True)
    _report(result, store, f"{file.stem}.envr.rejects")


COMMANDS = (ingest_projects, ingest_envr)
