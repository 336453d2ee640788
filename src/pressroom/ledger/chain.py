"""The append-only audit log: each event row is hash-chained to the one before it.

``hash = SHA-256(prev_hash bytes || canonical row bytes)`` where the canonical row bytes
are the compact, key-sorted JSON of ``{seq, at, kind, payload}``. Editing a row breaks
its own hash; deleting or reordering rows breaks the next row's ``prev_hash`` link or the
sequence; cutting rows off the end disagrees with the ``chain_head`` row. Somebody who can
rewrite the whole database can rewrite the whole chain: publishing the head hash (it is
printed on every report) is what makes later rewriting detectable.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pressroom.ledger.schema import GENESIS_HASH, chain_head, events


def canonical_json(value: Any) -> str:
    return json.dumps(
        value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )


def row_hash(prev_hash: str, seq: int, at: int, kind: str, payload: str) -> str:
    row = canonical_json({"seq": seq, "at": at, "kind": kind, "payload": payload})
    return hashlib.sha256(bytes.fromhex(prev_hash) + row.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Event:
    seq: int
    at: int  # Unix microseconds
    kind: str
    payload: dict[str, Any]
    prev_hash: str
    hash: str


def append(conn: Connection, kind: str, payload: dict[str, Any]) -> Event:
    """Append one event. ``conn`` must be inside :func:`db.write_transaction`."""
    head = conn.execute(sa.select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1))
    seq, prev = head.one()
    seq += 1
    at = time.time_ns() // 1000
    text = canonical_json(payload)
    digest = row_hash(prev, seq, at, kind, text)
    conn.execute(
        events.insert().values(seq=seq, at=at, kind=kind, payload=text, prev_hash=prev, hash=digest)
    )
    conn.execute(chain_head.update().where(chain_head.c.id == 1).values(seq=seq, hash=digest))
    return Event(seq, at, kind, payload, prev, digest)


@dataclass(frozen=True)
class TableMismatch:
    """A table row that disagrees with what the chain's events say it must hold.

    ``column`` is ``(row)`` when the row itself is missing or no event made it; ``seq`` is
    the event the expectation comes from (None for a row that no event made).
    """

    table: str
    key: str  # e.g. "id 7" or "grant_id 3f2a..."
    column: str
    expected: Any
    found: Any
    seq: int | None = None

    def sentence(self) -> str:
        where = f"{self.table} row {self.key}"
        if self.column == ROW:
            return f"{where}: the events say {self.expected}, the table has {self.found}"
        return (
            f"{where}, column {self.column}: the events say {self.expected!r}, "
            f"the table has {self.found!r}"
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "key": self.key,
            "column": self.column,
            "expected": self.expected,
            "found": self.found,
            "seq": self.seq,
        }


ROW = "(row)"

# Called with each event that verified, in order: (seq, kind, payload).
Observer = Callable[[int, str, dict[str, Any]], None]


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    rows: int  # rows checked
    head: str  # hash of the last row that verified (GENESIS_HASH for an empty chain)
    first_bad_seq: int | None = None
    reason: str = ""
    # The chain verifies but a table disagrees with it (see pressroom.ledger.derived).
    mismatch: TableMismatch | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "rows": self.rows,
            "head": self.head,
            "first_bad_seq": self.first_bad_seq,
            "reason": self.reason,
            "mismatch": None if self.mismatch is None else self.mismatch.to_json(),
        }

    def with_mismatch(self, mismatch: TableMismatch) -> ChainReport:
        """This (verified) chain's report, failed because a table disagrees with it."""
        return ChainReport(
            ok=False,
            rows=self.rows,
            head=self.head,
            first_bad_seq=mismatch.seq,
            reason=mismatch.sentence(),
            mismatch=mismatch,
        )


def verify(conn: Connection, observe: Observer | None = None) -> ChainReport:
    """Walk the chain from the start; report the first row that does not verify.

    ``observe`` sees every event that verified, in order, as it is read (one pass, so
    checking derived state costs no second read of the chain)."""
    prev = GENESIS_HASH
    expected = 1
    rows = 0
    query = sa.select(events).order_by(events.c.seq).execution_options(yield_per=1000)
    for row in conn.execute(query):
        if row.seq != expected:
            return _bad(rows, prev, expected, f"event {expected} is missing (next is {row.seq})")
        if row.prev_hash != prev:
            return _bad(
                rows, prev, row.seq, f"event {row.seq} does not link to event {row.seq - 1}"
            )
        if row_hash(prev, row.seq, row.at, row.kind, row.payload) != row.hash:
            return _bad(rows, prev, row.seq, f"event {row.seq} was altered after it was written")
        try:
            payload = json.loads(row.payload)
        except ValueError:
            return _bad(rows, prev, row.seq, f"event {row.seq} holds unreadable data")
        if observe is not None:
            observe(row.seq, row.kind, payload if isinstance(payload, dict) else {})
        prev = row.hash
        expected += 1
        rows += 1
    head_seq, head_hash = conn.execute(
        sa.select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)
    ).one()
    if head_seq != rows:
        return _bad(
            rows,
            prev,
            rows + 1,
            f"the chain ends at event {rows} but the head records event {head_seq}",
        )
    if head_hash != prev:
        return _bad(rows, prev, rows, f"the head hash does not match event {rows}")
    return ChainReport(ok=True, rows=rows, head=prev)


def _bad(rows: int, head: str, seq: int, reason: str) -> ChainReport:
    return ChainReport(ok=False, rows=rows, head=head, first_bad_seq=seq, reason=reason)


def read_events(conn: Connection, *, since_seq: int = 0, limit: int | None = None) -> list[Event]:
    query = sa.select(events).where(events.c.seq > since_seq).order_by(events.c.seq)
    if limit is not None:
        query = query.limit(limit)
    return [
        Event(r.seq, r.at, r.kind, json.loads(r.payload), r.prev_hash, r.hash)
        for r in conn.execute(query)
    ]
