"""``coopmap boundaries``: import admin-1 (province) boundaries."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import Group, open_store
from cli.ingest_events import tolerance_option
from geo.boundaries.provinces import import_provinces, merge_provinces
from geo.storage.rejects import rejects_table


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
@click.option("--replace-all", is_flag=True,
              help="replace every stored province (default: only those of the file's countries)")
def import_cmd(file: Path, level: int, country_field: str | None, name_field: str | None,
               code_field: str | None, iso3: str | None, replace_all: bool) -> None:
    """Import a province file (geoBoundaries, GADM, Natural Earth admin-1, OCHA COD-AB).

    The file's provinces replace the stored provinces of the same countries; other countries'
    provinces stay (--replace-all for a full swap). Stored events keep their provinces until
    `coopmap boundaries reassign`.
    """
    _, store = open_store()
    result = import_provinces(file, store.read("countries"), country_field=country_field,
                              name_field=name_field, code_field=code_field, iso3=iso3)
    fields = ", ".join(f"{k}={v}" for k, v in result.fields.items() if v)
    click.echo(f"fields: {fields}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if len(result.provinces):  # a file whose every feature is rejected changes nothing
        stored = store.read("provinces") if store.has("provinces") else None
        merged, changes = merge_provinces(stored, result.provinces, replace_all=replace_all)
        previous = store.manifest().layers["provinces"].sources if stored is not None else []
        sources = [str(file)] if replace_all else [*(s for s in previous if s != str(file)), str(file)]
        store.write("provinces", merged, sources)
        for country, (old, new) in changes.items():
            click.echo(f"  {country}: {old} → {new} provinces")
        click.echo(f"provinces layer: {len(merged)} provinces in {merged['iso3'].nunique()} countries")
    click.echo(f"{len(result.provinces)} provinces imported, {len(result.rejects)} rejected")
    if result.rejects:
        path = store.save_report(f"{file.stem}.provinces.rejects", rejects_table(result.rejects))
        for r in result.rejects[:10]:
            click.echo(f"  feature {r.line}: {r.reason}", err=True)
        click.echo(f"rejects written to {path}", err=True)
        raise SystemExit(1)


@boundaries.command("reassign")
@tolerance_option
def reassign_cmd(tolerance_km: float | None) -> None:
    """Assign the stored conflict events again to the stored countries and provinces.

    Run it after importing provinces or new boundaries; the same rule as ingest (geometry, and the
    file's own country or admin1 province within the border tolerance).
    """
    from geo.ingest.reassign import reassign_events

    settings, store = open_store()
    tolerance = settings.border_tolerance_km if tolerance_km is None else tolerance_km
    s = reassign_events(store, settings, tolerance)
    click.echo(
        f"re-assigned {s.events:,} events: country changed {s.country_changed:,}, "
        f"province changed {s.province_changed:,}"
    )
    assigned = ", ".join(f"{k} {s.assigned.get(k, 0):,}" for k in ("within", "nearest", "source", "none"))
    click.echo(f"country assignment: {assigned} (border tolerance {tolerance:g} km)")
    if s.moves:
        top = "; ".join(f"{a or '-'}->{b or '-'}: {n:,}" for a, b, n in s.moves[:8])
        click.echo(f"country changes: {top}")
