"""The ledger's one entry point: :class:`Ledger`, a facade over the table families.

Each family lives in its own module and is the only writer of its tables:
:mod:`grants` (grants and quota counters), :mod:`runs`, :mod:`copies` (reservations and
the disks made or failed, via :mod:`disks`), :mod:`revocations`, :mod:`replacements`;
:mod:`identities` reads the serial memory from ``disks``. A family's write updates its
table and appends the chain event that states the change on the connection it is given.

The facade opens the connections. Every write runs in one
:func:`db.write_transaction`, which holds the ledger's write lock from its first
statement, so a state change and its event commit together or not at all, and the chain
never forks.

Quota: ``reserve`` is one conditional ``UPDATE grants SET copies_used = copies_used + 1,
copies_issued = copies_issued + 1 WHERE ... AND copies_used < copies`` whose ``RETURNING``
gives the limit (see :func:`grants.take_copy`). ``release`` decrements ``copies_used``
(the copy goes back to the pool) but never ``copies_issued``, so the count of indices
handed out only grows.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Engine

from pressroom.ledger import (
    chain,
    checkpoints,
    copies,
    db,
    derived,
    disks,
    grants,
    identities,
    replacements,
    revocations,
    runs,
)
from pressroom.ledger.errors import LedgerError, LedgerUnreachable
from pressroom.ledger.models import (
    DiskRecord,
    GrantStatus,
    ReplacementRecord,
    Reservation,
    ReservationKind,
    RevocationRecord,
    RunRecord,
    Sightings,
    TrackTitle,
)
from pressroom.secure.grant import Grant

HOLDING_STATES = copies.HOLDING_STATES


class Ledger:
    """Grants and quotas, runs, copies and disks, after-sale records, and the chain."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Ledger:
        engine = db.create_engine(url)
        try:
            if migrate:
                db.migrate(engine)
        except LedgerUnreachable:
            engine.dispose()
            raise
        except sa.exc.OperationalError as exc:
            engine.dispose()
            raise LedgerError(f"The ledger database cannot be opened ({exc.orig}).") from None
        return cls(engine)

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- events ------------------------------------------------------------------------

    def append_event(self, kind: str, payload: Mapping[str, Any]) -> chain.Event:
        with db.write_transaction(self.engine) as conn:
            return chain.append(conn, kind, dict(payload))

    def events(self, *, since_seq: int = 0, limit: int | None = None) -> list[chain.Event]:
        with self.engine.connect() as conn:
            return chain.read_events(conn, since_seq=since_seq, limit=limit)

    def verify_chain(self) -> chain.ChainReport:
        """Check the chain, and that the tables hold what its events say (one pass).

        A report that the chain verifies but a table disagrees carries the first row that
        disagrees in ``mismatch``; see :mod:`pressroom.ledger.derived`."""
        with self.engine.connect() as conn:
            if db.is_postgres(self.engine):  # one snapshot for the chain and every table
                conn.execution_options(isolation_level="REPEATABLE READ")
            replay = derived.Replay(conn)
            report = chain.verify(conn, replay.event)
            if not report.ok:
                return report
            mismatch = replay.finish()
            return report if mismatch is None else report.with_mismatch(mismatch)

    def checkpoint_state(self) -> checkpoints.LedgerState:
        """The head and every grant's counters in one snapshot (what a checkpoint signs)."""
        with db.write_transaction(self.engine) as conn:  # the write lock: no half-written run
            return checkpoints.state(conn)

    def hash_at(self, seq: int) -> str | None:
        """The stored hash of event ``seq``; None when the chain has no such event."""
        with self.engine.connect() as conn:
            return checkpoints.hash_at(conn, seq)

    # --- grants ------------------------------------------------------------------------

    def import_grant(
        self, raw: bytes, trusted: Mapping[bytes, Ed25519PublicKey], now: float
    ) -> Grant:
        """Verify and record a grant; importing the same grant again changes nothing."""
        grant = grants.check(raw, trusted, now)
        with db.write_transaction(self.engine) as conn:
            grants.record(conn, grant, raw, now)
        return grant

    def grants(self) -> list[GrantStatus]:
        with self.engine.connect() as conn:
            return grants.all_statuses(conn)

    def get_grant(self, id_or_prefix: str) -> GrantStatus:
        with self.engine.connect() as conn:
            return grants.find(conn, id_or_prefix)

    # --- runs --------------------------------------------------------------------------

    def start_run(
        self,
        *,
        grant_id: str,
        station_id: str,
        tracks: Iterable[str],
        copies_wanted: int,
        rights: Any,
        operator: str = "",
        run_id: str | None = None,
        now: float | None = None,
        titles: Sequence[TrackTitle] = (),
    ) -> str:
        run_id = run_id or uuid.uuid4().hex
        with db.write_transaction(self.engine) as conn:
            runs.start(
                conn,
                run_id=run_id,
                grant_id=grant_id,
                station_id=station_id,
                tracks=list(tracks),
                copies_wanted=copies_wanted,
                rights=rights,
                operator=operator,
                now=time.time() if now is None else now,
                titles=titles,
            )
        return run_id

    def finish_run(self, run_id: str, status: str, *, now: float | None = None) -> None:
        runs.check_final_status(status)
        now = time.time() if now is None else now
        with db.write_transaction(self.engine) as conn:
            runs.finish(conn, run_id, status, now)

    def runs(self, *, since: float | None = None) -> list[RunRecord]:
        with self.engine.connect() as conn:
            return runs.since(conn, since)

    def get_run(self, id_or_prefix: str) -> RunRecord:
        with self.engine.connect() as conn:
            return runs.find(conn, id_or_prefix)

    # --- copies: quota, reservations and the disks they end in --------------------------

    def reserve(
        self,
        grant_id: str,
        *,
        run_id: str | None,
        drive_id: str,
        kind: ReservationKind = "sale",
        station_id: str = "",
        now: float | None = None,
        lease_seconds: float = copies.DEFAULT_LEASE_SECONDS,
    ) -> Reservation | None:
        """Take one copy from the grant's quota, or None when the quota is used up.

        The copy index is the smallest of 1..limit not held by a reserved, committed or
        burned reservation, so every licence's index stays within the grant and a player
        can check "copy k of N" offline. An index comes free again only through
        :meth:`release`, which the engine calls only when no licence can exist on the disk;
        otherwise it calls :meth:`burn`. The write lock taken by every write transaction
        serialises this choice across threads, processes and stations.
        """
        with db.write_transaction(self.engine) as conn:
            return copies.reserve(
                conn,
                grant_id,
                run_id=run_id,
                drive_id=drive_id,
                kind=kind,
                station_id=station_id,
                now=time.time() if now is None else now,
                lease_seconds=lease_seconds,
            )

    # --- leases: an open reservation's holder, how far it got, until when ----------------

    def licence_stage(
        self, reservation: Reservation, *, lease_seconds: float = copies.DEFAULT_LEASE_SECONDS
    ) -> None:
        """Say, before writing its licence, that a licence may now exist for this copy;
        refused when the reservation was settled meanwhile (its lease expired)."""
        with db.write_transaction(self.engine) as conn:
            copies.licence_stage(conn, reservation, time.time() + lease_seconds)

    def renew_leases(
        self, run_id: str, *, lease_seconds: float = copies.DEFAULT_LEASE_SECONDS
    ) -> int:
        """A live run renews the leases of its open reservations (not a chain event)."""
        with db.write_transaction(self.engine) as conn:
            return copies.renew(conn, run_id, time.time() + lease_seconds)

    def expired_reservations(
        self, *, now: float | None = None, lease_seconds: float = copies.DEFAULT_LEASE_SECONDS
    ) -> list[Reservation]:
        """Open reservations whose holder stopped renewing their lease."""
        with self.engine.connect() as conn:
            return copies.expired(conn, time.time() if now is None else now, lease_seconds)

    def settle_expired(
        self,
        reservation: Reservation,
        *,
        settled_by: str,
        now: float | None = None,
        lease_seconds: float = copies.DEFAULT_LEASE_SECONDS,
    ) -> copies.Outcome:
        """Settle an expired lease on its evidence (released before the licence stage,
        burned after); recorded as ``reconciled-*`` with ``settled_by``."""
        at = time.time() if now is None else now
        with db.write_transaction(self.engine) as conn:
            return copies.settle_expired(conn, reservation, settled_by, at, lease_seconds)

    def commit(
        self, reservation: Reservation, disk: DiskRecord, *, now: float | None = None
    ) -> DiskRecord:
        """The disk verified: its copy counts for good."""
        with db.write_transaction(self.engine) as conn:
            return copies.commit(conn, reservation, disk, now)

    def release(
        self,
        reservation: Reservation,
        reason: str,
        *,
        disk: DiskRecord | None = None,
        now: float | None = None,
    ) -> DiskRecord | None:
        """The disk failed and holds no licence: its copy and its index go back to the grant."""
        with db.write_transaction(self.engine) as conn:
            return copies.release(conn, reservation, reason, disk, now)

    def burn(
        self,
        reservation: Reservation,
        reason: str,
        *,
        disk: DiskRecord | None = None,
        now: float | None = None,
    ) -> DiskRecord | None:
        """The disk failed after its licence may have reached it: the copy stays counted.

        Used when partial files could not be removed (the disk was pulled while its licence
        was being written): a playable disk may exist, so its index is never handed out again.
        """
        with db.write_transaction(self.engine) as conn:
            return copies.burn(conn, reservation, reason, disk, now)

    def record_failure(self, disk: DiskRecord) -> DiskRecord:
        """A disk that failed before it held a reservation (refused identity, no space...)."""
        with db.write_transaction(self.engine) as conn:
            return copies.record_failure(conn, disk)

    def dangling_reservations(
        self, *, station_id: str | None = None, run_id: str | None = None
    ) -> list[Reservation]:
        """Reservations never committed nor released: a crash happened mid-disk."""
        with self.engine.connect() as conn:
            return copies.dangling(conn, station_id, run_id)

    def released_reservations(self, ids: Iterable[int]) -> set[int]:
        """Which of these reservations were released (their copy index may be reused)."""
        with self.engine.connect() as conn:
            return copies.released_among(conn, sorted(set(ids)))

    def reconcile(
        self,
        reservation: Reservation,
        outcome: copies.Outcome,
        *,
        disk: DiskRecord | None = None,
        reason: str = "",
        now: float | None = None,
        settled_by: str | None = None,
    ) -> DiskRecord | None:
        """Settle a dangling reservation after a crash, from what the journal and disk show.

        ``commit`` when the disk's licence was written and verifies (``disk`` required);
        ``release`` otherwise. The event is recorded as ``reconciled-*`` so audits see it.
        """
        with db.write_transaction(self.engine) as conn:
            return copies.reconcile(conn, reservation, outcome, disk, reason, now, settled_by)

    def reservation_kinds(self, ids: Iterable[int]) -> dict[int, str]:
        """Sale or replacement, per reservation id (a copy index counts per kind)."""
        wanted = sorted(set(ids))
        with self.engine.connect() as conn:
            return copies.kinds(conn, wanted)

    def disks(self, run_id: str | None = None, since: float | None = None) -> list[DiskRecord]:
        with self.engine.connect() as conn:
            return disks.select(conn, run_id, since)

    def find_disk(self, licence_ref: str) -> DiskRecord:
        """The disk made with this licence id (or unique prefix of at least 6 digits)."""
        with self.engine.connect() as conn:
            return disks.find(conn, licence_ref)

    # --- after the sale ----------------------------------------------------------------

    def record_revocations(self, entries: Iterable[RevocationRecord]) -> None:
        """Who revoked what and why, in one transaction with its audit events."""
        with db.write_transaction(self.engine) as conn:
            revocations.record(conn, entries)

    def revocations(self) -> list[RevocationRecord]:
        with self.engine.connect() as conn:
            return revocations.all_records(conn)

    def record_replacement(self, link: ReplacementRecord) -> None:
        """Link a licence to its replacement; a licence is replaced at most once."""
        with db.write_transaction(self.engine) as conn:
            replacements.record(conn, link)

    def replacement_of(self, licence_id: str) -> ReplacementRecord | None:
        with self.engine.connect() as conn:
            return replacements.of(conn, licence_id)

    # --- the serial memory -------------------------------------------------------------

    def known_identity(
        self, identity_hash: str | None = None, serial_hash: str | None = None
    ) -> Sightings:
        """Evidence that this identity, or this normalised serial, was bound to a disk
        before; see :func:`identities.known` for what counts as evidence."""
        with self.engine.connect() as conn:
            return identities.known(conn, identity_hash, serial_hash)
