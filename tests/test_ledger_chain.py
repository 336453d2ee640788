"""The audit chain: any edit, deletion, reordering or truncation is found, with its seq."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from pressroom.ledger import Ledger
from pressroom.ledger.chain import canonical_json, row_hash
from pressroom.ledger.schema import GENESIS_HASH, chain_head, events


@pytest.fixture
def ledger(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'ledger.sqlite3'}") as led:
        for n in range(1, 7):
            led.append_event("note", {"n": n, "text": f"event {n} — é"})
        yield led


def _exec(ledger, statement):
    with ledger.engine.begin() as conn:
        conn.execute(statement)


def test_intact_chain_verifies(ledger):
    report = ledger.verify_chain()
    assert report.ok and report.rows == 6 and report.first_bad_seq is None
    assert report.head == ledger.events()[-1].hash


def test_empty_chain_verifies(tmp_path):
    with Ledger.open(f"sqlite:///{tmp_path / 'empty.sqlite3'}") as led:
        report = led.verify_chain()
    assert report.ok and report.rows == 0 and report.head == GENESIS_HASH


def test_edited_payload_is_caught(ledger):
    _exec(ledger, events.update().where(events.c.seq == 4).values(payload='{"n":40}'))
    report = ledger.verify_chain()
    assert not report.ok
    assert report.first_bad_seq == 4 and "altered" in report.reason
    assert report.rows == 3


def test_edited_kind_or_time_is_caught(ledger):
    _exec(ledger, events.update().where(events.c.seq == 2).values(at=events.c.at + 1))
    assert ledger.verify_chain().first_bad_seq == 2


def test_rehashed_edit_breaks_the_next_link(ledger):
    """An editor who recomputes the edited row's own hash still breaks the row after it."""
    with ledger.engine.begin() as conn:
        row = conn.execute(sa.select(events).where(events.c.seq == 3)).one()
        payload = canonical_json({"n": 333})
        new_hash = row_hash(row.prev_hash, 3, row.at, row.kind, payload)
        conn.execute(
            events.update().where(events.c.seq == 3).values(payload=payload, hash=new_hash)
        )
    report = ledger.verify_chain()
    assert report.first_bad_seq == 4 and "does not link" in report.reason


def test_deleted_row_is_caught(ledger):
    _exec(ledger, events.delete().where(events.c.seq == 3))
    report = ledger.verify_chain()
    assert report.first_bad_seq == 3 and "missing" in report.reason


def test_deleted_and_renumbered_rows_are_caught(ledger):
    with ledger.engine.begin() as conn:
        conn.execute(events.delete().where(events.c.seq == 3))
        for seq in (4, 5, 6):
            conn.execute(events.update().where(events.c.seq == seq).values(seq=seq - 1))
    assert ledger.verify_chain().first_bad_seq == 3


def test_swapped_rows_are_caught(ledger):
    with ledger.engine.begin() as conn:
        conn.execute(events.update().where(events.c.seq == 2).values(seq=-2))
        conn.execute(events.update().where(events.c.seq == 5).values(seq=2))
        conn.execute(events.update().where(events.c.seq == -2).values(seq=5))
    report = ledger.verify_chain()
    assert report.first_bad_seq == 2 and report.rows == 1


def test_truncated_tail_is_caught(ledger):
    _exec(ledger, events.delete().where(events.c.seq == 6))
    report = ledger.verify_chain()
    assert not report.ok and report.first_bad_seq == 6 and "head" in report.reason


def test_forged_head_is_caught(ledger):
    _exec(ledger, chain_head.update().values(hash="ab" * 32))
    report = ledger.verify_chain()
    assert not report.ok and "head hash" in report.reason


def test_events_keep_appending_after_verify(ledger):
    ledger.append_event("note", {"n": 7})
    evs = ledger.events()
    assert [e.seq for e in evs] == list(range(1, 8))
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(evs))
    assert ledger.verify_chain().ok
