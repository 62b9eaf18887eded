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


def open_store(settings: Settings | None = None) -> tuple[Settings, Store]:
    """The workspace's store, with the default layers built on first use."""
    settings = settings or Settings()
    return settings, open_workspace(settings)


def open_tokens(settings: Settings | None = None) -> TokenStore:
    """The workspace's token store (``layers.tokens.token_store``), without building any layer."""
    settings = settings or Settings()
    return token_store(store_from_settings(settings), settings.home)
