"""The store interface: what every store (embedded GeoParquet, PostGIS) keeps and answers.

``Store`` is the one place coopmap's persistent state lives: layers and their data version, the
boundaries at every level of detail, ingest reports (rejects), secrets, and locks. Implementations:
``geo.storage.store.ParquetStore`` (embedded) and ``geo.storage.postgis.PostgisStore``.
"""

from __future__ import annotations

import hashlib
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Self

import geopandas as gpd
import numpy as np
import orjson
import pyarrow as pa

from geo.cql import CqlFilter
from geo.errors import InvalidParameter
from geo.types import BBox, Period

if TYPE_CHECKING:
    from geo.storage.pgtiles import TileSpec

SCAN_ROWS = 100_000
"""Rows per table from ``ParquetStore.scan``."""

ARCHIVE_COLUMNS = ("original",)
"""Columns a layer keeps for provenance only (``original``: each event's source row as JSON text) that
``Store.read`` leaves out: nothing is served from them, and in memory they outweigh every other column
together (about 630 of 990 MB for 1M events). ``Store.scan`` and the ingest still see them."""

NAME = re.compile(r"[^./\\\x00][^/\\\x00]{0,127}")
"""Names of reports, secrets and locks: up to 128 characters, no slash, not starting with a dot."""


@dataclass
class LayerRecord:
    """What the manifest knows of one stored layer."""

    rows: int
    sources: list[str]
    updated: str
    digest: str


@dataclass
class Manifest:
    """The store's table of contents; ``data_version`` changes whenever any layer changes."""

    data_version: str = "empty"
    layers: dict[str, LayerRecord] = field(default_factory=dict)

    def to_json(self) -> bytes:
        return orjson.dumps(
            {"data_version": self.data_version, "layers": {k: asdict(v) for k, v in self.layers.items()}},
            option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS,
        )

    @classmethod
    def from_json(cls, raw: bytes) -> Manifest:
        data = orjson.loads(raw)
        layers = {k: LayerRecord(**v) for k, v in data.get("layers", {}).items()}
        return cls(data_version=data["data_version"], layers=layers)


@dataclass
class BatchWriter:
    """Appends Arrow tables to a layer being replaced (see ``Store.write_batches``)."""

    append: Callable[[pa.Table], None]
    sources: list[str] = field(default_factory=list)
    rows: int = 0

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table``."""
        if table.num_rows:
            self.append(table)
            self.rows += table.num_rows


class PushdownUnsupported(Exception):
    """The store cannot answer this selection itself: the caller selects in memory instead."""


@dataclass(frozen=True)
class RowQuery:
    """A selection of stored rows that a store may answer itself (``Store.select_rows``).

    ``bbox``, ``period`` and ``filters`` mean what ``geo.query.Query`` means; the period selects by
    the time span given as plain column names, with the rule of ``geo.registries.periods``:
    ``start`` (a date, timestamp or year column), ``end`` (a null end: ongoing; None: an instant
    unless ``ongoing``), ``absent`` (column, value) rows that match no period. ``sortby`` orders the
    rows (then the stored order), as ``geo.features.index.LayerIndex.select`` does.
    """

    bbox: BBox | None = None
    period: Period | None = None
    filters: tuple[tuple[str, tuple[str, ...]], ...] = ()
    start: str | None = None
    end: str | None = None
    ongoing: bool = False
    absent: tuple[str, str] | None = None
    sortby: tuple[tuple[str, bool], ...] = ()
    cql: CqlFilter | None = None
    """A checked CQL2 filter (``geo.cql``), AND-ed with the rest (``geo.storage.pgcql``)."""

    def key(self) -> str:
        """A stable text key, for caches."""
        return repr(self)


@dataclass(frozen=True)
class Selected:
    """The answer of ``Store.select_rows``: the rows matching, read at ``digest``."""

    digest: str
    fids: np.ndarray
    """Stored row numbers (1, 2, ... in stored order) of the matches, in the query's order."""
    columns: tuple[str, ...]
    """The layer's stored columns, geometry excepted."""


@dataclass(frozen=True)
class LayerOverview:
    """What a collection's metadata says of a stored layer, answered by the store itself.

    ``first``/``last`` are ISO dates (``last`` None: some feature is ongoing; both None: no known
    start), as ``geo.registries.periods.extent`` gives them.
    """

    digest: str
    rows: int
    schema: pa.Schema
    geometry_types: tuple[str, ...]
    bbox: BBox | None
    first: str | None
    last: str | None


REGISTRIES = ("envr", "projects")
"""The registries kept as editable records (``Store.registry_change``)."""


