"""One copy's life: reserved from a grant's quota, then committed, released or burned.

The only writer of ``reservations``, and of ``disks`` (through :mod:`disks`). Every
function takes a connection inside :func:`db.write_transaction` and appends the chain
event that states the change, so the quota counters, the reservation, the disk row and
the event commit together or not at all.

Events written here, each restating the rows it changes so that
:mod:`pressroom.ledger.derived` can rebuild them: ``reserved`` (the new reservation and its
time); ``committed``, ``released``, ``burned`` and their ``reconciled-*`` forms after a
crash (the reservation's id, new ``state`` and time ``at``; when a disk row was written,
every disk column from :func:`disks.event_fields`, with the reservation's own reason moved
to ``reservation_reason``); ``disk-failed`` for a disk that never held a reservation.
"""

from __future__ import annotations

import time
from typing import Any, Final, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from pressroom.ledger import chain, disks, grants
from pressroom.ledger.errors import StaleReservation
from pressroom.ledger.models import (
    DiskRecord,
    Reservation,
    ReservationKind,
    ReservationState,
)
from pressroom.ledger.schema import reservations

HOLDING_STATES: Final = ("reserved", "committed", "burned")

RESERVED: Final = "reserved"
COMMITTED: Final = "committed"
RELEASED: Final = "released"
BURNED: Final = "burned"
DISK_FAILED: Final = "disk-failed"
RECONCILED_COMMIT: Final = "reconciled-commit"
RECONCILED_RELEASE: Final = "reconciled-release"
RECONCILED_BURN: Final = "reconciled-burn"

Outcome = Literal["commit", "release", "burn"]

# Stages of an open reservation (its lease says how far the holder got)
BEFORE_LICENCE: Final = "before-licence"
LICENCE: Final = "licence"
DEFAULT_LEASE_SECONDS: Final = 120.0


def reserve(
    conn: Connection,
    grant_id: str,
    *,
    run_id: str | None,
    drive_id: str,
    kind: ReservationKind,
    station_id: str,
    now: float,
    lease_seconds: float = DEFAULT_LEASE_SECONDS,
) -> Reservation | None:
    """Take one copy from the grant's quota, or None when the quota is used up.

    The copy index is the smallest of 1..limit not held by a reserved, committed or
    burned reservation, so every licence's index stays within the grant. The caller's
    write lock serialises this choice across threads, processes and stations.
    """
    cap = grants.take_copy(conn, grant_id, kind)
    if cap is None:
        return None
    held = set(
        conn.execute(
            sa.select(reservations.c.copy_index)
            .where(reservations.c.grant_id == grant_id)
            .where(reservations.c.kind == kind)
            .where(reservations.c.state.in_(HOLDING_STATES))
        ).scalars()
    )
    copy_index = next(i for i in range(1, cap + 1) if i not in held)
    rid: int = conn.execute(
        reservations.insert()
        .values(
            grant_id=grant_id,
            run_id=run_id,
            station_id=station_id,
            drive_id=drive_id,
            kind=kind,
            copy_index=copy_index,
            state="reserved",
            created_at=now,
            updated_at=now,
            stage=BEFORE_LICENCE,
            lease_until=now + lease_seconds,
        )
        .returning(reservations.c.id)
    ).scalar_one()
    chain.append(
        conn,
        RESERVED,
        {
            "reservation": rid,
            "grant": grant_id,
            "kind": kind,
            "copy_index": copy_index,
            "run": run_id,
            "drive": drive_id,
            "station": station_id,
            "at": now,
        },
    )
    return Reservation(
        id=rid,
        grant_id=grant_id,
        run_id=run_id,
        station_id=station_id,
        drive_id=drive_id,
        kind=kind,
        copy_index=copy_index,
        state="reserved",
        created_at=now,
        updated_at=now,
        stage=BEFORE_LICENCE,
        lease_until=now + lease_seconds,
    )


def licence_stage(conn: Connection, reservation: Reservation, lease_until: float) -> None:
    """The holder is about to write the licence: from now on a licence may exist.

    Refused (:class:`StaleReservation`) when the reservation is no longer open, for
    instance released by another station after its lease expired: then no licence may be
    written for it."""
    done = conn.execute(
        reservations.update()
        .where(reservations.c.id == reservation.id)
        .where(reservations.c.state == RESERVED)
        .values(stage=LICENCE, lease_until=lease_until)
    ).rowcount
    if done != 1:
        raise StaleReservation(
            f"Reservation {reservation.id} (copy {reservation.copy_index}) is no longer open; "
            "another station settled it after its lease expired."
        )


