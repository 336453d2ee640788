"""The run journal reads back what it wrote, and skips lines of any other shape.

Recovery trusts each entry's fields (``data.get("licence")``, the reservation id), so a
line that parses as JSON but is not what ``Journal.record`` writes is skipped like a torn
one, instead of stopping the station's start with an AttributeError.
"""

from __future__ import annotations

import json

import pytest

from pressroom.engine.journal import Journal, read_journals


def test_entries_read_back_as_recorded(tmp_path):
    j = Journal(tmp_path, "run1")
    j.record("reserved", drive_id="sim:a", reservation_id=7, licence="ab" * 16, identity=None)
    j.record("licence-writing", drive_id="sim:a", reservation_id=7)
    entries = list(read_journals(tmp_path))
    assert [(e.run_id, e.event, e.reservation_id, e.drive_id) for e in entries] == [
        ("run1", "reserved", 7, "sim:a"),
        ("run1", "licence-writing", 7, "sim:a"),
    ]
    assert entries[0].data == {"licence": "ab" * 16, "identity": None}
    assert entries[1].data == {}


GOOD = {"run": "r", "event": "reserved", "reservation": 1, "drive": "d", "data": {}, "at": 1.5}


@pytest.mark.parametrize(
    "line",
    [
        '{"run": "r", "event": "reser',  # torn by a crash mid-write
        "[1, 2]",
        '"text"',
        json.dumps({**GOOD, "data": "x"}),
        json.dumps({**GOOD, "data": [1]}),
        json.dumps({**GOOD, "data": {"licence": 5}}),
        json.dumps({**GOOD, "reservation": "1"}),
        json.dumps({**GOOD, "reservation": True}),
        json.dumps({**GOOD, "run": 3}),
        json.dumps({**GOOD, "at": "now"}),
        json.dumps({k: v for k, v in GOOD.items() if k != "drive"}),
    ],
)
def test_a_line_of_another_shape_is_skipped(tmp_path, line):
    (tmp_path / "r.jsonl").write_text(json.dumps(GOOD) + "\n" + line + "\n", encoding="utf-8")
    entries = list(read_journals(tmp_path))
    assert [(e.event, e.reservation_id, e.data) for e in entries] == [("reserved", 1, {})]


def test_missing_reservation_and_data_read_as_none_and_empty(tmp_path):
    line = {k: v for k, v in GOOD.items() if k not in ("reservation", "data")}
    (tmp_path / "r.jsonl").write_text(json.dumps(line) + "\n", encoding="utf-8")
    (entry,) = read_journals(tmp_path)
    assert entry.reservation_id is None and entry.data == {}
