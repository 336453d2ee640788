"""The ``grants`` table: grants as imported, and their quota counters.

This module is the only writer of ``grants``. Its functions take a connection that the
caller opened with :func:`db.write_transaction`, and each write appends its chain event
on that same connection, so the row and its event commit together.

Counters, per kind (``sale`` and ``replacement``): ``*_used`` counts copies held
(reserved, committed or burned) and goes down when a copy is released; ``*_issued``
counts copy indices ever handed out and never goes down.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any, Final

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection, Row

from pressroom.errors import UsageError
from pressroom.ledger import chain
from pressroom.ledger.errors import LedgerError
from pressroom.ledger.models import GrantStatus, ReservationKind
from pressroom.ledger.schema import grants, reservations
from pressroom.secure.errors import GrantError
from pressroom.secure.grant import Grant, load_grant, parse_grant_body
from pressroom.secure.keys import Envelope

GRANT_IMPORTED: Final = "grant-imported"


class Quota:
    """The three columns that make up one kind of quota: used, issued and the limit."""

    def __init__(self, used: sa.Column[int], issued: sa.Column[int], limit: sa.Column[int]) -> None:
        self.used = used
        self.issued = issued
        self.limit = limit


QUOTA: Final[Mapping[ReservationKind, Quota]] = {
    "sale": Quota(grants.c.copies_used, grants.c.copies_issued, grants.c.copies),
    "replacement": Quota(
        grants.c.replacements_used, grants.c.replacements_issued, grants.c.replacements
    ),
}


def stored_grant(raw: bytes) -> Grant:
    """A grant read back from the ledger; its signature was checked when it was imported."""
    env = Envelope.from_bytes(raw, "grant", "grant")
    return parse_grant_body(env.body, raw=raw)


def check(raw: bytes, trusted: Mapping[bytes, Ed25519PublicKey], now: float) -> Grant:
    """The grant in ``raw`` if a trusted publisher signed it and it has not expired.

    A grant valid only from a later date may be imported early; it is checked again
    before every run."""
    grant = load_grant(raw, dict(trusted))
    if now > grant.not_after:
        raise GrantError(f"The grant {grant.id_hex[:8]} has expired.", code="grant-expired")
    return grant


def imported_payload(grant: Grant, raw: bytes, now: float) -> dict[str, Any]:
    """The ``grant-imported`` event: every column of the new row, the signed grant itself
    included (base64), so the row can be rebuilt and its signature checked again."""
    return {
        "grant": grant.id_hex,
        "title": grant.title,
        "publisher": grant.publisher.hex(),
        "station": grant.station.hex() if grant.station else None,
        "tracks": [t.hex() for t in grant.tracks],
        "copies": grant.copies,
        "replacements": grant.replacements,
        "not_before": grant.not_before,
        "not_after": grant.not_after,
        "imported_at": now,
        "raw": base64.b64encode(raw).decode("ascii"),
    }


def record(conn: Connection, grant: Grant, raw: bytes, now: float) -> None:
    """Record a verified grant; recording the same grant again changes nothing."""
    existing = conn.execute(
        sa.select(grants.c.raw).where(grants.c.grant_id == grant.id_hex)
    ).scalar_one_or_none()
    if existing is not None:
        if bytes(existing) != raw:
            raise LedgerError(f"A different grant with id {grant.id_hex[:8]} is already recorded.")
        return
    conn.execute(
        grants.insert().values(
            grant_id=grant.id_hex,
            raw=raw,
            title=grant.title,
            publisher=grant.publisher.hex(),
            station=grant.station.hex() if grant.station else None,
            tracks=json.dumps([t.hex() for t in grant.tracks]),
            copies=grant.copies,
            replacements=grant.replacements,
            not_before=grant.not_before,
            not_after=grant.not_after,
            imported_at=now,
        )
    )
    chain.append(conn, GRANT_IMPORTED, imported_payload(grant, raw, now))


def take_copy(conn: Connection, grant_id: str, kind: ReservationKind) -> int | None:
    """Count one more copy as used and issued, atomically, if the quota allows it.

    One conditional ``UPDATE ... WHERE used < limit RETURNING limit``: the check and the
    count are one statement, so two writers can never both take the last copy. Returns
    the grant's limit for ``kind``, or None when the quota is used up (or no such grant).
    The caller appends the event that explains the change (``reserved``).
    """
    q = QUOTA[kind]
    limit: int | None = conn.execute(
        grants.update()
        .where(grants.c.grant_id == grant_id)
        .where(q.used < q.limit)
        .values({q.used: q.used + 1, q.issued: q.issued + 1})
        .returning(q.limit)
    ).scalar_one_or_none()
    return limit


def give_back_copy(conn: Connection, grant_id: str, kind: ReservationKind) -> None:
    """A released copy is no longer used; it stays issued, so its index may be reused only
    through the smallest-free-index rule. The caller appends the ``released`` event."""
    q = QUOTA[kind]
    conn.execute(grants.update().where(grants.c.grant_id == grant_id).values({q.used: q.used - 1}))


def all_statuses(conn: Connection) -> list[GrantStatus]:
    rows = conn.execute(sa.select(grants).order_by(grants.c.imported_at)).all()
    return [_status(conn, r) for r in rows]


def find(conn: Connection, id_or_prefix: str) -> GrantStatus:
    """The one grant whose id starts with ``id_or_prefix``; a person typed it."""
    prefix = id_or_prefix.strip().lower()
    if not prefix or any(c not in "0123456789abcdef" for c in prefix):
        raise UsageError(f"{id_or_prefix!r} is not a grant id (hexadecimal).")
    rows = conn.execute(
        sa.select(grants).where(grants.c.grant_id.startswith(prefix)).limit(2)
    ).all()
    if not rows:
        raise UsageError(f"No grant {prefix} is recorded; 'pressroom grant show' lists the grants.")
    if len(rows) > 1:
        raise UsageError(f"Several grants start with {prefix}; give more of the id.")
    return _status(conn, rows[0])


def _status(conn: Connection, row: Row[Any]) -> GrantStatus:
    committed: dict[str, int] = {
        kind: count
        for kind, count in conn.execute(
            sa.select(reservations.c.kind, sa.func.count())
            .where(reservations.c.grant_id == row.grant_id)
            .where(reservations.c.state == "committed")
            .group_by(reservations.c.kind)
        )
    }
    return GrantStatus(
        grant=stored_grant(bytes(row.raw)),
        copies_used=row.copies_used,
        replacements_used=row.replacements_used,
        copies_committed=committed.get("sale", 0),
        replacements_committed=committed.get("replacement", 0),
        imported_at=row.imported_at,
    )
