"""The ``revocations`` table: licences and stations revoked, as this station learned of it.

The only writer of ``revocations``; each row is appended with its ``revoked`` event, whose
payload is the whole record, in the caller's write transaction.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pressroom.ledger import chain
from pressroom.ledger.models import RevocationRecord
from pressroom.ledger.schema import revocations

REVOKED: Final = "revoked"


def record(conn: Connection, entries: Iterable[RevocationRecord]) -> None:
    for e in entries:
        rid = conn.execute(
            revocations.insert().values(e.to_json()).returning(revocations.c.id)
        ).scalar_one()
        chain.append(conn, REVOKED, {**e.to_json(), "id": rid})


def all_records(conn: Connection) -> list[RevocationRecord]:
    """Every revocation, in the order it was recorded."""
    rows = conn.execute(sa.select(revocations).order_by(revocations.c.id)).all()
    return [RevocationRecord(**{k: v for k, v in r._mapping.items() if k != "id"}) for r in rows]
