"""Warming the app before it accepts requests: the first request then costs what any other does.

The first request after start used to pay for reading the event layer and building its index,
encoder and prepared arrays (2.4 s at 1M events). ``warm`` runs a fixed list of requests through
the app itself, in the process that builds it: under ``coopmap serve`` that is gunicorn's master,
before it binds the port and forks the workers, so every worker inherits the caches (their pages
shared copy-on-write) and the port only answers once a request can be served quickly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask

WARM_PATHS = (
    "/ogc/collections/conflict-events/items?limit=1",
    "/ogc/collections/country-summary/items?limit=1",
    "/map-data/events?bbox=-180,-90,180,90&zoom=3",
    "/map-data/choropleth",
    "/",
)
"""What a public caller's first requests need: the event layer's index, encoder and prepared
arrays, the summaries and the map's views (a planner's view of the events shares them)."""
WARM_SECONDS = 120.0
"""Warming stops after the request that passes this budget; the rest warm on first use."""


@dataclass(frozen=True)
class Warmed:
    """One warming request: its path, HTTP status and duration."""

    path: str
    status: int
    seconds: float


def warm(
    app: Flask,
    paths: Sequence[str] = WARM_PATHS,
    budget: float = WARM_SECONDS,
    report: Callable[[Warmed], None] | None = None,
) -> list[Warmed]:
    """GET each of ``paths`` through ``app`` (no network), as an anonymous caller, until ``budget``
    seconds have passed.

    Parameters
    ----------
    app : the built coopmap app
    paths : request paths with their query strings
    budget : seconds; once a request ends past it, the paths left are not requested
    report : called after each request (e.g. to log it)

    Returns
    -------
    The requests made, in order.

    Examples
    --------
    >>> [w.status for w in warm(create_app(), ["/"])]  # doctest: +SKIP
    [200]
    """
    done: list[Warmed] = []
    started = time.monotonic()
    client = app.test_client()
    for path in paths:
        begun = time.perf_counter()
        response = client.get(path)
        response.close()
        done.append(Warmed(path, response.status_code, time.perf_counter() - begun))
        if report is not None:
            report(done[-1])
        if time.monotonic() - started >= budget:
            break
    return done
