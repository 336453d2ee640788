"""The ledger's memory of disk identities and serials, read from ``disks``.

Read only: the evidence is the disk rows that :mod:`pressroom.ledger.copies` wrote.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from pressroom.ledger.models import DiskSighting, Sightings
from pressroom.ledger.schema import disks, reservations


def known(conn: Connection, identity_hash: str | None, serial_hash: str | None) -> Sightings:
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
            for r in conn.execute(query)
        )
    )
