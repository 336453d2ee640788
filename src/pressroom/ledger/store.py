"""The ledger: grants and their quotas, runs, reservations, disks made, and the audit chain.

All writes go through :func:`db.write_transaction`, so each one holds the ledger's write
lock from its first statement and appends its audit event in the same transaction: the
state change and its event commit together or not at all.

Quota: ``reserve`` is one conditional ``UPDATE grants SET copies_used = copies_used + 1,
copies_issued = copies_issued + 1 WHERE ... AND copies_used < copies`` whose ``RETURNING``
gives the copy index. ``release`` decrements ``copies_used`` (the copy goes back to the
pool) but never ``copies_issued``, so a copy index is never handed to a second licence.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping
from typing import Any, Literal

import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from sqlalchemy.engine import Connection, Engine, Row

from pressroom.errors import UsageError
from pressroom.ledger import chain, db
from pressroom.ledger.errors import LedgerError, StaleReservation
from pressroom.ledger.models import (
    RUN_STATUSES,
    DiskRecord,
    DiskSighting,
    GrantStatus,
    ReplacementRecord,
    Reservation,
    ReservationKind,
    RevocationRecord,
    RunRecord,
    Sightings,
)
from pressroom.ledger.schema import (
    disks,
    grants,
    replacements,
    reservations,
    revocations,
    runs,
)
from pressroom.secure.errors import GrantError
from pressroom.secure.grant import Grant, load_grant, parse_grant_body
from pressroom.secure.keys import Envelope

HOLDING_STATES = ("reserved", "committed", "burned")

_QUOTA = {
    "sale": (grants.c.copies_used, grants.c.copies_issued, grants.c.copies),
    "replacement": (
        grants.c.replacements_used,
        grants.c.replacements_issued,
        grants.c.replacements,
    ),
}


def _stored_grant(raw: bytes) -> Grant:
    """A grant read back from the ledger; its signature was checked when it was imported."""
    env = Envelope.from_bytes(raw, "grant", "grant")
    return parse_grant_body(env.body, raw=raw)


class Ledger:
    def __init__(self, engine: Engine):
        self.engine = engine

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Ledger:
        engine = db.create_engine(url)
        try:
            if migrate:
                db.migrate(engine)
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
        with self.engine.connect() as conn:
            return chain.verify(conn)

    # --- grants ------------------------------------------------------------------------

    def import_grant(
        self, raw: bytes, trusted: Mapping[bytes, Ed25519PublicKey], now: float
    ) -> Grant:
        """Verify and record a grant; importing the same grant again changes nothing."""
        grant = load_grant(raw, dict(trusted))
        if now > grant.not_after:  # a grant valid from a later date may be imported early
            raise GrantError(f"The grant {grant.id_hex[:8]} has expired.", code="grant-expired")
        with db.write_transaction(self.engine) as conn:
            existing = conn.execute(
                sa.select(grants.c.raw).where(grants.c.grant_id == grant.id_hex)
            ).scalar_one_or_none()
            if existing is not None:
                if bytes(existing) != raw:
                    raise LedgerError(
                        f"A different grant with id {grant.id_hex[:8]} is already recorded."
                    )
                return grant
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
            chain.append(
                conn,
                "grant-imported",
                {
                    "grant": grant.id_hex,
                    "title": grant.title,
                    "publisher": grant.publisher.hex(),
                    "copies": grant.copies,
                    "replacements": grant.replacements,
                    "not_after": grant.not_after,
                },
            )
        return grant

    def grants(self) -> list[GrantStatus]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(grants).order_by(grants.c.imported_at)).all()
            return [self._grant_status(conn, r) for r in rows]

    def get_grant(self, id_or_prefix: str) -> GrantStatus:
        prefix = id_or_prefix.strip().lower()
        if not prefix or any(c not in "0123456789abcdef" for c in prefix):
            raise UsageError(f"{id_or_prefix!r} is not a grant id (hexadecimal).")
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(grants).where(grants.c.grant_id.startswith(prefix)).limit(2)
            ).all()
            if not rows:
                raise UsageError(
                    f"No grant {prefix} is recorded; 'pressroom grant show' lists the grants."
                )
            if len(rows) > 1:
                raise UsageError(f"Several grants start with {prefix}; give more of the id.")
            return self._grant_status(conn, rows[0])

    def _grant_status(self, conn: Connection, row: Row) -> GrantStatus:
        committed = dict(
            conn.execute(
                sa.select(reservations.c.kind, sa.func.count())
                .where(reservations.c.grant_id == row.grant_id)
                .where(reservations.c.state == "committed")
                .group_by(reservations.c.kind)
            ).all()
        )
        return GrantStatus(
            grant=_stored_grant(bytes(row.raw)),
            copies_used=row.copies_used,
            replacements_used=row.replacements_used,
            copies_committed=committed.get("sale", 0),
            replacements_committed=committed.get("replacement", 0),
            imported_at=row.imported_at,
        )

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
    ) -> str:
        run_id = run_id or uuid.uuid4().hex
        now = time.time() if now is None else now
        track_list = list(tracks)
        with db.write_transaction(self.engine) as conn:
            conn.execute(
                runs.insert().values(
                    run_id=run_id,
                    started_at=now,
                    operator=operator,
                    station_id=station_id,
                    grant_id=grant_id,
                    tracks=json.dumps(track_list),
                    copies_wanted=copies_wanted,
                    rights=chain.canonical_json(rights),
                    status="running",
                )
            )
            chain.append(
                conn,
                "run-started",
                {
                    "run": run_id,
                    "grant": grant_id,
                    "station": station_id,
                    "operator": operator,
                    "tracks": track_list,
                    "copies": copies_wanted,
                    "rights": rights,
                },
            )
        return run_id

    def finish_run(self, run_id: str, status: str, *, now: float | None = None) -> None:
        if status not in RUN_STATUSES or status == "running":
            raise ValueError(f"unknown final run status {status!r}")
        now = time.time() if now is None else now
        with db.write_transaction(self.engine) as conn:
            done = conn.execute(
                runs.update().where(runs.c.run_id == run_id).values(status=status, finished_at=now)
            ).rowcount
            if done != 1:
                raise LedgerError(f"No run {run_id} is recorded.")
            chain.append(conn, "run-finished", {"run": run_id, "status": status})

    def runs(self, *, since: float | None = None) -> list[RunRecord]:
        query = sa.select(runs).order_by(runs.c.started_at)
        if since is not None:
            query = query.where(runs.c.started_at >= since)
        with self.engine.connect() as conn:
            return [_run(r) for r in conn.execute(query)]

    def get_run(self, id_or_prefix: str) -> RunRecord:
        prefix = id_or_prefix.strip().lower()
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(runs).where(runs.c.run_id.startswith(prefix)).limit(2)
            ).all()
        if not rows:
            raise UsageError(f"No run {prefix} is recorded in the ledger.")
        if len(rows) > 1:
            raise UsageError(f"Several runs start with {prefix}; give more of the id.")
        return _run(rows[0])

    # --- quota -------------------------------------------------------------------------

    def reserve(
        self,
        grant_id: str,
        *,
        run_id: str | None,
        drive_id: str,
        kind: ReservationKind = "sale",
        station_id: str = "",
        now: float | None = None,
    ) -> Reservation | None:
        """Take one copy from the grant's quota, or None when the quota is used up.

        The copy index is the smallest of 1..limit not held by a reserved, committed or
        burned reservation, so every licence's index stays within the grant and a player
        can check "copy k of N" offline. An index comes free again only through
        :meth:`release`, which the engine calls only when no licence can exist on the disk;
        otherwise it calls :meth:`burn`. The write lock taken by every write transaction
        serialises this choice across threads, processes and stations.
        """
        used, issued, limit = _QUOTA[kind]
        now = time.time() if now is None else now
        with db.write_transaction(self.engine) as conn:
            cap = conn.execute(
                grants.update()
                .where(grants.c.grant_id == grant_id)
                .where(used < limit)
                .values({used: used + 1, issued: issued + 1})
                .returning(limit)
            ).scalar_one_or_none()
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
            rid = conn.execute(
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
                )
                .returning(reservations.c.id)
            ).scalar_one()
            chain.append(
                conn,
                "reserved",
                {
                    "reservation": rid,
                    "grant": grant_id,
                    "kind": kind,
                    "copy_index": copy_index,
                    "run": run_id,
                    "drive": drive_id,
                    "station": station_id,
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
        )

    def commit(
        self, reservation: Reservation, disk: DiskRecord, *, now: float | None = None
    ) -> DiskRecord:
        """The disk verified: its copy counts for good."""
        if disk.result != "pass" or not disk.licence_id:
            raise ValueError("only a passed disk with a licence id can commit a reservation")
        with db.write_transaction(self.engine) as conn:
            return self._commit(conn, reservation, disk, now, "committed")

    def _commit(
        self,
        conn: Connection,
        reservation: Reservation,
        disk: DiskRecord,
        now: float | None,
        event: str,
    ) -> DiskRecord:
        self._settle(conn, reservation, "committed", None, now)
        stored = self._insert_disk(conn, disk, reservation)
        chain.append(conn, event, {"reservation": reservation.id, **_disk_event(stored)})
        return stored

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
            return self._release(conn, reservation, reason, disk, now, "released")

    def _release(
        self,
        conn: Connection,
        reservation: Reservation,
        reason: str,
        disk: DiskRecord | None,
        now: float | None,
        event: str,
    ) -> DiskRecord | None:
        return self._close_copy(conn, reservation, "released", reason, disk, now, event)

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
            return self._burn(conn, reservation, reason, disk, now, "burned")

    def _burn(
        self,
        conn: Connection,
        reservation: Reservation,
        reason: str,
        disk: DiskRecord | None,
        now: float | None,
        event: str,
    ) -> DiskRecord | None:
        return self._close_copy(conn, reservation, "burned", reason, disk, now, event)

    def _close_copy(
        self,
        conn: Connection,
        reservation: Reservation,
        state: str,
        reason: str,
        disk: DiskRecord | None,
        now: float | None,
        event: str,
    ) -> DiskRecord | None:
        """Settle a reservation that did not commit; a released copy goes back to the quota,
        a burned one stays counted. Records the disk row (if any) and the chain event."""
        self._settle(conn, reservation, state, reason, now)
        if state == "released":
            used = _QUOTA[reservation.kind][0]
            conn.execute(
                grants.update()
                .where(grants.c.grant_id == reservation.grant_id)
                .values({used: used - 1})
            )
        stored = self._insert_disk(conn, disk, reservation) if disk is not None else None
        payload: dict[str, Any] = {
            "reservation": reservation.id,
            "grant": reservation.grant_id,
            "kind": reservation.kind,
            "copy_index": reservation.copy_index,
            "reason": reason,
        }
        if stored is not None:
            payload.update(_disk_event(stored))
        chain.append(conn, event, payload)
        return stored

    def _settle(
        self,
        conn: Connection,
        reservation: Reservation,
        state: str,
        reason: str | None,
        now: float | None,
    ) -> None:
        done = conn.execute(
            reservations.update()
            .where(reservations.c.id == reservation.id)
            .where(reservations.c.state == "reserved")
            .values(state=state, reason=reason, updated_at=time.time() if now is None else now)
        ).rowcount
        if done != 1:
            raise StaleReservation(
                f"Reservation {reservation.id} (copy {reservation.copy_index}) is no longer "
                "open; it was already committed or released."
            )

    def record_failure(self, disk: DiskRecord) -> DiskRecord:
        """A disk that failed before it held a reservation (refused identity, no space...)."""
        if disk.result != "fail":
            raise ValueError("record_failure records failed disks only")
        with db.write_transaction(self.engine) as conn:
            stored = self._insert_disk(conn, disk, None)
            chain.append(conn, "disk-failed", _disk_event(stored))
            return stored

    def dangling_reservations(
        self, *, station_id: str | None = None, run_id: str | None = None
    ) -> list[Reservation]:
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
        with self.engine.connect() as conn:
            return [_reservation(r) for r in conn.execute(query)]

    def reconcile(
        self,
        reservation: Reservation,
        outcome: Literal["commit", "release", "burn"],
        *,
        disk: DiskRecord | None = None,
        reason: str = "",
        now: float | None = None,
    ) -> DiskRecord | None:
        """Settle a dangling reservation after a crash, from what the journal and disk show.

        ``commit`` when the disk's licence was written and verifies (``disk`` required);
        ``release`` otherwise. The event is recorded as ``reconciled-*`` so audits see it.
        """
        with db.write_transaction(self.engine) as conn:
            if outcome == "commit":
                if disk is None or disk.result != "pass" or not disk.licence_id:
                    raise ValueError("reconciling as committed needs the passed disk record")
                return self._commit(conn, reservation, disk, now, "reconciled-commit")
            if outcome == "release":
                return self._release(
                    conn,
                    reservation,
                    reason or "interrupted: reconciled after a crash",
                    disk,
                    now,
                    "reconciled-release",
                )
            if outcome == "burn":
                return self._burn(
                    conn,
                    reservation,
                    reason or "interrupted: kept counted after a crash",
                    disk,
                    now,
                    "reconciled-burn",
                )
            raise ValueError(f"unknown reconcile outcome {outcome!r}")

    # --- disks -------------------------------------------------------------------------

    def _insert_disk(
        self, conn: Connection, disk: DiskRecord, reservation: Reservation | None
    ) -> DiskRecord:
        values = disk.to_json()
        for name in ("id", "reservation_id", "grant_id", "copy_index"):
            values.pop(name)
        values["tracks"] = json.dumps(list(disk.tracks))
        if reservation is not None:
            values.update(
                reservation_id=reservation.id,
                grant_id=reservation.grant_id,
                copy_index=reservation.copy_index,
            )
            values["run_id"] = values["run_id"] or reservation.run_id
        disk_id = conn.execute(disks.insert().values(values).returning(disks.c.id)).scalar_one()
        row = conn.execute(sa.select(disks).where(disks.c.id == disk_id)).one()
        return _disk(row)

    def disks(self, run_id: str | None = None, since: float | None = None) -> list[DiskRecord]:
        query = sa.select(disks).order_by(disks.c.finished_at, disks.c.id)
        if run_id is not None:
            query = query.where(disks.c.run_id == run_id)
        if since is not None:
            query = query.where(disks.c.finished_at >= since)
        with self.engine.connect() as conn:
            return [_disk(r) for r in conn.execute(query)]

    def find_disk(self, licence_ref: str) -> DiskRecord:
        """The disk made with this licence id (or unique prefix of at least 6 digits)."""
        prefix = licence_ref.strip().lower()
        if len(prefix) < 6 or any(c not in "0123456789abcdef" for c in prefix):
            raise UsageError(
                f"{licence_ref!r} is not a licence id (at least 6 hexadecimal digits)."
            )
        with self.engine.connect() as conn:
            rows = conn.execute(
                sa.select(disks).where(disks.c.licence_id.startswith(prefix)).limit(2)
            ).all()
        if not rows:
            raise UsageError(
                f"No disk with licence {prefix} was made at this station; "
                "'pressroom report' lists the disks made."
            )
        if len(rows) > 1:
            raise UsageError(f"Several licences start with {prefix}; give more of the id.")
        return _disk(rows[0])

    # --- after the sale ----------------------------------------------------------------

    def record_revocations(self, entries: Iterable[RevocationRecord]) -> None:
        """Who revoked what and why, in one transaction with its audit events."""
        with db.write_transaction(self.engine) as conn:
            for e in entries:
                conn.execute(revocations.insert().values(e.to_json()))
                chain.append(conn, "revoked", e.to_json())

    def revocations(self) -> list[RevocationRecord]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(revocations).order_by(revocations.c.id)).all()
        return [
            RevocationRecord(**{k: v for k, v in r._mapping.items() if k != "id"}) for r in rows
        ]

    def record_replacement(self, link: ReplacementRecord) -> None:
        """Link a licence to its replacement; a licence is replaced at most once."""
        with db.write_transaction(self.engine) as conn:
            if self._replacement(conn, link.old_licence) is not None:
                raise LedgerError(f"Licence {link.old_licence[:12]} was already replaced.")
            conn.execute(replacements.insert().values(link.to_json()))
            chain.append(conn, "reissued", link.to_json())

    def replacement_of(self, licence_id: str) -> ReplacementRecord | None:
        with self.engine.connect() as conn:
            return self._replacement(conn, licence_id)

    def _replacement(self, conn: Connection, licence_id: str) -> ReplacementRecord | None:
        row = conn.execute(
            sa.select(replacements).where(replacements.c.old_licence == licence_id)
        ).one_or_none()
        return None if row is None else ReplacementRecord(**row._mapping)

    def known_identity(
        self, identity_hash: str | None = None, serial_hash: str | None = None
    ) -> Sightings:
        """Evidence that this identity, or this normalised serial, was bound to a disk before.

        *Evidence* is a disk row that carries an identity hash (the station read the
        disk's vendor id, product id, serial and capacity and built the identity from
        them) and that reached the licence: either it was made (result ``pass`` with a
        licence id, including disks committed at recovery), or its copy was burned (the
        licence may have reached the disk). Rows without an identity hash (a disk that
        failed at identify: unreadable, duplicate, placeholder, refused) and disks that
        failed before their licence (no space, write or read-back errors) say nothing
        about which hardware carries the serial, so they are never evidence: a transient
        failure must not brand a good stick as "known elsewhere" for ever.

        ``serial_hash`` is :func:`pressroom.secure.identity.serial_hash`, the hash of the
        normalised serial, so every spelling of one serial finds the same rows.
        """
        conditions = []
        if identity_hash:
            conditions.append(disks.c.identity_hash == identity_hash)
        if serial_hash:
            conditions.append(disks.c.serial_hash == serial_hash)
        if not conditions:
            return Sightings()
        made = sa.and_(disks.c.result == "pass", disks.c.licence_id.is_not(None))
        burned = reservations.c.state == "burned"
        query = (
            sa.select(disks)
            .select_from(disks.outerjoin(reservations, disks.c.reservation_id == reservations.c.id))
            .where(sa.or_(*conditions))
            .where(disks.c.identity_hash.is_not(None))
            .where(sa.or_(made, burned))
            .order_by(disks.c.finished_at, disks.c.id)
        )
        with self.engine.connect() as conn:
            rows = conn.execute(query).all()
        return Sightings(
            tuple(
                DiskSighting(
                    identity_hash=r.identity_hash,
                    serial_hash=r.serial_hash,
                    same_identity=identity_hash is not None and r.identity_hash == identity_hash,
                    station_id=r.station_id,
                    run_id=r.run_id,
                    licence_id=r.licence_id,
                    vendor=r.vendor,
                    product=r.product,
                    result=r.result,
                    finished_at=r.finished_at,
                )
                for r in rows
            )
        )


def _disk_event(d: DiskRecord) -> dict[str, Any]:
    return {
        "disk": d.id,
        "grant": d.grant_id,
        "copy_index": d.copy_index,
        "licence": d.licence_id,
        "run": d.run_id,
        "result": d.result,
        "reason": d.reason,
        "identity_hash": d.identity_hash,
        "serial_hash": d.serial_hash,
        "tracks": list(d.tracks),
        "bytes": d.bytes,
        "station": d.station_id,
    }


def _reservation(r: Row) -> Reservation:
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
    )


def _disk(r: Row) -> DiskRecord:
    values = dict(r._mapping)
    values["tracks"] = tuple(json.loads(values["tracks"]))
    return DiskRecord(**values)


def _run(r: Row) -> RunRecord:
    return RunRecord(
        run_id=r.run_id,
        started_at=r.started_at,
        finished_at=r.finished_at,
        operator=r.operator,
        station_id=r.station_id,
        grant_id=r.grant_id,
        tracks=tuple(json.loads(r.tracks)),
        copies_wanted=r.copies_wanted,
        rights=json.loads(r.rights),
        status=r.status,
    )
