"""The ``replacements`` table: which licence replaced which lost or failed disk.

The only writer of ``replacements``; each link is inserted with its ``reissued`` event,
whose payload is the whole record, in the caller's write transaction.
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pressroom.ledger import chain
from pressroom.ledger.errors import LedgerError
from pressroom.ledger.models import ReplacementRecord
from pressroom.ledger.schema import replacements

REISSUED: Final = "reissued"


def record(conn: Connection, link: ReplacementRecord) -> None:
    """Link a licence to its replacement; a licence is replaced at most once."""
    if of(conn, link.old_licence) is not None:
        raise LedgerError(f"Licence {link.old_licence[:12]} was already replaced.")
    conn.execute(replacements.insert().values(link.to_json()))
    chain.append(conn, REISSUED, link.to_json())


def of(conn: Connection, licence_id: str) -> ReplacementRecord | None:
    """The replacement of ``licence_id``, if it was replaced."""
    row = conn.execute(
        sa.select(replacements).where(replacements.c.old_licence == licence_id)
    ).one_or_none()
    return None if row is None else ReplacementRecord(**row._mapping)