def renew(conn: Connection, run_id: str, lease_until: float) -> int:
    """Renew the leases of a live run's open reservations; how many were renewed."""
    return int(
        conn.execute(
            reservations.update()
            .where(reservations.c.run_id == run_id)
            .where(reservations.c.state == RESERVED)
            .values(lease_until=lease_until)
        ).rowcount
    )


def expired(conn: Connection, now: float, lease_seconds: float) -> list[Reservation]:
    """Open reservations whose lease ran out (rows without a lease: older than a lease)."""
    query = (
        sa.select(reservations)
        .where(reservations.c.state == RESERVED)
        .where(_lease_expired(now, lease_seconds))
        .order_by(reservations.c.id)
    )
    return [reservation_record(r) for r in conn.execute(query)]


def _lease_expired(now: float, lease_seconds: float) -> sa.ColumnElement[bool]:
    lease = reservations.c.lease_until
    return sa.or_(
        lease < now,
        sa.and_(lease.is_(None), reservations.c.updated_at < now - lease_seconds),
    )


def settle_expired(
    conn: Connection,
    reservation: Reservation,
    settled_by: str,
    now: float,
    lease_seconds: float,
) -> Outcome:
    """Settle an open reservation whose lease expired, on the evidence of its stage:
    released when its holder never reached the licence (no licence can exist), burned
    (counted) when it may have. The lease is checked again under the write lock, so a
    holder that renewed it in the meantime keeps it (:class:`StaleReservation`)."""
    outcome: Outcome = "burn" if reservation.stage == LICENCE else "release"
    who = reservation.station_id[:12] or "another station"
    if outcome == "release":
        reason = f"lease expired (station {who} stopped); no licence can exist, released"
    else:
        reason = f"lease expired (station {who} stopped) while a licence may have been written"
    state: Literal["released", "burned"] = "released" if outcome == "release" else "burned"
    event = RECONCILED_RELEASE if outcome == "release" else RECONCILED_BURN
    _close(
        conn,
        reservation,
        state,
        reason,
        None,
        now,
        event,
        settled_by=settled_by,
        expired_by=(now, lease_seconds),
    )
    return outcome


def commit(
    conn: Connection,
    reservation: Reservation,
    disk: DiskRecord,
    now: float | None,
    event: str = COMMITTED,
    *,
    settled_by: str | None = None,
) -> DiskRecord:
    """The disk verified: its copy counts for good."""
    if disk.result != "pass" or not disk.licence_id:
        raise ValueError("only a passed disk with a licence id can commit a reservation")
    at = time.time() if now is None else now
    _settle(conn, reservation, "committed", None, at, settled_by=settled_by)
    stored = disks.insert(conn, disk, reservation)
    payload: dict[str, Any] = {
        "reservation": reservation.id,
        **disks.event_fields(stored),
        "state": "committed",
        "at": at,
    }
    if settled_by:
        payload["settled_by"] = settled_by
    chain.append(conn, event, payload)
    return stored


def release(
    conn: Connection,
    reservation: Reservation,
    reason: str,
    disk: DiskRecord | None,
    now: float | None,
    event: str = RELEASED,
) -> DiskRecord | None:
    """The disk holds no licence: its copy and its index go back to the grant."""
    return _close(conn, reservation, "released", reason, disk, now, event)


def burn(
    conn: Connection,
    reservation: Reservation,
    reason: str,
    disk: DiskRecord | None,
    now: float | None,
    event: str = BURNED,
) -> DiskRecord | None:
    """The licence may have reached the disk: the copy stays counted, its index used."""
    return _close(conn, reservation, "burned", reason, disk, now, event)


def reconcile(
    conn: Connection,
    reservation: Reservation,
    outcome: Outcome,
    disk: DiskRecord | None,
    reason: str,
    now: float | None,
    settled_by: str | None = None,
) -> DiskRecord | None:
    """Settle a dangling reservation after a crash; the event is ``reconciled-*``."""
    if outcome == "commit":
        if disk is None or disk.result != "pass" or not disk.licence_id:
            raise ValueError("reconciling as committed needs the passed disk record")
        return commit(conn, reservation, disk, now, RECONCILED_COMMIT, settled_by=settled_by)
    if outcome == "release":
        reason = reason or "interrupted: reconciled after a crash"
        return _close(
            conn, reservation, "released", reason, disk, now, RECONCILED_RELEASE,
            settled_by=settled_by,
        )  # fmt: skip
    if outcome == "burn":
        reason = reason or "interrupted: kept counted after a crash"
        return _close(
            conn, reservation, "burned", reason, disk, now, RECONCILED_BURN,
            settled_by=settled_by,
        )  # fmt: skip
    raise ValueError(f"unknown reconcile outcome {outcome!r}")


