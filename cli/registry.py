"""``coopmap registry export``: the current registry (its live records) back to a CSV file that
``coopmap ingest projects|envr`` reads unchanged."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click

from cli.common import open_store
from geo.storage.io import write_bytes_atomic
from layers import registry_edit
from layers.registry_records import columns_of


def registry_csv(registry: str, rows: list[dict[str, str]]) -> bytes:
    """The registry file of ``rows`` (record cells): a header of every record column, then one line
    per record, text as kept (no spreadsheet escaping: the file is for ``coopmap ingest``)."""
    out = io.StringIO(newline="")
    writer = csv.DictWriter(out, fieldnames=list(columns_of(registry)), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


@click.group()
def registry() -> None:
    """The editable registries (projects, ENVR schools)."""


@registry.command("export")
@click.option("--layer", "layer_id", type=click.Choice(sorted(registry_edit.REGISTRY_LAYERS)), required=True,
              help="the registry to write")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="the CSV file to write")
def export(layer_id: str, output: Path) -> None:
    """Write the current registry (records not retired) to a CSV file."""
    _, store = open_store()
    records = registry_edit.records(store, layer_id)
    write_bytes_atomic(output, registry_csv(layer_id, [r.values for r in records]))
    click.echo(f"{len(records)} {layer_id} records written to {output}")
