"""The digest of a layer's content, computed the same way by every store while it writes.

A layer's digest (``LayerRecord.digest``) and with it the data version (``version_of``) depend on
the rows written and their columns' names and types, nothing else: not the store, the file or table
layout, the compression, the metadata, nor how the rows were cut into tables. The same data written
to the embedded store or to PostGIS, by ``write`` or by ``write_batches``, gets the same digest.

The rows are re-cut into pieces of ``DIGEST_ROWS`` (the last one shorter) and each piece is hashed
in its Arrow IPC form, with dictionary columns (pandas categories) as their plain values, so that
two dictionaries of the same values hash the same, and a fixed-width column with nulls as where its
nulls are plus its values with zeros in their place (the bytes under a null are not content).
"""

from __future__ import annotations

import hashlib

import orjson
import pyarrow as pa
import pyarrow.compute as pc

DIGEST_ROWS = 65_536
"""Rows per hashed piece: the digest's unit, independent of the tables the writer is given."""


def _plain_type(kind: pa.DataType) -> pa.DataType:
    return kind.value_type if pa.types.is_dictionary(kind) else kind


class LayerDigest:
    """The running digest of a layer being written: ``update`` with each table, in order, then
    ``hexdigest``.

    Parameters
    ----------
    schema : the layer's Arrow schema (metadata and dictionary encodings do not count)

    Examples
    --------
    >>> import pyarrow as pa
    >>> table = pa.table({"n": [1, 2, 3]})
    >>> one, two = LayerDigest(table.schema), LayerDigest(table.schema)
    >>> one.update(table)
    >>> two.update(table.slice(0, 1)); two.update(table.slice(1))
    >>> one.hexdigest() == two.hexdigest()
    True
    """

    def __init__(self, schema: pa.Schema) -> None:
        self.schema = pa.schema([pa.field(f.name, _plain_type(f.type)) for f in schema])
        self._hash = hashlib.sha256()  # SHA-256 rather than BLAKE2b: twice as fast where the CPU has SHA instructions
        self._hash.update(orjson.dumps([[f.name, str(f.type)] for f in self.schema]))
        self._pending: list[pa.Table] = []
        self._rows = 0

    def update(self, table: pa.Table) -> None:
        """Add the rows of ``table`` (the layer's columns, in any order; others are ignored)."""
        if not table.num_rows:
            return
        self._pending.append(table.select(self.schema.names).cast(self.schema))
        self._rows += table.num_rows
        if self._rows >= DIGEST_ROWS:
            pending = pa.concat_tables(self._pending)
            whole = self._rows - self._rows % DIGEST_ROWS
            for start in range(0, whole, DIGEST_ROWS):
                self._hash_piece(pending.slice(start, DIGEST_ROWS))
            rest = pending.slice(whole)
            self._pending, self._rows = ([rest] if rest.num_rows else []), rest.num_rows

    def hexdigest(self) -> str:
        """The digest of every row added so far: 24 hex digits."""
        final = self._hash.copy()
        if self._pending:
            final.update(self._piece_bytes(pa.concat_tables(self._pending)))
        return final.hexdigest()[:24]

    def _hash_piece(self, piece: pa.Table) -> None:
        self._hash.update(self._piece_bytes(piece))

    @staticmethod
    def _piece_bytes(piece: pa.Table) -> memoryview:
        # each column copied into one array starting at 0 (a slice of a string column would carry
        # its parent's bytes into the IPC form): the cut of the rows into tables does not show
        columns: list[pa.Array] = []
        for column in piece.columns:
            array = pa.concat_arrays(column.chunks)
            if array.null_count and pa.types.is_primitive(array.type):
                # the bytes under a null are whatever the producer left there (pandas keeps a
                # masked value, a Parquet reader zeros): hash where the nulls are, and zeros
                zero = pa.scalar(False) if pa.types.is_boolean(array.type) else pa.scalar(0, array.type)
                columns += [pc.is_valid(array), pc.fill_null(array, zero)]
            else:
                columns.append(array)
        names = [str(i) for i in range(len(columns))]
        return memoryview(pa.RecordBatch.from_arrays(columns, names=names).serialize())
