"""``coopmap brief``: a briefing pack (PDF, PowerPoint, PNG of page 1) of a country or a region, the same
as ``/brief/<iso3>.pdf`` and ``/brief.pdf?view=<view>``."""

from __future__ import annotations

from pathlib import Path

import click

from cli.common import open_store
from cli.options import query_options, query_params
from geo.i18n import LANGS
from geo.render.views import VIEWS
from geo.storage.io import write_bytes_atomic
from geo.types import ROLES
from layers import CATALOGUE
from layers.access import parse_role
from layers.brief import brief_area, parse_brief
from layers.briefpack import brief_file, format_of_suffix
from layers.secured import SecuredStore


@click.command()
@click.argument("iso3", required=False)
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="file to write; the suffix picks the format (.pdf .pptx, .png: page 1)",
)
@click.option("--view", type=click.Choice(sorted(VIEWS)), help="a region's brief (its countries) instead of ISO3")
@query_options(bbox=False)
@click.option("--lang", type=click.Choice(LANGS), help="language of the brief (default en)")
@click.option("--title", help="title (default: 'Country brief: <name>')")
@click.option("--role", type=click.Choice(ROLES), default="admin", show_default=True,
              help="write the brief as this role sees the data (public: sites at their country, no budgets)")
def brief(output: Path, iso3: str | None, view: str | None, lang: str | None, title: str | None, role: str,
          **query: str | None) -> None:
    """Write the briefing pack of country ISO3 (e.g. COD) or of a region (--view sahel): map, key figures,
    chart, tables, sources."""
    fmt = format_of_suffix(output.suffix)
    if bool(iso3) == bool(view):
        raise click.UsageError("give a country (ISO3) or a region (--view), one of them")
    params = query_params(**query, lang=lang, title=title)
    wanted = parse_brief(iso3, params) if iso3 else parse_brief(None, {**params, "view": str(view)})
    settings, raw = open_store()
    store = raw if role == "admin" else SecuredStore(raw, parse_role(role), CATALOGUE)
    brief_area(store, wanted)
    made = brief_file(store, settings, wanted, fmt)
    write_bytes_atomic(output, made.content)
    source = "cache" if made.from_cache else "rendered"
    click.echo(f"{output}: {len(made.content):,} bytes ({fmt}, {source}, data version {store.data_version})")
