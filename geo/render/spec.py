"""The parameters of a snapshot, parsed and validated once for the web and the CLI.

The names are the map page's and the features API's: ``view``, ``iso3``, ``bbox``, ``layers``,
``metric``, ``datetime``, property filters (``event_type``...), ``width``, ``height``, ``dpi``,
``title``, ``lang``. ``bbox``, ``datetime`` and the filters are parsed by ``geo.query``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass

from geo.analytics.summaries import SUMMARY_FILTERS
from geo.errors import InvalidParameter
from geo.i18n import LANGS
from geo.query import Query, parse_query
from geo.render.cartography import METRICS
from geo.render.style import MapLayer, drawing_order
from geo.render.views import VIEWS

FORMATS = ("png", "svg", "pdf")
FILTERS = SUMMARY_FILTERS
"""Property filters a snapshot accepts (they select the conflict events)."""
RESERVED = ("view", "iso3", "layers", "metric", "width", "height", "dpi", "title", "lang")

MAX_PIXELS = 4000
MIN_PIXELS = 200
DPI_RANGE = (50, 300)
MAX_TITLE = 160
DEFAULTS = {"width": 1200, "height": 750, "dpi": 100}
RENDERER_VERSION = "3"
"""Bump when the drawing changes, so cached files of the old look are not served."""


@dataclass(frozen=True)
class SnapshotSpec:
    """A validated snapshot request. ``key`` identifies it (with the data version) in the cache."""

    view: str | None
    iso3: str | None
    query: Query
    layers: tuple[str, ...]
    metric: str
    width: int
    height: int
    dpi: int
    title: str
    lang: str
    datetime_text: str = ""

    def params(self) -> list[tuple[str, str]]:
        """Canonical parameters (defaults filled in, fixed order) for links and keys."""
        out: list[tuple[str, str]] = []
        if self.query.bbox is not None:
            out.append(("bbox", ",".join(f"{v:g}" for v in self.query.bbox)))
        elif self.iso3:
            out.append(("iso3", self.iso3))
        else:
            out.append(("view", self.view or "africa"))
        out.append(("layers", ",".join(self.layers)))
        out.append(("metric", self.metric))
        if self.datetime_text:
            out.append(("datetime", self.datetime_text))
        out.extend((name, ",".join(values)) for name, values in self.query.filters)
        out.extend(
            [("width", str(self.width)), ("height", str(self.height)), ("dpi", str(self.dpi))]
        )
        if self.title:
            out.append(("title", self.title))
        out.append(("lang", self.lang))
        return out

    def summary_params(self) -> dict[str, str]:
        """The parameters the ``country-summary`` source takes (period and filters)."""
        params = {name: ",".join(values) for name, values in self.query.filters}
        if self.datetime_text:
            params["datetime"] = self.datetime_text
        return params

    def key(self, fmt: str, data_version: str) -> str:
        """A stable hash of the parameters, format, data version and renderer version."""
        text = repr((RENDERER_VERSION, fmt, data_version, self.params()))
        return hashlib.blake2b(text.encode("utf-8"), digest_size=16).hexdigest()


def parse_snapshot(params: Mapping[str, str], layers: Mapping[str, MapLayer]) -> SnapshotSpec:
    """Validate snapshot parameters; raise ``InvalidParameter`` naming the first bad one.

    Parameters
    ----------
    params : request or CLI parameters (strings)
    layers : the layers by id (the catalogue's ``map_layers()``): ``layers=`` may name those with
        a drawing order; the spec lists them bottom to top, and without ``layers=`` the
        ``snapshot_default`` ones

    Returns
    -------
    SnapshotSpec

    Examples
    --------
    >>> parse_snapshot({"view": "sahel", "width": "800"}, layers).width  # doctest: +SKIP
    800
    """
    params = {k: str(v) for k, v in params.items()}
    query = parse_query(params, FILTERS, strict=True, reserved=RESERVED)
    if query.bbox is not None:
        _check_span(query.bbox, params["bbox"])
    view = params.get("view") or None
    if view is not None and view not in VIEWS:
        raise InvalidParameter("view", view, f"unknown view; use one of {sorted(VIEWS)}")
    iso3 = (params.get("iso3") or "").strip().upper() or None
    if iso3 is not None and not (len(iso3) == 3 and iso3.isalpha()):
        raise InvalidParameter(
            "iso3", params["iso3"], "expected an ISO 3166-1 alpha-3 code such as COD"
        )
    width = _integer(params, "width", MIN_PIXELS, MAX_PIXELS)
    height = _integer(params, "height", MIN_PIXELS, MAX_PIXELS)
    dpi = _integer(params, "dpi", *DPI_RANGE)
    return SnapshotSpec(
        view=view if (query.bbox is None and iso3 is None) else None,
        iso3=iso3 if query.bbox is None else None,
        query=query,
        layers=_layers(params.get("layers"), drawing_order(layers.values())),
        metric=_choice(params, "metric", METRICS),
        width=width,
        height=height,
        dpi=dpi,
        title=_title(params.get("title", "")),
        lang=_choice(params, "lang", LANGS),
        datetime_text=str(query.period) if query.period else "",
    )


def format_of_suffix(suffix: str) -> str:
    """``.png`` → ``png``; an ``InvalidParameter`` for anything but PNG, SVG and PDF."""
    fmt = suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise InvalidParameter("format", suffix, f"use one of {list(FORMATS)}")
    return fmt


def _layers(text: str | None, drawable: tuple[MapLayer, ...]) -> tuple[str, ...]:
    ids = [layer.id for layer in drawable]
    if not text:
        return tuple(layer.id for layer in drawable if layer.snapshot_default)
    names = [p.strip() for p in text.split(",") if p.strip()]
    if not names:
        raise InvalidParameter("layers", text, "name at least one layer")
    for name in names:
        if name not in ids:
            raise InvalidParameter("layers", text, f"unknown layer {name!r}; snapshots draw {ids}")
    return tuple(name for name in ids if name in names)


def _integer(params: Mapping[str, str], name: str, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return DEFAULTS[name]
    try:
        value = int(raw)
    except ValueError:
        raise InvalidParameter(name, raw, "expected a whole number") from None
    if not low <= value <= high:
        raise InvalidParameter(name, raw, f"must be between {low} and {high}")
    return value


def _choice(params: Mapping[str, str], name: str, choices: tuple[str, ...]) -> str:
    value = params.get(name) or choices[0]
    if value not in choices:
        raise InvalidParameter(name, value, f"use one of {list(choices)}")
    return value


def _title(text: str) -> str:
    text = " ".join(text.split())
    if len(text) > MAX_TITLE:
        raise InvalidParameter("title", text[:40] + "…", f"at most {MAX_TITLE} characters")
    return text


def _check_span(bbox: tuple[float, float, float, float], text: str) -> None:
    if bbox[2] - bbox[0] < 0.05 or bbox[3] - bbox[1] < 0.05:
        raise InvalidParameter("bbox", text, "the box must span at least 0.05 degrees")
