"""Type aliases shared across coopmap."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

BBox = tuple[float, float, float, float]
"""(minx, miny, maxx, maxy) in EPSG:4326 degrees."""

AccessLevel = Literal["public", "restricted"]
Role = Literal["public", "planner", "analyst", "admin"]
"""Who is asking, lowest to highest; what each role sees is decided in ``layers/access.py`` only."""
ROLES: tuple[Role, ...] = ("public", "planner", "analyst", "admin")
GeometryType = Literal["Point", "Polygon", "MultiPolygon", "Geometry"]
FieldType = Literal["string", "integer", "number", "boolean", "date", "datetime", "list"]

WGS84 = "EPSG:4326"


@dataclass(frozen=True)
class Period:
    """A closed period [start, end] of dates, as OGC intervals; either end may be open (None)."""

    start: dt.date | None = None
    end: dt.date | None = None

    def __str__(self) -> str:
        left = self.start.isoformat() if self.start else ".."
        right = self.end.isoformat() if self.end else ".."
        return f"{left}/{right}"