@dataclass(frozen=True)
class RecordVersion:
    """One version of one registry record: the registry row as text (its CSV cells), who made it.

    ``action`` is ``create``, ``replace``, ``patch``, ``retire``, ``restore`` or ``ingest`` (a bulk
    file load: one ``change`` for all its records); ``at`` is an ISO 8601 UTC time.
    """

    record_id: str
    version: int
    action: str
    actor: str
    values: dict[str, str]
    retired: bool = False
    at: str = ""
    change: int = 0

    def to_json(self) -> dict[str, object]:
        return asdict(self)


class RegistryChange(ABC):
    """One change of a registry, open inside ``Store.registry_change``: the current records, read
    under the change's lock, and ``save`` of the new versions with the rebuilt layers."""

    @abstractmethod
    def current(self) -> dict[str, RecordVersion]:
        """The newest version of every record (retired ones included), by record id."""

    @abstractmethod
    def save(self, versions: Sequence[RecordVersion], layers: Mapping[str, gpd.GeoDataFrame],
             sources: list[str]) -> None:
        """Add ``versions`` (their ``at`` and ``change`` are set here) and replace ``layers``;
        nothing is visible to readers before the ``with`` block ends without an error. Call once."""


class Store(ABC):
    """Storage of layer data, addressed by layer id.

    A store MAY answer selections itself (``pushdown`` True: ``select_rows``, ``fetch_rows``,
    ``overview``), so that a request reads the matching rows only, never the whole layer; the
    embedded store does not, and its callers select in memory (``layers.selection``).
    """

    pushdown: bool = False
    """True when ``select_rows``, ``fetch_rows`` and ``overview`` are implemented."""

    def select_rows(self, layer_id: str, query: RowQuery) -> Selected:
        """The stored rows of ``layer_id`` matching ``query``, in its order;
        ``PushdownUnsupported`` when the store cannot answer this query (the caller selects in
        memory), ``LayerNotFound`` if absent."""
        raise PushdownUnsupported(f"{type(self).__name__} selects in memory")

    def fetch_rows(self, layer_id: str, fids: np.ndarray, columns: Sequence[str], digest: str) -> pa.Table:
        """The rows ``fids`` of ``layer_id`` (``select_rows`` numbers, read at ``digest``), in
        that order: ``columns`` then WKB ``geometry``, typed as ``scan`` gives them."""
        raise PushdownUnsupported(f"{type(self).__name__} selects in memory")

    def overview(self, layer_id: str, query: RowQuery) -> LayerOverview:
        """Rows, bbox and time extent (by ``query``'s span columns) of ``layer_id``."""
        raise PushdownUnsupported(f"{type(self).__name__} selects in memory")

    def count_rows(self, layer_id: str, query: RowQuery, limit: int) -> int:
        """The number of rows of ``layer_id`` matching ``query``, counted up to ``limit``."""
        raise PushdownUnsupported(f"{type(self).__name__} selects in memory")

    def tile(self, layer_id: str, query: RowQuery, spec: TileSpec) -> bytes:
        """The Mapbox Vector Tile of the rows of ``layer_id`` matching ``query`` (``spec``: its box,
        kind and columns; ``geo.storage.pgtiles``)."""
        raise PushdownUnsupported(f"{type(self).__name__} makes tiles in memory")

    @abstractmethod
    def read(self, layer_id: str) -> gpd.GeoDataFrame:
        """Return the stored frame of ``layer_id`` without its ``ARCHIVE_COLUMNS``; raise ``LayerNotFound``
        if absent."""

    @abstractmethod
    def write(self, layer_id: str, frame: gpd.GeoDataFrame, sources: list[str]) -> None:
        """Replace the data of ``layer_id`` atomically and bump the data version."""

    @abstractmethod
    def write_batches(
        self, layer_id: str, schema: pa.Schema, geometry_types: Sequence[str] = ()
    ) -> AbstractContextManager[BatchWriter]:
        """Replace the data of ``layer_id`` from Arrow tables (``schema``, WKB ``geometry`` in
        EPSG:4326) written one by one, so memory is bounded by a table, not the layer.

        The new data replaces the old, and the data version changes, only when the ``with``
        block ends without an error; set ``BatchWriter.sources`` inside the block.

        Examples
        --------
        >>> with store.write_batches("conflict-events", schema, ["Point"]) as out:  # doctest: +SKIP
        ...     for table in tables:
        ...         out.write(table)
        ...     out.sources = ["acled.csv"]
        """

    @abstractmethod
    def scan(self, layer_id: str, columns: Sequence[str] | None = None) -> Iterator[pa.Table]:
        """The stored rows of ``layer_id`` as Arrow tables of bounded size, in stored order
        (geometry as WKB); raise ``LayerNotFound`` if absent, ``InvalidParameter`` for a column
        the layer lacks (``checked_columns``)."""

    @abstractmethod
    def has(self, layer_id: str) -> bool:
        """True when ``layer_id`` has stored data."""

    @abstractmethod
    def manifest(self) -> Manifest:
        """The current manifest."""

    @property
    def data_version(self) -> str:
        return self.manifest().data_version

    @abstractmethod
    def boundaries(self, detail: str = "countries") -> gpd.GeoDataFrame:
        """The admin-0 polygons at one level of detail, in EPSG:4326.

        ``"countries"`` is the stored ``countries`` layer; ``"countries_z4"`` and
        ``"countries_z2"`` are its simplified variants for low zoom levels
        (``geo.boundaries.countries.SIMPLIFIED_VARIANTS``). Raise ``InvalidParameter`` for
        another ``detail`` and ``LayerNotFound`` when the store has none.
        """

    @abstractmethod
    def save_report(self, name: str, table: pa.Table) -> str | None:
        """Keep the ingest report ``name`` (e.g. ``"acled_drc.rejects"``), replacing any earlier
        report of that name; an empty ``table`` deletes it.

        A rejects report is ``geo.storage.rejects.rejects_table``: ``line``, ``reason``, then the
        rejected rows' own columns. Returns where the report is kept, for the user to open (a
        file path for the embedded store), or None when it was deleted.
        """

    @abstractmethod
    def reports(self) -> list[str]:
        """The names of the kept reports, sorted."""

    @abstractmethod
    def read_report(self, name: str) -> pa.Table:
        """The report ``name``: ``line`` as int64, other columns as text (null when empty);
        raise ``InvalidParameter`` if there is none."""

    @abstractmethod
    def secret(self, name: str) -> bytes:
        """The secret ``name`` (e.g. the session-signing key): random, created once (readable by
        the service's user only), then the same for every worker, server and restart."""

    @abstractmethod
    def lock(self, name: str) -> AbstractContextManager[None]:
        """An exclusive lock ``name`` shared by every process using this store, held for a
        ``with`` block (``coopmap init`` builds the default workspace under ``lock("init")``)."""

    @abstractmethod
    def registry_versions(self, registry: str, record_id: str | None = None) -> list[RecordVersion]:
        """Every version of the records of ``registry`` (one ``REGISTRIES``), or of one record, by
        record id then version; empty when the registry has no records yet."""

    @abstractmethod
    def registry_change(self, registry: str) -> AbstractContextManager[RegistryChange]:
        """One change of ``registry``: exclusive against every other change of it (every process and
        server), applied as a whole when the block ends without an error (records, history and
        layers, and the data version moves), else not at all.

        Examples
        --------
        >>> with store.registry_change("envr") as change:  # doctest: +SKIP
        ...     current = change.current()
        ...     change.save([new_version], {"envr": frame}, ["registry edit"])
        """

    def close(self) -> None:
        """Release what the store holds open (the PostGIS store's connection pool); the embedded
        store holds nothing between calls. A command that opens a store closes it."""
        return None

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def checked_registry(registry: str) -> str:
    if registry not in REGISTRIES:
        raise InvalidParameter("registry", registry, f"use one of {', '.join(REGISTRIES)}")
    return registry


