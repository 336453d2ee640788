"""The station's ledger: grants and quotas, runs, disks made, and a hash-chained audit log.

SQLAlchemy Core over SQLite (one station) or PostgreSQL (a fleet sharing quotas), with
Alembic migrations shipped in the package. See :class:`Ledger`, the one entry point; one
module per table family behind it (grants, runs, copies and disks, revocations,
replacements, identities), and :mod:`derived`, which checks the tables against the chain.
"""

from pressroom.ledger.chain import ChainReport, Event, TableMismatch
from pressroom.ledger.errors import LedgerError, StaleReservation
from pressroom.ledger.models import (
    DiskRecord,
    DiskSighting,
    GrantStatus,
    ReplacementRecord,
    Reservation,
    RevocationRecord,
    RunRecord,
    Sightings,
    TrackTitle,
)
from pressroom.ledger.store import Ledger

__all__ = [
    "ChainReport",
    "DiskRecord",
    "DiskSighting",
    "Event",
    "GrantStatus",
    "Ledger",
    "LedgerError",
    "ReplacementRecord",
    "Reservation",
    "RevocationRecord",
    "RunRecord",
    "Sightings",
    "StaleReservation",
    "TableMismatch",
    "TrackTitle",
]
