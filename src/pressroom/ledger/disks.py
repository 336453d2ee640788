"""The ``disks`` table: every disk made or failed, one row each.

Rows are written only by :mod:`pressroom.ledger.copies`, in the transaction that settles
the disk's reservation (or records its failure) and appends the event that carries
:func:`event_fields`. This module inserts and reads rows; it appends no events itself.
"""

from __future__ import annotations

import json
import math
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Row

from pressroom.errors import UsageError
from pressroom.ledger.models import DiskRecord, Reservation
from pressroom.ledger.schema import disks

# Filled in by the ledger, never taken from the caller's record.
_LEDGER_FIELDS = ("id", "reservation_id", "grant_id", "copy_index")
_MEASURED = ("write_seconds", "verify_seconds", "mb_per_s")


def insert(conn: Connection, disk: DiskRecord, reservation: Reservation | None) -> DiskRecord:
    """Insert ``disk``, bound to ``reservation`` (its grant and copy index) if it has one."""
    values = disk.to_json()
    for name in _LEDGER_FIELDS:
        values.pop(name)
    values["tracks"] = json.dumps(list(disk.tracks))
    for name in _MEASURED:  # an infinite speed is no measurement, and JSON cannot hold it
        if values[name] is not None and not math.isfinite(values[name]):
            values[name] = None
    if reservation is not None:
        values.update(
            reservation_id=reservation.id,
            grant_id=reservation.grant_id,
            copy_index=reservation.copy_index,
        )
        values["run_id"] = values["run_id"] or reservation.run_id
    disk_id = conn.execute(disks.insert().values(values).returning(disks.c.id)).scalar_one()
    return disk_record(conn.execute(sa.select(disks).where(disks.c.id == disk_id)).one())


# Event keys that name a column differently; every other key is the column's own name.
EVENT_KEYS = {
    "disk": "id",
    "grant": "grant_id",
    "licence": "licence_id",
    "run": "run_id",
    "station": "station_id",
    "reservation": "reservation_id",
}


def event_fields(d: DiskRecord) -> dict[str, Any]:
    """What an event says about a stored disk: every column, so the row can be rebuilt
    from the chain (the reservation id is added by the event that settles it)."""
    return {
        "disk": d.id,
        "grant": d.grant_id,
        "copy_index": d.copy_index,
        "licence": d.licence_id,
        "run": d.run_id,
        "result": d.result,
        "reason": d.reason,
        "reason_code": d.reason_code,
        "identity_hash": d.identity_hash,
        "serial_hash": d.serial_hash,
        "tracks": list(d.tracks),
        "bytes": d.bytes,
        "station": d.station_id,
        "slot": d.slot,
        "drive_id": d.drive_id,
        "serial_masked": d.serial_masked,
        "vendor": d.vendor,
        "product": d.product,
        "capacity": d.capacity,
        "started_at": d.started_at,
        "finished_at": d.finished_at,
        "write_seconds": d.write_seconds,
        "verify_seconds": d.verify_seconds,
        "mb_per_s": d.mb_per_s,
        "operator": d.operator,
    }


def select(conn: Connection, run_id: str | None, since: float | None) -> list[DiskRecord]:
    """The disks of one run and/or finished since a time, in the order they finished."""
    query = sa.select(disks).order_by(disks.c.finished_at, disks.c.id)
    if run_id is not None:
        query = query.where(disks.c.run_id == run_id)
    if since is not None:
        query = query.where(disks.c.finished_at >= since)
    return [disk_record(r) for r in conn.execute(query)]


def find(conn: Connection, licence_ref: str) -> DiskRecord:
    """The disk made with this licence id (or unique prefix of at least 6 digits)."""
    prefix = licence_ref.strip().lower()
    if len(prefix) < 6 or any(c not in "0123456789abcdef" for c in prefix):
        raise UsageError(f"{licence_ref!r} is not a licence id (at least 6 hexadecimal digits).")
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
    return disk_record(rows[0])


def disk_record(r: Row[Any]) -> DiskRecord:
    values = dict(r._mapping)
    values["tracks"] = tuple(json.loads(values["tracks"]))
    return DiskRecord(**values)
