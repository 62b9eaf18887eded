"""Query options shared by the analytics commands: the same vocabulary as the API.

``--datetime 2024-01-01/2024-12-31`` (OGC interval, ``..`` for an open end), ``--bbox
minx,miny,maxx,maxy`` and the event filters ``--event-type``, ``--sub-event-type``,
``--source-dataset`` (comma-separated alternatives) become the parameters ``geo.query``
parses, exactly as a URL's ``datetime=…&event_type=…`` would.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

FILTER_OPTIONS = (
    ("event_type", "--event-type"),
    ("sub_event_type", "--sub-event-type"),
    ("source_dataset", "--source-dataset"),
)


def query_options(*, bbox: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Add ``--datetime``, the event filters and (when ``bbox``) ``--bbox`` to a command."""

    def decorate(command: Callable[..., Any]) -> Callable[..., Any]:
        for name, flag in reversed(FILTER_OPTIONS):
            command = click.option(
                flag, name, help=f"keep events whose {name} is one of these (comma-separated)"
            )(command)
        command = click.option(
            "--datetime",
            "datetime_",
            metavar="START/END",
            help="period as an OGC interval, e.g. 2024 or 2024-01-01/.. "
            "(default: the last 12 months of data)",
        )(command)
        if bbox:
            command = click.option(
                "--bbox",
                metavar="MINX,MINY,MAXX,MAXY",
                help="area in degrees (default: the selected events' extent)",
            )(command)
        return command

    return decorate


def query_params(**values: Any) -> dict[str, str]:
    """The non-empty options as query parameters (``datetime_`` becomes ``datetime``)."""
    params = {}
    for name, value in values.items():
        if value is not None and str(value) != "":
            params[name.rstrip("_")] = str(value)
    return params
