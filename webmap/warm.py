"""Warming the app before it accepts requests: the first request then costs what any other does.

The first request after start used to pay for reading the event layer and building its index,
encoder and prepared arrays (2.4 s at 1M events). ``warm`` runs a fixed list of requests through
the app itself, as each role (each role has its own view of a layer, hence its own cache keys;
views the access policy leaves identical share one preparation, ``geo.cache.FRAMES``), in the
process that builds the app: under ``coopmap serve`` that is gunicorn's master, before it binds
the port and forks the workers, so every worker inherits the caches (their pages shared
copy-on-write) and the port only answers once a request can be served quickly.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from flask import Flask, g

from geo.types import ROLES, Role
from webmap.auth import Identity

WARM_PATHS = (
    "/ogc/collections/conflict-events/items?limit=1",
    "/ogc/collections/country-summary/items?limit=1",
    "/map-data/events?bbox=-180,-90,180,90&zoom=3",
    "/map-data/choropleth",
    "/",
    "/ogc/collections/province-summary/items?limit=1",
    "/ogc/collections/projects/items?limit=1",
    "/ogc/collections/envr/items?limit=1",
)
"""What a caller's first requests need: the event layer's index, encoder and prepared arrays, the
summaries and the map's views; the province units (admin1 names or polygons, per data version)
and the sites' default exposure, which any brief, snapshot or province summary then reuses."""
WARM_SECONDS = 120.0
"""Warming stops after the request that passes this budget; the rest warm on first use."""


@dataclass(frozen=True)
class Warmed:
    """One warming request: its path, the role it was made as, HTTP status and duration."""

    path: str
    role: Role
    status: int
    seconds: float


def warm(
    app: Flask,
    paths: Sequence[str] = WARM_PATHS,
    budget: float = WARM_SECONDS,
    report: Callable[[Warmed], None] | None = None,
    roles: Sequence[Role] = ROLES,
) -> list[Warmed]:
    """GET each of ``paths`` through ``app`` (no network) as each of ``roles``, until ``budget``
    seconds have passed.

    Parameters
    ----------
    app : the built coopmap app
    paths : request paths with their query strings
    budget : seconds; once a request ends past it, the requests left are not made
    report : called after each request (e.g. to log it)
    roles : who the requests are made as (no token is needed: the request is the app's own)

    Returns
    -------
    The requests made, in order (every path as the first role, then as the next...).

    Examples
    --------
    >>> [(w.role, w.status) for w in warm(create_app(), ["/"], roles=["public"])]  # doctest: +SKIP
    [('public', 200)]
    """
    done: list[Warmed] = []
    started = time.monotonic()
    for role in roles:
        for path in paths:
            begun = time.perf_counter()
            with app.test_request_context(path):
                g.coopmap_identity = Identity(role=role, name=f"warm-{role}", via="none")
                response = app.full_dispatch_request()
                response.close()
            done.append(Warmed(path, role, response.status_code, time.perf_counter() - begun))
            if report is not None:
                report(done[-1])
            if time.monotonic() - started >= budget:
                return done
    return done