def checked_name(kind: str, name: str) -> str:
    if not NAME.fullmatch(name):
        raise InvalidParameter(kind, name, "use up to 128 characters, no slash, not starting with '.'")
    return name


def checked_columns(layer_id: str, names: Sequence[str], columns: Sequence[str] | None) -> list[str] | None:
    """``columns`` (as a list) when the layer ``layer_id``, whose columns are ``names``, has each of
    them; ``InvalidParameter`` naming the first it lacks. Every store's ``scan`` checks this way.

    Examples
    --------
    >>> checked_columns("envr", ["name", "geometry"], ["name"])
    ['name']
    """
    if columns is None:
        return None
    unknown = [c for c in columns if c not in names]
    if unknown:
        raise InvalidParameter("columns", unknown[0], f"layer {layer_id!r} has no such column")
    return list(columns)


def version_of(layers: Mapping[str, LayerRecord]) -> str:
    """The data version of a set of layers: a hash of their ids and digests, in id order.

    The store's manifest and every role's view of it (``layers.secured.SecuredStore``) use it, so
    equal layers give equal versions.

    Examples
    --------
    >>> version_of({"countries": LayerRecord(rows=1, sources=[], updated="", digest="abc")})
    '0b7ade1507033c72'
    """
    h = hashlib.blake2b(digest_size=8)
    for layer_id in sorted(layers):
        h.update(f"{layer_id}:{layers[layer_id].digest};".encode())
    return h.hexdigest()


def simplified_path(boundaries_dir: Path, detail: str) -> Path:
    """The committed file of the simplified countries ``detail`` (``countries_z4``,
    ``countries_z2``) under ``boundaries_dir``; ``InvalidParameter`` for another ``detail``."""
    path = Path(boundaries_dir) / f"{detail}.parquet"
    if not re.fullmatch(r"countries_z\d", detail) or not path.exists():
        raise InvalidParameter("detail", detail, "use 'countries', 'countries_z4' or 'countries_z2'")
    return path
