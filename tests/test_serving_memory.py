"""What a serving process holds: the stored events without their source-row archive, narrow codes,
one preparation for the role views of one frame (issue 15, memory)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import orjson
import pyarrow as pa

from geo.analytics.prepared import prepared_events
from geo.cache import PREPARED, LRUCache
from geo.events import events_frame
from geo.features.index import LayerIndex
from geo.storage.store import Store
from layers import CATALOGUE
from layers.secured import SecuredStore


def _two_events() -> object:
    original = [orjson.dumps({"event_id_cnty": f"E{i}", "notes": "x" * 100}).decode() for i in range(2)]
    return events_frame(
        {"event_id": ["E0", "E1"], "event_type": ["Battles", "Protests"], "fatalities": [3, 0],
         "event_date": ["2024-01-01", "2024-02-01"], "original": original},
        lon=[29.0, 30.0], lat=[-1.0, -2.0],
    )


def test_read_leaves_out_the_source_row_archive_but_scan_keeps_it(open_store: Callable[[], Store]):
    writer = open_store()
    writer.write("conflict-events", _two_events(), ["test"])
    for store in (writer, open_store()):  # the writer's cached frame, then a fresh read
        frame = store.read("conflict-events")
        assert "original" not in frame.columns
        assert list(frame["event_id"]) == ["E0", "E1"] and list(frame["fatalities"]) == [3, 0]
        assert frame.geometry.x.tolist() == [29.0, 30.0]
    # the archive is still stored, for the ingest
    scanned = pa.concat_tables(open_store().scan("conflict-events"))
    assert [orjson.loads(text)["event_id_cnty"] for text in scanned.column("original").to_pylist()] == ["E0", "E1"]


def test_codes_of_a_column_with_few_values_take_one_byte_per_row():
    n = 1000
    types = np.array(["A", "B", "C"])[np.arange(n) % 3]
    frame = events_frame({"event_type": types.tolist()}, lon=np.zeros(n), lat=np.zeros(n))
    index = LayerIndex(frame, None)
    codes, labels = index.codes("event_type")
    assert codes.nbytes == n  # 3 values: one byte per row, not eight
    assert sorted(labels) == ["A", "B", "C"]
    # rows 1, 4, ..., 997 are "B": (997 - 1) / 3 + 1 = 333 rows
    found = index.find("event_type", "B")
    assert len(found) == 333 and found[0] == 1 and found[-1] == 997


def test_role_views_of_the_same_events_share_one_preparation(store: Store):
    # Equal content has an equal data version in every workspace, so an earlier test's arrays of the
    # same events may sit in the process-wide cache under the public view's key: start without them.
    PREPARED.clear()
    frames = LRUCache(8)
    public, planner = (SecuredStore(store, role, CATALOGUE, frames) for role in ("public", "planner"))
    assert public.data_version != planner.data_version  # one cache key per view...
    assert public.read("conflict-events") is planner.read("conflict-events")  # ...of the same frame
    assert len(prepared_events(public)) > 0
    assert prepared_events(public) is prepared_events(planner)  # prepared once, not once per role
