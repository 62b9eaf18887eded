"""Upsert by ``(source_dataset, event_id)`` without holding the layer in memory.

``Upsert`` keeps only the keys of the stored rows and a digest of each row's ``original`` (the
source row as JSON text); incoming blocks are classified against them as they stream past, and
at the end it says which stored rows to keep (those not in the new file, minus the synthetic
demo rows when real data arrives).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from geo.events import SYNTHETIC
from geo.storage.store import Store

KEY_COLUMNS = ["source_dataset", "event_id", "original"]


class Upsert:
    """Stored keys of a layer and what the incoming rows do to them."""

    def __init__(self, store: Store, layer_id: str) -> None:
        keys, digests, demo = [], [], []
        if store.has(layer_id):
            for table in store.scan(layer_id, KEY_COLUMNS):
                keys.append(_keys(table))
                digests.append(_digests(table.column("original")))
                demo.append(_demo(table))
        self.index = pd.Index(
            np.concatenate(keys) if keys else np.array([], dtype=object), dtype=object
        )
        self.digest = np.concatenate(digests) if digests else np.array([], dtype=np.int64)
        self.demo = np.concatenate(demo) if demo else np.array([], dtype=bool)
        self.replaced = np.zeros(len(self.index), dtype=bool)
        self.real = False
        self.new = 0
        self.matched = {(demo, same): 0 for demo in (False, True) for same in (False, True)}

    def classify(self, table: pa.Table) -> None:
        """Count the rows of ``table`` (event columns and ``original``) as new or matched."""
        if not table.num_rows:
            return
        self.real = self.real or not bool(np.all(_demo(table)))
        if not len(self.index):
            self.new += table.num_rows
            return
        position = self.index.get_indexer(_keys(table))
        known = position >= 0
        self.new += int((~known).sum())
        if not known.any():
            return
        position = position[known]
        same = self.digest[position] == _digests(table.column("original").filter(pa.array(known)))
        self.replaced[position] = True
        for demo in (False, True):
            for match in (False, True):
                self.matched[demo, match] += int(
                    ((self.demo[position] == demo) & (same == match)).sum()
                )

    def kept(self) -> np.ndarray:
        """Stored rows to keep, in stored order."""
        return ~self.replaced & ~(self.demo if self.real else False)

    def counts(self) -> tuple[int, int, int, int]:
        """``(added, updated, unchanged, removed_demo)``: loading real data first removes the
        synthetic demo rows, so incoming rows matching them count as added."""
        m = self.matched
        if self.real:
            added = self.new + m[True, False] + m[True, True]
            return added, m[False, False], m[False, True], int(self.demo.sum())
        return self.new, m[False, False] + m[True, False], m[False, True] + m[True, True], 0


def _keys(table: pa.Table) -> np.ndarray:
    joined = pc.binary_join_element_wise(
        pc.cast(table.column("source_dataset"), pa.large_string()),
        pc.cast(table.column("event_id"), pa.large_string()),
        pa.scalar("\x1f", pa.large_string()),
    )
    return joined.to_numpy(zero_copy_only=False)


def _digests(original: pa.ChunkedArray | pa.Array) -> np.ndarray:
    """A 64-bit digest of each text, valid within this process (Python's string hash)."""
    values = original.to_numpy(zero_copy_only=False)
    return np.fromiter(map(hash, values), dtype=np.int64, count=len(values))


def _demo(table: pa.Table) -> np.ndarray:
    return pc.equal(table.column("source_dataset"), SYNTHETIC).to_numpy(zero_copy_only=False)
