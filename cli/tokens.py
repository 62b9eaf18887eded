"""``coopmap tokens``: issue, list and revoke API tokens (the admin's tool)."""

from __future__ import annotations

import click

from cli.common import Group, open_tokens
from geo.types import ROLES


@click.group(cls=Group)
def tokens() -> None:
    """Manage the API tokens of the workspace (stored hashed; a token is shown once)."""


@tokens.command("create")
@click.option("--role", required=True, type=click.Choice(ROLES), help="what the token may see")
@click.option("--name", required=True, help="who or what holds the token (unique; used to revoke it)")
def create(role: str, name: str) -> None:
    """Issue a token and print it: copy it now, it cannot be shown again."""
    token = open_tokens().create(name, role)
    click.echo(f"token {name!r} ({role}) created; it is shown only this once:", err=True)
    click.echo(token)


@tokens.command("list")
def list_() -> None:
    """List the tokens (names, roles, creation dates; never the tokens themselves)."""
    records = open_tokens().records()
    if not records:
        click.echo("no tokens")
        return
    click.echo(f"{'name':<24} {'role':<8} created")
    for record in records:
        click.echo(f"{record.name:<24} {record.role:<8} {record.created}")


@tokens.command("revoke")
@click.argument("name")
def revoke(name: str) -> None:
    """Revoke the token NAME: requests and sessions using it become public at once."""
    record = open_tokens().revoke(name)
    click.echo(f"token {record.name!r} ({record.role}) revoked")
