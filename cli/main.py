"""Entry point: ``coopmap --help`` lists the commands; each lives in its own module."""

from __future__ import annotations

import click

from cli import boundaries, brief, db, export, exposure, ingest_events, ingest_registry, layers, raster, serve
from cli.common import Group
from cli.init import init
from cli.registry import registry
from cli.snapshot import snapshot
from cli.tokens import tokens


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="coopmap")
def main() -> None:
    """coopmap: cooperation projects, ENVR schools and armed conflict on one map."""


@main.group(cls=Group)
def ingest() -> None:
    """Load conflict events or registries into the workspace."""


for command in (
    init,
    serve.serve,
    layers.layers,
    export.export,
    boundaries.boundaries,
    exposure.exposure,
    raster.raster,
    ingest_events.demo_data,
    snapshot,
    brief.brief,
):
    main.add_command(command)
main.add_command(tokens)
main.add_command(db.db)
main.add_command(registry)

for command in (ingest_events.ingest_acled, ingest_events.ingest_ucdp, *ingest_registry.COMMANDS):
    ingest.add_command(command)
