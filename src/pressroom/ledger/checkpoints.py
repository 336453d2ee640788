"""What a checkpoint states about the ledger, read in one snapshot; and whether the
ledger still holds what an earlier checkpoint stated.

The station signs this state (``pressroom.secure.checkpoint``); this module only reads.
A checkpoint pins the chain: the event at ``seq`` must still have the hash ``head``, and
no grant's counters may have gone below what the checkpoint recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pressroom.ledger.schema import GENESIS_HASH, chain_head, events, grants

# The event an operator's recorded recovery appends (pressroom.station.checkpoints).
LEDGER_RECOVERED: Final = "ledger-recovered"


@dataclass(frozen=True)
class Counters:
    grant: str
    copies_used: int
    copies_issued: int
    replacements_used: int
    replacements_issued: int


@dataclass(frozen=True)
class LedgerState:
    """The chain's head and every grant's counters, as of one moment."""

    ledger: str  # hash of event 1: which chain this is (GENESIS_HASH when empty)
    seq: int
    head: str
    grants: tuple[Counters, ...]
    recovered: dict[str, Any] | None = None  # the newest ``ledger-recovered`` event's payload


def state(conn: Connection) -> LedgerState:
    """Read inside one transaction (the caller's), so head and counters agree."""
    seq, head = conn.execute(
        sa.select(chain_head.c.seq, chain_head.c.hash).where(chain_head.c.id == 1)
    ).one()
    first = conn.execute(sa.select(events.c.hash).where(events.c.seq == 1)).scalar_one_or_none()
    rows = conn.execute(
        sa.select(
            grants.c.grant_id,
            grants.c.copies_used,
            grants.c.copies_issued,
            grants.c.replacements_used,
            grants.c.replacements_issued,
        ).order_by(grants.c.grant_id)
    ).all()
    recovered = conn.execute(
        sa.select(events.c.payload)
        .where(events.c.kind == LEDGER_RECOVERED)
        .order_by(events.c.seq.desc())
        .limit(1)
    ).scalar_one_or_none()
    return LedgerState(
        ledger=first or GENESIS_HASH,
        seq=int(seq),
        head=head,
        grants=tuple(Counters(r[0], r[1], r[2], r[3], r[4]) for r in rows),
        recovered=None if recovered is None else json.loads(recovered),
    )


def hash_at(conn: Connection, seq: int) -> str | None:
    """The stored hash of event ``seq`` (GENESIS_HASH for 0), or None if there is none."""
    if seq == 0:
        return GENESIS_HASH
    found: str | None = conn.execute(
        sa.select(events.c.hash).where(events.c.seq == seq)
    ).scalar_one_or_none()
    return found
