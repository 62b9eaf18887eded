"""What every command shares: settings, the store, and one-line errors."""

from __future__ import annotations

from typing import Any

import click

from geo.config import Settings
from geo.errors import CoopmapError
from geo.ingest.defaults import open_workspace
from geo.storage.store import Store, store_from_settings
from layers.tokens import TokenStore, token_store


class Group(click.Group):
    """A click group that prints coopmap errors on one line and exits 2, without a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except CoopmapError as exc:
            raise click.ClickException(str(exc)) from exc


click.ClickException.exit_code = 2


def closed_with_command(store: Store) -> Store:
    """``store``, closed when the running command ends (click closes the command's context on
    success, error or exit), so no connection of its pool outlives the command."""
    click.get_current_context().call_on_close(store.close)
    return store


def open_store(settings: Settings | None = None) -> tuple[Settings, Store]:
    """The workspace's store, with the default layers built on first use; closed when the command ends."""
    settings = settings or Settings()
    return settings, closed_with_command(open_workspace(settings))


def open_tokens(settings: Settings | None = None) -> TokenStore:
    """The workspace's token store (``layers.tokens.token_store``), without building any layer; its
    store is closed when the command ends."""
    settings = settings or Settings()
    return token_store(closed_with_command(store_from_settings(settings)), settings.home)
