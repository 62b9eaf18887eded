"""``coopmap boundaries``: import admin-1 (province) boundaries."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import Group, open_store
from geo.boundaries.provinces import import_provinces
from geo.storage.rejects import write_rejects


@click.group(cls=Group)
def boundaries() -> None:
    """Manage the boundary layers."""


@boundaries.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--level", type=click.IntRange(1, 1), default=1, show_default=True,
              help="administrative level (1 = provinces)")
@click.option("--country-field", help="field holding the country code (auto-detected)")
@click.option("--name-field", help="field holding the province name (auto-detected)")
@click.option("--code-field", help="field holding the province code (auto-detected)")
@click.option("--iso3", help="country of every feature, for files without a country field")
def import_cmd(file: Path, level: int, country_field: str | None, name_field: str | None,
               code_field: str | None, iso3: str | None) -> None:
    """Import a province file (geoBoundaries, GADM, Natural Earth admin-1, OCHA COD-AB)."""
    settings, store = open_store()
    result = import_provinces(file, store.read("countries"), country_field=country_field,
                              name_field=name_field, code_field=code_field, iso3=iso3)
    fields = ", ".join(f"{k}={v}" for k, v in result.fields.items() if v)
    click.echo(f"fields: {fields}")
    if len(result.provinces):
        store.write("provinces", result.provinces, [str(file)])
    click.echo(f"{len(result.provinces)} provinces imported, {len(result.rejects)} rejected")
    if result.rejects:
        path = settings.rejects_dir / f"{file.stem}.provinces.rejects.csv"
        write_rejects(path, result.rejects)
        for r in result.rejects[:10]:
            click.echo(f"  feature {r.line}: {r.reason}", err=True)
        click.echo(f"rejects written to {path}", err=True)
        raise SystemExit(1)