def record_failure(conn: Connection, disk: DiskRecord) -> DiskRecord:
    """A disk that failed before it held a reservation (refused identity, no space...)."""
    if disk.result != "fail":
        raise ValueError("record_failure records failed disks only")
    stored = disks.insert(conn, disk, None)
    chain.append(conn, DISK_FAILED, disks.event_fields(stored))
    return stored


def dangling(conn: Connection, station_id: str | None, run_id: str | None) -> list[Reservation]:
    """Reservations never committed nor released: a crash happened mid-disk."""
    query = (
        sa.select(reservations)
        .where(reservations.c.state == "reserved")
        .order_by(reservations.c.id)
    )
    if station_id is not None:
        query = query.where(reservations.c.station_id == station_id)
    if run_id is not None:
        query = query.where(reservations.c.run_id == run_id)
    return [reservation_record(r) for r in conn.execute(query)]


def released_among(conn: Connection, ids: list[int]) -> set[int]:
    """Which of these reservations were released (their index went back to the grant)."""
    if not ids:
        return set()
    query = (
        sa.select(reservations.c.id)
        .where(reservations.c.id.in_(ids))
        .where(reservations.c.state == RELEASED)
    )
    return set(conn.execute(query).scalars())


def _close(
    conn: Connection,
    reservation: Reservation,
    state: Literal["released", "burned"],
    reason: str,
    disk: DiskRecord | None,
    now: float | None,
    event: str,
    *,
    settled_by: str | None = None,
    expired_by: tuple[float, float] | None = None,
) -> DiskRecord | None:
    """Settle a reservation that did not commit; a released copy goes back to the quota,
    a burned one stays counted. Records the disk row (if any) and the chain event."""
    at = time.time() if now is None else now
    _settle(conn, reservation, state, reason, at, settled_by=settled_by, expired_by=expired_by)
    if state == "released":
        grants.give_back_copy(conn, reservation.grant_id, reservation.kind)
    stored = disks.insert(conn, disk, reservation) if disk is not None else None
    payload: dict[str, Any] = {
        "reservation": reservation.id,
        "grant": reservation.grant_id,
        "kind": reservation.kind,
        "copy_index": reservation.copy_index,
        "reason": reason,
    }
    if stored is not None:
        # the disk's fields; its "reason" is the disk's, so the settle reason moves aside
        payload.update(disks.event_fields(stored), reservation_reason=reason)
    if settled_by:
        payload["settled_by"] = settled_by
    if expired_by is not None:
        payload["lease_expired"] = True
    payload.update(state=state, at=at)
    chain.append(conn, event, payload)
    return stored


def _settle(
    conn: Connection,
    reservation: Reservation,
    state: ReservationState,
    reason: str | None,
    at: float,
    *,
    settled_by: str | None = None,
    expired_by: tuple[float, float] | None = None,
) -> None:
    """Move an open reservation to ``state``; a reservation settles exactly once.

    ``expired_by`` (now, lease seconds): only if its lease has expired by then."""
    query = (
        reservations.update()
        .where(reservations.c.id == reservation.id)
        .where(reservations.c.state == "reserved")
    )
    if expired_by is not None:
        query = query.where(_lease_expired(*expired_by))
    done = conn.execute(
        query.values(state=state, reason=reason, updated_at=at, settled_by=settled_by)
    ).rowcount
    if done != 1:
        raise StaleReservation(
            f"Reservation {reservation.id} (copy {reservation.copy_index}) is no longer "
            "open; it was already committed or released."
        )


def reservation_record(r: Row[Any]) -> Reservation:
    return Reservation(
        id=r.id,
        grant_id=r.grant_id,
        run_id=r.run_id,
        station_id=r.station_id,
        drive_id=r.drive_id,
        kind=r.kind,
        copy_index=r.copy_index,
        state=r.state,
        created_at=r.created_at,
        updated_at=r.updated_at,
        reason=r.reason,
        stage=r.stage,
        lease_until=r.lease_until,
        settled_by=r.settled_by,
    )


def kinds(conn: Connection, ids: list[int]) -> dict[int, str]:
    """Sale or replacement, per reservation id (read in batches: a report may hold many)."""
    out: dict[int, str] = {}
    for i in range(0, len(ids), 500):
        query = sa.select(reservations.c.id, reservations.c.kind).where(
            reservations.c.id.in_(ids[i : i + 500])
        )
        out.update({rid: kind for rid, kind in conn.execute(query)})
    return out
